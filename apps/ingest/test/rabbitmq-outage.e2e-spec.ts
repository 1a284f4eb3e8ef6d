/**
 * Ingest as a real process on RabbitMQ through outages (docs/contract.md: 202 unless the spool is
 * full; docs/architecture.md, reliable publish). The machine's RabbitMQ is shared and never stopped: ingest
 * reaches it through a TcpProxy that the test cuts and restores. Events are read back from a queue
 * of the test's own bound to the `page-views` exchange.
 */
import { type AppProcess, startAppProcess, TcpProxy, testServices } from '@test/support';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectErrorAnswer } from './support/expectations';
import { postJson, send } from './support/http';
import {
  sendBatches,
  spoolDrained,
  steadyLoadThroughOutage,
  type Outage,
} from './support/outage-scenario';
import { RabbitTap } from './support/rabbit-tap';
import { spoolStatus } from './support/spool-probe';

const EXCHANGE = 'page-views';

/** `url` with host and port replaced by the proxy's. */
function viaProxy(url: string, proxy: TcpProxy): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  return u.toString();
}

describe('ingest on RabbitMQ: broker outages', () => {
  let proxy: TcpProxy;
  let tap: RabbitTap;
  let dataDir: string;
  let ingest: AppProcess | undefined;

  const start = (extra: Record<string, string> = {}) =>
    startAppProcess('ingest', {
      // Live, not ready: it is started while the broker may be down.
      readyPath: '/health/live',
      env: {
        BROKER: 'rabbitmq',
        RABBITMQ_URL: viaProxy(testServices().rabbitmqUrl, proxy),
        DATA_DIR: dataDir,
        BREAKER_RESET_MS: '1000',
        ...extra,
      },
    });
  // The proxy resets every connection on cut(), like a broker that died.
  const outage: Outage = {
    down: async () => proxy.cut(),
    up: async () => proxy.restore(),
  };

  beforeAll(async () => {
    const target = new URL(testServices().rabbitmqUrl);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 5672));
    dataDir = await mkdtemp(join(tmpdir(), 'ep-ingest-rabbitmq-outage-'));
    tap = await RabbitTap.open(testServices().rabbitmqUrl, EXCHANGE);
  });

  afterEach(async () => {
    proxy.restore();
    await ingest?.kill();
    ingest = undefined;
  });

  afterAll(async () => {
    await tap?.close();
    await proxy?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers 202 to every request while the broker is cut off and restored, and every event reaches the exchange', async () => {
    ingest = await start();
    const run = await steadyLoadThroughOutage(ingest, outage, 'rabbitmq-steady', {
      beforeMs: 1_500,
      downMs: 10_000,
      minRunMs: 12_000,
    });

    expect(run.load.failures).toEqual([]);
    expect(run.load.accepted).toBe(run.load.requests);
    expect(run.load.elapsedMs).toBeGreaterThanOrEqual(12_000);
    expect(run.spooled).toBeGreaterThan(0);
    const readBack = await tap.readBack(run.load.eventIds);
    expect(readBack.missing).toEqual([]);
    expect(readBack.mismatched).toBe(0);
    console.log(
      `rabbitmq outage: ${run.load.requests} requests (${run.load.eventIds.length} events) in ${run.load.elapsedMs} ms, ` +
        `all 202, max latency ${run.load.maxLatencyMs} ms, ${run.spooled} spooled (max depth ${run.maxDepth}), ` +
        `${[...readBack.counts.values()].filter((n) => n > 1).length} delivered more than once`,
    );
  }, 150_000);

  it('delivers the events the spool held when ingest was SIGKILLed, after the broker is back and ingest restarts', async () => {
    ingest = await start();
    await outage.down();
    const eventIds = await sendBatches(ingest.url, 'rabbitmq-crash', 25, 4);
    const before = await spoolStatus(ingest.url);
    expect(before.depth).toBe(eventIds.length);

    await ingest.kill();
    await outage.up();
    ingest = await start();
    await spoolDrained(ingest.url);

    const readBack = await tap.readBack(eventIds);
    expect(readBack.missing).toEqual([]);
  }, 150_000);

  it('answers 503 only once the broker is unreachable and the spool is full, and 202 again after the replay', async () => {
    // The smallest cap the configuration takes; SPOOL_MAX_BYTES alone must be a valid setting.
    ingest = await start({
      SPOOL_MAX_BYTES: String(64 * 1024),
      DATA_DIR: join(dataDir, 'small-spool'),
    });
    await outage.down();
    const accepted: string[] = [];
    let refused;
    for (let request = 0; request < 200 && !refused; request++) {
      const ids = Array.from({ length: 50 }, (_, i) => `rabbitmq-full-${request}-${i}`);
      const answer = await postJson(
        `${ingest.url}/v1/page-views`,
        ids.map((eventId) => ({ pageId: 'full', eventId })),
      );
      if (answer.status === 202) accepted.push(...ids);
      else refused = answer;
    }
    expect(accepted.length).toBeGreaterThan(0);
    expect(refused).toBeDefined();
    expect(expectErrorAnswer(refused!, 503).error).toBe('Service Unavailable');
    const ready = await send(`${ingest.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual(
      expect.objectContaining({
        error: expect.objectContaining({
          'spool:ingest': expect.objectContaining({ status: 'down' }),
        }),
      }),
    );

    await outage.up();
    await spoolDrained(ingest.url);
    const after = await postJson(`${ingest.url}/v1/page-views`, {
      pageId: 'full',
      eventId: 'rabbitmq-full-after',
    });
    expect(after.status).toBe(202);
    const readBack = await tap.readBack([...accepted, 'rabbitmq-full-after']);
    expect(readBack.missing).toEqual([]);
  }, 150_000);
});
