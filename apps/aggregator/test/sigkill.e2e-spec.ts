/**
 * The aggregator as a real child process on Kafka, SIGKILLed three times while ticks, orders and
 * delivery results are being published (some batches twice, as a retrying client would), and
 * restarted each time. At the end every pipeline is exact: `delivery_results` holds each
 * published status change once, `candles_1m` equals the candles computed here from the ticks,
 * and `sales_daily` equals the per (day, store, product) sums of the orders. The offsets are
 * stored in the flush's transaction, so neither a lost nor a doubled batch can hide.
 *
 * A Kafka broker of the test's own: the aggregator's consumer group is its app name, so on the
 * shared broker another aggregator test would share the partitions (and store them elsewhere).
 * Runs `dist/`: `npm run build` first (npm test does).
 */
import type { HttpApp } from '@lib/platform';
import {
  createThrowawayDatabase,
  freeTcpPort,
  startAppProcess,
  startDedicatedKafka,
  waitFor,
  type AppProcess,
  type KafkaBroker,
} from '@test/support';
import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIngestApp } from '../../ingest/src/ingest.app';
import {
  progress,
  storedCandles,
  storedResultEventIds,
  storedSales,
} from './support/aggregator-tables';
import { byCodePoint, planDeliveries, type ExpectedDelivery } from './support/delivery-plan';
import { getJson, postEvents } from './support/http';
import { planOrders, planTicks } from './support/market-plan';

const KILLS = 3;
const CHUNK = 30;
/** Pause between publishing rounds: spreads the stream over about two minutes, so every kill lands mid-stream. */
const ROUND_PAUSE_MS = 900;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('aggregator SIGKILL mid-stream on Kafka', () => {
  let kafka: KafkaBroker | undefined;
  let aggregator: AppProcess | undefined;
  let ingest: HttpApp | undefined;
  const dirs: string[] = [];

  afterAll(async () => {
    await aggregator?.kill();
    await ingest?.app.close().catch(() => undefined);
    await kafka?.stop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it(`SIGKILL ${KILLS}× while publishing, restart each time: delivery histories, candles and sales exact`, async () => {
    kafka = await startDedicatedKafka();
    const databaseUrl = await createThrowawayDatabase('aggregator_sigkill');
    const dataDir = await mkdtemp(join(tmpdir(), 'ep-aggregator-sigkill-'));
    const ingestDir = await mkdtemp(join(tmpdir(), 'ep-ingest-sigkill-'));
    dirs.push(dataDir, ingestDir);
    const env = {
      BROKER: 'kafka',
      KAFKA_BROKERS: kafka.brokers,
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      LOG_SHIP: 'false',
    };
    // The aggregator first: it creates the topics (3 partitions each) before anything is published.
    aggregator = await startAppProcess('aggregator', { env, readyWithinMs: 120_000 });
    ingest = await createIngestApp({
      BROKER: 'kafka',
      KAFKA_BROKERS: kafka.brokers,
      DATA_DIR: ingestDir,
      PORT: String(await freeTcpPort()),
      LOG_LEVEL: 'error',
      LOG_SHIP: 'false',
    });
    const ingestUrl = await ingest.listen();

    const deliveries = planDeliveries('sk', 800);
    const { ticks, candles } = planTicks(15, 200);
    const { orders, sales } = planOrders(3_000, 6, 25);
    const want = {
      results: deliveries.events.length,
      trades: ticks.length,
      quantity: orders.reduce((sum, order) => sum + order.quantity, 0),
    };
    const total = want.results + want.trades + want.quantity;
    const done = async () => {
      const now = await progress(databaseUrl);
      return now.results + now.trades + now.quantity;
    };

    // Round-robin over the three streams, a chunk of each per round; every fifth chunk is sent
    // twice (a client that retried with the same eventIds).
    const streams: Array<[string, readonly object[]]> = [
      ['delivery-results', deliveries.events],
      ['ticks', ticks],
      ['orders', orders],
    ];
    let published = 0;
    const publishing = (async () => {
      for (let round = 0; streams.some(([, events]) => round * CHUNK < events.length); round++) {
        for (const [stream, events] of streams) {
          const chunk = events.slice(round * CHUNK, (round + 1) * CHUNK);
          if (chunk.length === 0) continue;
          await postEvents(`${ingestUrl}/v1/${stream}`, chunk);
          if (round % 5 === 0) await postEvents(`${ingestUrl}/v1/${stream}`, chunk);
          published += chunk.length;
        }
        await sleep(ROUND_PAUSE_MS);
      }
    })();
    publishing.catch(() => undefined); // awaited below; a failure there fails the test

    const killedAt: number[] = [];
    for (let kill = 1; kill <= KILLS; kill++) {
      // Kill once the (re)started aggregator has been consuming for a moment, at a random point.
      const base = await done();
      await waitFor(async () => (await done()) >= base + 300, {
        timeoutMs: 180_000,
        intervalMs: 50,
        description: `the aggregator consuming before kill ${kill} (${published} published)`,
      });
      await sleep(randomInt(1_500));
      const at = await done();
      killedAt.push(at);
      expect(at).toBeLessThan(total); // really mid-stream
      await aggregator.kill();
      aggregator = await startAppProcess('aggregator', { env, readyWithinMs: 120_000 });
    }
    await publishing;

    const reached = await waitFor(async () => ((await done()) >= total ? true : undefined), {
      timeoutMs: 240_000,
      intervalMs: 250,
      description: `all ${total} effects stored (killed at ${killedAt.join(', ')})`,
    }).catch(async (error: Error) => {
      throw new Error(
        `${error.message}: ${JSON.stringify(await progress(databaseUrl))} of ${JSON.stringify(want)}`,
      );
    });
    expect(reached).toBe(true);
    await sleep(2_000); // a doubled batch would arrive after the totals
    expect({ killedAt, progress: await progress(databaseUrl) }).toEqual({
      killedAt,
      progress: want,
    });

    expect(await storedResultEventIds(databaseUrl)).toEqual(
      deliveries.events.map((event) => event.eventId).sort(byCodePoint),
    );
    expect(await storedCandles(databaseUrl)).toEqual(candles);
    expect(await storedSales(databaseUrl)).toEqual(sales);
    // The routes agree with the table for a sample of messages.
    const sample = [...deliveries.expected.values()].filter((_, i) => i % 40 === 0);
    for (const expected of sample) {
      const path = `/v1/delivery-results/${encodeURIComponent(expected.messageId)}`;
      expect(await getJson<ExpectedDelivery>(`${aggregator.url}${path}`)).toEqual({
        status: 200,
        body: expected,
      });
    }

    // A graceful stop exits 0 once the shutdown finished (stop() throws if the process needs a
    // SIGKILL instead).
    expect(await aggregator.stop(60_000)).toEqual({ code: 0, signal: null });
  }, 600_000);
});
