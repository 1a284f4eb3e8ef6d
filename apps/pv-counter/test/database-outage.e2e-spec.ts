/**
 * pv-counter's database cut for 10 s during a steady stream, all real: ingest → Kafka →
 * pv-counter (the built app, a child process) → TcpProxy → PostgreSQL. While the database is
 * unreachable nothing is written, pv-counter's readiness answers 503 (its flushes keep their data
 * and retry) and ingest keeps answering 202; once the proxy forwards again readiness returns to 200,
 * counting resumes and every page is exact at the end.
 */
import {
  createThrowawayDatabase,
  startAppProcess,
  TcpProxy,
  waitFor,
  type AppProcess,
} from '@test/support';
import {
  compareWithPlan,
  sketchesMerged,
  planViews,
  sendPaced,
  startIngestOnOwnKafka,
  storedViews,
  type IngestOnKafka,
  type SendLog,
} from './support/page-view-stream';

const EVENTS = 24_000;
const CUT_MS = 10_000;

async function readiness(url: string): Promise<number> {
  try {
    return (await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(3_000) })).status;
  } catch {
    return 0; // no answer within 3 s counts as not ready
  }
}

describe('pv-counter database outage', () => {
  let pipeline: IngestOnKafka | undefined;
  let proxy: TcpProxy | undefined;
  let counter: AppProcess | undefined;

  beforeAll(async () => {
    pipeline = await startIngestOnOwnKafka();
  }, 180_000);

  afterAll(async () => {
    await counter?.kill();
    await proxy?.close();
    await pipeline?.close();
  }, 120_000);

  it(`database cut for ${CUT_MS / 1000} s mid-stream: ready 503 then 200, ingest always 202, counts exact`, async () => {
    const databaseUrl = await createThrowawayDatabase('pv_db_outage');
    const target = new URL(databaseUrl);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
    const viaProxy = new URL(databaseUrl);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    counter = await startAppProcess('pv-counter', {
      env: {
        BROKER: 'kafka',
        KAFKA_BROKERS: pipeline!.kafka.brokers,
        DATABASE_URL: viaProxy.toString(),
      },
      readyWithinMs: 120_000,
    });
    const url = counter.url;
    const plan = planViews('pv-outage', EVENTS, 80, 3_000);
    const sent: SendLog = { statuses: [], failures: [] };
    // ~800 views/s for ~30 s; the cut falls in the middle.
    const sending = sendPaced(pipeline!.ingestUrl, plan.views, 200, 250, sent);

    await waitFor(async () => (await storedViews(databaseUrl, plan.day)) >= EVENTS / 6, {
      timeoutMs: 120_000,
      intervalMs: 100,
      description: 'counting under way before the cut',
    });
    proxy.cut();
    const cutAt = Date.now();
    const sentBeforeCut = sent.statuses.length;
    const during: number[] = [];
    await new Promise((r) => setTimeout(r, 2_000)); // a flush under way when the cut came ends
    const storedEarlyInCut = await storedViews(databaseUrl, plan.day);
    while (Date.now() - cutAt < CUT_MS) {
      during.push(await readiness(url));
      await new Promise((r) => setTimeout(r, 200));
    }
    const storedLateInCut = await storedViews(databaseUrl, plan.day);
    const sentDuringCut = sent.statuses.length;
    proxy.restore();

    // Nothing reached the database through the cut proxy, and readiness said so.
    expect(storedLateInCut).toBe(storedEarlyInCut);
    expect(storedLateInCut).toBeLessThan(EVENTS);
    expect(during).toContain(503);
    await waitFor(async () => (await readiness(url)) === 200, {
      timeoutMs: 60_000,
      intervalMs: 200,
      description: 'pv-counter ready again after the database came back',
    });

    await sending;
    await waitFor(async () => (await storedViews(databaseUrl, plan.day)) >= EVENTS, {
      timeoutMs: 180_000,
      intervalMs: 250,
      description: `${EVENTS} views stored after the outage`,
    });
    await new Promise((r) => setTimeout(r, 1_500)); // a late duplicate would show now
    expect(await storedViews(databaseUrl, plan.day)).toBe(EVENTS);
    await sketchesMerged(databaseUrl);
    expect(await compareWithPlan(url, plan)).toEqual([]);

    // The page was never affected: ingest answered 202 before, during and after the outage.
    expect(sentDuringCut).toBeGreaterThan(sentBeforeCut); // requests were answered during the outage
    expect(sentDuringCut).toBeLessThan(EVENTS / 200); // and the stream went on after it
    expect(sent.failures).toEqual([]);
    expect(new Set(sent.statuses)).toEqual(new Set([202]));
    expect(sent.statuses).toHaveLength(EVENTS / 200);

    await counter.stop(60_000);
    counter = undefined;
  }, 600_000);
});
