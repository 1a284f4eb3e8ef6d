/**
 * Ticks → candles end to end on the real Kafka and a throwaway PostgreSQL database: ingest (in
 * process) publishes `ticks`, the aggregator consumes them into one-minute candles and live
 * quotes. Candles must equal those computed here from the published ticks (arriving out of
 * order, across many flushes, with a client retry); a quote stream (SSE) must deliver a change
 * within 50 ms of the flush that committed it (the commit observed through a NOTIFY trigger);
 * a stalled stream client must not make the server buffer more than one quote per symbol; and
 * shutdown must end open streams.
 */
import type { HttpApp } from '@lib/platform';
import {
  createThrowawayDatabase,
  freeTcpPort,
  testServices,
  uniqueName,
  waitFor,
} from '@test/support';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client } from 'pg';
import { createIngestApp } from '../../ingest/src/ingest.app';
import { createAggregatorApp } from '../src/aggregator.app';

interface Tick {
  eventId: string;
  symbol: string;
  price: number;
  volume: number;
  occurredAt: string;
}

interface Candle {
  openTime: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  trades: number;
}

interface Quote {
  symbol: string;
  price: number;
  volume: number;
  at: string;
}

/** Symbols of this run only: the `ticks` topic is shared with other tests. */
function symbolPrefix(): string {
  return `Z${randomBytes(3).toString('hex').toUpperCase()}`;
}

/** Candles computed directly: per symbol and UTC minute, open/close by occurredAt. */
function expectedCandles(ticks: readonly Tick[]): Map<string, Candle[]> {
  const bySymbol = new Map<string, Map<number, Tick[]>>();
  for (const tick of ticks) {
    const minute = Math.floor(Date.parse(tick.occurredAt) / 60_000) * 60_000;
    const minutes = bySymbol.get(tick.symbol) ?? new Map<number, Tick[]>();
    bySymbol.set(tick.symbol, minutes);
    minutes.set(minute, [...(minutes.get(minute) ?? []), tick]);
  }
  const out = new Map<string, Candle[]>();
  for (const [symbol, minutes] of bySymbol) {
    const candles = [...minutes.entries()]
      .sort(([a], [b]) => a - b)
      .map(([minute, group]) => {
        const sorted = [...group].sort(
          (a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt),
        );
        return {
          openTime: new Date(minute).toISOString(),
          open: sorted[0].price,
          high: Math.max(...sorted.map((t) => t.price)),
          low: Math.min(...sorted.map((t) => t.price)),
          close: sorted[sorted.length - 1].price,
          volume: sorted.reduce((sum, t) => sum + t.volume, 0),
          trades: sorted.length,
        };
      });
    out.set(symbol, candles);
  }
  return out;
}

/** A raw SSE client: every event's data with the moment it arrived. */
class SseClient {
  readonly events: Array<{ at: number; quotes: Quote[] }> = [];
  ended = false;
  private response?: IncomingMessage;
  private text = '';

  static open(url: string): Promise<SseClient> {
    const client = new SseClient();
    return new Promise((resolve, reject) => {
      const req = httpRequest(url, { headers: { accept: 'text/event-stream' } }, (res) => {
        client.response = res;
        if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => client.onData(chunk));
        res.on('end', () => (client.ended = true));
        res.on('error', () => (client.ended = true));
        resolve(client);
      });
      req.on('error', reject);
      req.end();
    });
  }

  get headers(): IncomingMessage['headers'] {
    return this.response!.headers;
  }

  /** Stops reading: the socket's buffers fill and the server sees a stalled client. */
  pause(): void {
    this.response!.pause();
    this.response!.socket.pause();
  }

  resume(): void {
    this.response!.socket.resume();
    this.response!.resume();
  }

  close(): void {
    this.response?.destroy();
  }

  /** The latest quote received per symbol. */
  latest(): Map<string, Quote> {
    const out = new Map<string, Quote>();
    for (const event of this.events) for (const quote of event.quotes) out.set(quote.symbol, quote);
    return out;
  }

  private onData(chunk: string): void {
    const at = performance.now();
    this.text += chunk;
    let end: number;
    while ((end = this.text.indexOf('\n\n')) >= 0) {
      const block = this.text.slice(0, end);
      this.text = this.text.slice(end + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6))
        .join('\n');
      if (data) this.events.push({ at, quotes: JSON.parse(data) as Quote[] });
    }
  }
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * Heap in use after a full garbage collection: what is retained, not what awaits collection.
 * jest does not start node with --expose-gc; the flag can be set at run time and gc() fetched
 * from a fresh context.
 */
