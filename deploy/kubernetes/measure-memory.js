#!/usr/bin/env node
/**
 * Measures the memory the four apps need, for the resource requests and limits in base/: starts
 * the built apps (npm run build) on one machine against a real broker and database, reads each
 * process's VmRSS and VmHWM (peak RSS) from /proc idle, then again after a burst of POSTs to
 * ingest that the other three apps consume.
 *
 *   BROKER=kafka KAFKA_BROKERS=127.0.0.1:9092 DATABASE_URL=postgres://postgres@127.0.0.1/db \
 *     node deploy/kubernetes/measure-memory.js
 *
 * Optional: REQUESTS (per ingest route, default 3000), EVENTS_PER_REQUEST (default 20),
 * IDLE_MS (default 20000), DRAIN_MS (wait after the burst, default 30000).
 */
'use strict';
const { spawn } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');
const autocannon = require('autocannon');

const ROOT = resolve(__dirname, '..', '..');
const APPS = ['ingest', 'aggregator', 'log-collector', 'pv-counter'];
const BASE_PORT = Number(process.env.BASE_PORT || 39100);
const REQUESTS = Number(process.env.REQUESTS || 3000);
const EVENTS_PER_REQUEST = Number(process.env.EVENTS_PER_REQUEST || 20);
const IDLE_MS = Number(process.env.IDLE_MS || 20_000);
const DRAIN_MS = Number(process.env.DRAIN_MS || 30_000);

/** One valid event per ingest route (the contract's required fields). */
const ROUTES = {
  '/v1/page-views': (i) => ({ pageId: `page-${i % 500}`, visitorId: `visitor-${i % 5000}` }),
  '/v1/orders': (i) => ({
    orderId: `o-${i}`,
    storeId: `s-${i % 20}`,
    productId: `p-${i % 300}`,
    quantity: 1,
    amount: 9.5,
  }),
  '/v1/ticks': (i) => ({ symbol: `SYM${i % 50}`, price: 100 + (i % 7), volume: 10 }),
  '/v1/logs': (i) => ({
    service: 'checkout',
    kind: 'request',
    level: 'info',
    message: `GET /cart/${i} 200`,
  }),
  '/v1/delivery-results': (i) => ({ messageId: `m-${i}`, channel: 'sms', status: 'sent' }),
};

function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: Math.round(kib('VmRSS') / 1024), hwmMiB: Math.round(kib('VmHWM') / 1024) };
}

async function waitReady(url, withinMs) {
  const until = Date.now() + withinMs;
  for (;;) {
    try {
      if ((await fetch(`${url}/health/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`${url} not ready within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function main() {
  const started = [];
  const stop = () =>
    Promise.all(started.map(({ child, exited }) => (child.kill('SIGTERM'), exited)));
  try {
    for (const [index, app] of APPS.entries()) {
      const dataDir = mkdtempSync(join(tmpdir(), `ep-measure-${app}-`));
      const port = BASE_PORT + index;
      const child = spawn(
        process.execPath,
        ['-r', './scripts/register-paths.js', `dist/apps/${app}/src/main.js`],
        {
          cwd: ROOT,
          env: {
            ...process.env,
            PORT: String(port),
            HOST: '127.0.0.1',
            DATA_DIR: dataDir,
            LOG_LEVEL: 'warn',
          },
          stdio: ['ignore', 'ignore', 'inherit'],
        },
      );
      const exited = new Promise((r) => child.once('exit', r));
      started.push({ app, child, exited, dataDir, url: `http://127.0.0.1:${port}` });
      // One at a time: the first one runs the migrations.
      await waitReady(`http://127.0.0.1:${port}`, 120_000);
    }
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const idle = Object.fromEntries(started.map(({ app, child }) => [app, memory(child.pid)]));

    const ingest = started[0].url;
    for (const [path, event] of Object.entries(ROUTES)) {
      let n = 0;
      const result = await autocannon({
        url: `${ingest}${path}`,
        method: 'POST',
        connections: 20,
        amount: REQUESTS,
        headers: { 'content-type': 'application/json' },
        requests: [
          {
            setupRequest: (request) => ({
              ...request,
              body: JSON.stringify(Array.from({ length: EVENTS_PER_REQUEST }, () => event(n++))),
            }),
          },
        ],
      });
      const non2xx = result.non2xx + result.errors;
      console.error(
        `${path}: ${result.requests.total} requests, ${Math.round(result.requests.average)}/s, ${non2xx} not 2xx`,
      );
    }
    await new Promise((r) => setTimeout(r, DRAIN_MS));
    const loaded = Object.fromEntries(started.map(({ app, child }) => [app, memory(child.pid)]));
    console.log(
      JSON.stringify(
        { requestsPerRoute: REQUESTS, eventsPerRequest: EVENTS_PER_REQUEST, idle, loaded },
        null,
        2,
      ),
    );
  } finally {
    await stop();
    for (const { dataDir } of started) rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
