/**
 * pv-counter crash recovery, all real: ingest → Kafka → pv-counter (the built app, a child
 * process) → PostgreSQL → read API. pv-counter is SIGKILLed three times at random points while
 * page views stream in, and restarted each time. At the end every page's views are exact (the
 * Kafka offsets are stored in the flush transaction, so nothing is lost or counted twice) and its
 * unique visitors exact up to 1,000 and, for the busier pages, the estimate of one sketch of their
 * visitors, within 2 % (sketches are merged, so replays change nothing); and ingest answered
 * 202 to every request throughout: the page is never affected by pv-counter being down.
 */
import { createThrowawayDatabase, startAppProcess, waitFor, type AppProcess } from '@test/support';
import {
  compareWithPlan,
  sketchesMerged,
  planViews,
  readTopPages,
  sendPaced,
  startIngestOnOwnKafka,
  storedViews,
  type IngestOnKafka,
  type SendLog,
} from './support/page-view-stream';

const EVENTS = 30_000;
const PAGES = 100;
const VISITORS = 4_000;
const KILLS = 3;

describe('pv-counter crash recovery on Kafka', () => {
  let pipeline: IngestOnKafka | undefined;
  let counter: AppProcess | undefined;

  beforeAll(async () => {
    pipeline = await startIngestOnOwnKafka();
  }, 180_000);

  afterAll(async () => {
    await counter?.kill();
    await pipeline?.close();
  }, 120_000);

  it(`SIGKILL ${KILLS}× mid-stream, restart each time: views exact, uniques exact up to 1,000, ingest always 202`, async () => {
    const databaseUrl = await createThrowawayDatabase('pv_crash');
    const env = {
      BROKER: 'kafka',
      KAFKA_BROKERS: pipeline!.kafka.brokers,
      DATABASE_URL: databaseUrl,
    };
    const start = () => startAppProcess('pv-counter', { env, readyWithinMs: 120_000 });
    counter = await start();
    const plan = planViews('pv-crash', EVENTS, PAGES, VISITORS);
    const sent: SendLog = { statuses: [], failures: [] };
    // ~800 views/s for ~40 s: the kills land while views are still arriving.
    const sending = sendPaced(pipeline!.ingestUrl, plan.views, 200, 250, sent);

    const killedAt: number[] = [];
    for (let kill = 1; kill <= KILLS; kill++) {
      // A random point of the rest of the stream, before its end.
      const base = await storedViews(databaseUrl, plan.day);
      const target =
        base + Math.floor(((EVENTS - base) / (KILLS + 2 - kill)) * (0.3 + Math.random() * 0.7));
      await waitFor(async () => (await storedViews(databaseUrl, plan.day)) >= target, {
        timeoutMs: 180_000,
        intervalMs: 20,
        description: `${target} views stored before kill ${kill}`,
      });
      await new Promise((r) => setTimeout(r, Math.random() * 150)); // anywhere in a flush cycle
      const n = await storedViews(databaseUrl, plan.day);
      killedAt.push(n);
      expect(n).toBeLessThan(EVENTS); // really mid-stream
      await counter.kill();
      counter = await start();
    }
    await sending;

    await waitFor(async () => (await storedViews(databaseUrl, plan.day)) >= EVENTS, {
      timeoutMs: 180_000,
      intervalMs: 250,
      description: `${EVENTS} views stored (killed at ${killedAt.join(', ')})`,
    });
    await new Promise((r) => setTimeout(r, 1_500)); // a late redelivery would show now
    expect({ killedAt, stored: await storedViews(databaseUrl, plan.day) }).toEqual({
      killedAt,
      stored: EVENTS,
    });

    // Through the read API: every page exact, uniques as uniquesProblem requires, most viewed first.
    await sketchesMerged(databaseUrl);
    expect(await compareWithPlan(counter.url, plan)).toEqual([]);
    const top = await readTopPages(counter.url, plan.day);
    const wantedViews = [...plan.expected.values()].map((e) => e.views).sort((a, b) => b - a);
    expect(top.map((p) => p.views)).toEqual(wantedViews.slice(0, 100));

    // The page was never affected: every ingest request answered 202 while pv-counter was down.
    expect(sent.failures).toEqual([]);
    expect(sent.statuses).toHaveLength(EVENTS / 200);
    expect(new Set(sent.statuses)).toEqual(new Set([202]));

    // A graceful stop exits 0 once the shutdown finished (stop() rejects if it hangs).
    expect(await counter.stop(60_000)).toEqual({ code: 0, signal: null });
    counter = undefined;
  }, 600_000);
});