function retainedHeap(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('aggregator: ticks → candles and live quotes (Kafka, PostgreSQL)', () => {
  const dirs: string[] = [];
  let aggregator: HttpApp;
  let ingest: HttpApp;
  let aggregatorUrl: string;
  let ingestUrl: string;
  let databaseUrl: string;

  async function start(
    create: typeof createAggregatorApp,
    env: Record<string, string>,
  ): Promise<[HttpApp, string]> {
    const dataDir = await mkdtemp(join(tmpdir(), 'ep-candles-'));
    dirs.push(dataDir);
    const app = await create({
      BROKER: 'kafka',
      KAFKA_BROKERS: testServices().kafkaBrokers,
      DATA_DIR: dataDir,
      PORT: String(await freeTcpPort()),
      LOG_LEVEL: 'error',
      SHUTDOWN_GRACE_MS: '0',
      ...env,
    });
    return [app, await app.listen()];
  }

  /**
   * POSTs ticks to ingest on a connection of its own (`agent: false`): pooled keep-alive
   * connections left by large bodies would hold ingest's close for Fastify's keep-alive timeout.
   */
  function post(ticks: readonly Tick[]): Promise<void> {
    const body = JSON.stringify(ticks);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        `${ingestUrl}/v1/ticks`,
        {
          method: 'POST',
          agent: false,
          timeout: 30_000,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () =>
            res.statusCode === 202
              ? resolve()
              : reject(new Error(`POST /v1/ticks: ${res.statusCode} ${text}`)),
          );
        },
      );
      req.on('timeout', () => req.destroy(new Error('POST /v1/ticks timed out')));
      req.on('error', reject);
      req.end(body);
    });
  }

  async function get<T>(path: string): Promise<{ status: number; body: T }> {
    const response = await fetch(`${aggregatorUrl}${path}`, {
      signal: AbortSignal.timeout(15_000),
    });
    return { status: response.status, body: (await response.json()) as T };
  }

  async function metric(name: string): Promise<number> {
    const text = await (await fetch(`${aggregatorUrl}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? NaN : Number(line.split(' ')[1]);
  }

  beforeAll(async () => {
    databaseUrl = await createThrowawayDatabase('candles');
    // A group of its own: other aggregator suites share the broker and would share the partitions.
    [aggregator, aggregatorUrl] = await start(createAggregatorApp, {
      DATABASE_URL: databaseUrl,
      CONSUMER_GROUP: uniqueName('aggregator'),
    });
    [ingest, ingestUrl] = await start(createIngestApp, {});
    // Warm-up: the first consumer join and topic creation take a while on a busy machine; once a
    // tick posted now has a quote, the pipeline is connected end to end.
    const warm = `${symbolPrefix()}W`;
    await post([
      {
        eventId: `${warm}-0`,
        symbol: warm,
        price: 1,
        volume: 1,
        occurredAt: new Date().toISOString(),
      },
    ]);
    await waitFor(async () => (await get(`/v1/quotes/${warm}`)).status === 200, {
      timeoutMs: 120_000,
      intervalMs: 200,
      description: 'the warm-up tick stored',
    });
  }, 180_000);

  afterAll(async () => {
    await ingest?.app.close().catch(() => undefined);
    await aggregator?.app.close().catch(() => undefined);
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('stores candles equal to those computed from the published ticks, out of order, across flushes, retried', async () => {
    const prefix = symbolPrefix();
    const symbols = Array.from({ length: 6 }, (_, i) => `${prefix}S${i}`);
    const base = Date.parse('2026-02-03T09:00:00Z') + randomInt(1_000) * 3_600_000;
    const ticks: Tick[] = [];
    let n = 0;
    for (const symbol of symbols)
      for (let minute = 0; minute < 4; minute++) {
        // Distinct milliseconds within the minute, so open and close are unambiguous.
        const offsets = new Set<number>();
        while (offsets.size < 12 + randomInt(10)) offsets.add(randomInt(60_000));
        for (const offset of offsets)
          ticks.push({
            eventId: `${prefix}-${n++}`,
            symbol,
            price: Math.round((50 + randomInt(10_000) / 100) * 100) / 100,
            volume: randomInt(1_000),
            occurredAt: new Date(base + minute * 60_000 + offset).toISOString(),
          });
      }
    // Shuffled: per symbol, arrival order is publish order (the key is the symbol), and occurredAt
    // jumps back and forth within and across minutes.
    for (let i = ticks.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [ticks[i], ticks[j]] = [ticks[j], ticks[i]];
    }
    // Small posts with pauses: a minute's ticks, its first and last among them, land in many flushes.
    for (let i = 0; i < ticks.length; i += 40) {
      await post(ticks.slice(i, i + 40));
      if (i === 80) await post(ticks.slice(0, 40)); // a client retry: the same eventIds again
      await sleep(30);
    }
    const expected = expectedCandles(ticks);
    const from = new Date(base).toISOString();
    const to = new Date(base + 4 * 60_000).toISOString();
    for (const symbol of symbols) {
      const want = expected.get(symbol)!;
      const total = want.reduce((sum, c) => sum + c.trades, 0);
      const got = await waitFor(
        async () => {
          const { status, body } = await get<Candle[]>(
            `/v1/candles/${symbol}?interval=1m&from=${from}&to=${to}`,
          );
          if (status !== 200) throw new Error(`GET candles: ${status} ${JSON.stringify(body)}`);
          return body.reduce((sum, c) => sum + c.trades, 0) >= total ? body : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 200, description: `${total} trades of ${symbol}` },
      );
      expect(got).toEqual(want);
      const latest = ticks
        .filter((t) => t.symbol === symbol)
        .sort((a, b) => Date.parse(b.occurredAt) - Date.parse(a.occurredAt))[0];
      expect((await get<Quote>(`/v1/quotes/${symbol}`)).body).toEqual({
        symbol,
        price: latest.price,
        volume: latest.volume,
        at: latest.occurredAt,
      });
    }
    // Nothing arrives later (a retried tick counted twice would).
    await sleep(1_000);
    const again = await get<Candle[]>(`/v1/candles/${symbols[0]}?from=${from}&to=${to}`);
    expect(again.body).toEqual(expected.get(symbols[0]));
  }, 180_000);

  it('answers 400 with the field for bad parameters and 404 for an unknown quote', async () => {
    const cases: Array<[string, string]> = [
      ['/v1/candles/acme', 'symbol'],
      [`/v1/candles/${'A'.repeat(17)}`, 'symbol'],
      ['/v1/candles/ACME?interval=5m', 'interval'],
      ['/v1/candles/ACME?from=yesterday', 'from'],
      ['/v1/candles/ACME?to=2026-01-01T00:00:00', 'to'],
      ['/v1/candles/ACME?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'from'],
      ['/v1/candles/ACME?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z', 'to'],
      ['/v1/quotes/ac%20me', 'symbol'],
      ['/v1/quotes/stream?symbols=A,b', 'symbols[1]'],
    ];
    for (const [path, field] of cases) {
      const { status, body } = await get<{ details: Array<{ field: string }> }>(path);
      expect({ path, status }).toEqual({ path, status: 400 });
      expect(body.details.map((d) => d.field)).toContain(field);
    }
    const unknown = await get<{ statusCode: number; message: string }>(
      `/v1/quotes/${symbolPrefix()}NONE`,
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toMatch(/no quote for .*NONE/);
    const empty = await get<Candle[]>(`/v1/candles/${symbolPrefix()}NONE`);
    expect(empty).toEqual({ status: 200, body: [] });
  }, 60_000);

  it('pushes a committed quote to a stream subscriber within 50 ms of its flush (median and p95)', async () => {
    // The commit moment, observed from outside: a trigger NOTIFYs on every candle write, and
    // PostgreSQL delivers a notification only when its transaction commits.
    const listener = new Client({ connectionString: databaseUrl });
    await listener.connect();
    await listener.query(`CREATE OR REPLACE FUNCTION candles_committed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('candles_committed', NEW.symbol || '|' || NEW.close::text); RETURN NEW; END $$`);
    await listener.query(
      'CREATE TRIGGER candles_committed AFTER INSERT OR UPDATE ON candles_1m FOR EACH ROW EXECUTE FUNCTION candles_committed()',
    );
    const commits = new Map<string, number>();
    listener.on('notification', (note) => commits.set(note.payload ?? '', performance.now()));
    await listener.query('LISTEN candles_committed');
    const symbol = `${symbolPrefix()}L`;
    const stream = await SseClient.open(`${aggregatorUrl}/v1/quotes/stream?symbols=${symbol}`);
    try {
      expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(stream.headers['cache-control']).toBe('no-cache');
      const latencies: number[] = [];
      for (let k = 1; k <= 20; k++) {
        const price = 100 + k;
        await post([
          {
            eventId: `${symbol}-${k}`,
            symbol,
            price,
            volume: k,
            occurredAt: new Date().toISOString(),
          },
        ]);
        const pushed = await waitFor(
          () =>
            stream.events.find((e) =>
              e.quotes.some((q) => q.symbol === symbol && q.price === price),
            ),
          { timeoutMs: 30_000, intervalMs: 5, description: `quote ${price} pushed` },
        );
        const committed = await waitFor(() => commits.get(`${symbol}|${price}`), {
          timeoutMs: 5_000,
          intervalMs: 5,
          description: `commit of ${price} notified`,
        });
        latencies.push(pushed!.at - committed!);
        await sleep(50 + randomInt(50));
      }
      const median = percentile(latencies, 50);
      const p95 = percentile(latencies, 95);
      console.log(
        `SSE push after commit: median ${median.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`,
      );
      expect(median).toBeLessThanOrEqual(50);
      expect(p95).toBeLessThanOrEqual(50);
      // One event per push at most, holding only changed quotes of the subscribed symbol.
      expect(
        stream.events.every((e) => e.quotes.length === 1 && e.quotes[0].symbol === symbol),
      ).toBe(true);
    } finally {
      stream.close();
      await listener.query('DROP TRIGGER candles_committed ON candles_1m');
      await listener.end();
    }
  }, 180_000);

  it('keeps a stalled subscriber at one pending quote per symbol and delivers the latest state when it reads again', async () => {
    const prefix = symbolPrefix();
    const symbols = Array.from({ length: 1_000 }, (_, i) => `${prefix}MANY${i}`);
    // Every symbol: 1 000 changed quotes make ~90 KB per push, so the paused client's socket
    // buffers (several MB on loopback) fill within seconds.
    const stalled = await SseClient.open(`${aggregatorUrl}/v1/quotes/stream`);
    stalled.pause();
    const heapBefore = retainedHeap();
    const blockedBefore = await metric('aggregator_sse_blocked_pushes_total');
    let maxPending = 0;
    let maxBuffered = 0;
    let maxHeapGrowth = 0;
    let blocked = 0;
    let blockedSince: number | undefined;
    const last = new Map<string, number>();
    const started = Date.now();
    let round = 0;
    // Publish until the server has been skipping pushes for 4 s (every symbol changing every round).
    while (blockedSince === undefined || Date.now() - blockedSince < 4_000) {
      if (Date.now() - started > 90_000)
        throw new Error(`the stalled client never blocked a push in ${round} rounds`);
      round++;
      const batch = symbols.map((symbol, i) => ({
        eventId: `${prefix}-${round}-${i}`,
        symbol,
        price: round * 10_000 + i,
        volume: round,
        occurredAt: new Date().toISOString(),
      }));
      for (const tick of batch) last.set(tick.symbol, tick.price);
      await post(batch);
      // Pending first: the quote book only grows, so symbols read after it bound it even while
      // ticks of new symbols are still being committed between the two scrapes.
      const subscribers = await metric('aggregator_sse_subscribers');
      const pending = await metric('aggregator_sse_pending_quotes');
      const known = await metric('aggregator_quote_symbols');
      // At most one pending quote per known symbol and subscriber, however long it stalls (a
      // subscriber of an earlier test may still be closing, so the gauge is read, not assumed 1).
      expect(pending).toBeLessThanOrEqual(known * Math.max(1, subscribers));
      maxPending = Math.max(maxPending, pending);
      maxBuffered = Math.max(maxBuffered, await metric('aggregator_sse_buffered_bytes'));
      if (round % 10 === 0) maxHeapGrowth = Math.max(maxHeapGrowth, retainedHeap() - heapBefore);
      blocked = (await metric('aggregator_sse_blocked_pushes_total')) - blockedBefore;
      if (blocked > 0) blockedSince ??= Date.now();
    }
    console.log(
      `stalled client: ${round} rounds × ${symbols.length} symbols in ${Date.now() - started} ms, ${blocked} pushes skipped, ` +
        `max pending ${maxPending}, max buffered ${maxBuffered} B, max heap growth ${(maxHeapGrowth / 1e6).toFixed(1)} MB`,
    );
    // Bytes held in the response: about one socket high-water mark (16 KiB) plus one event.
    expect(maxBuffered).toBeLessThanOrEqual(256 * 1024);
    maxHeapGrowth = Math.max(maxHeapGrowth, retainedHeap() - heapBefore);
    // The whole process (ingest, aggregator, Kafka clients, this test) retains less than 32 MB
    // more, while a queue of the skipped events would hold ~90 KB each.
    expect(maxHeapGrowth).toBeLessThan(32 * 1024 * 1024);
    // Reading again, it gets the latest quote of every symbol (intermediate ones were skipped).
    stalled.resume();
    await waitFor(
      () => {
        const latest = stalled.latest();
        return symbols.every((symbol) => latest.get(symbol)?.price === last.get(symbol));
      },
      {
        timeoutMs: 60_000,
        intervalMs: 100,
        description: 'the latest quotes of every symbol pushed',
      },
    );
    const received = stalled.events.reduce(
      (sum, e) => sum + e.quotes.filter((q) => q.symbol.startsWith(prefix)).length,
      0,
    );
    expect(received).toBeLessThan(round * symbols.length);
    stalled.close();
    await waitFor(async () => (await metric('aggregator_sse_subscribers')) === 0, {
      description: 'subscriber removed',
    });
  }, 180_000);

  it('ends open streams on shutdown, so the app stops', async () => {
    const stream = await SseClient.open(`${aggregatorUrl}/v1/quotes/stream`);
    const started = Date.now();
    await aggregator.app.close();
    expect(Date.now() - started).toBeLessThan(20_000);
    await waitFor(() => stream.ended, { timeoutMs: 5_000, description: 'the stream ended' });
  }, 60_000);
});
