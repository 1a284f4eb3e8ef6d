/**
 * Ingest as a real process on Kafka through broker outages (docs/contract.md: 202 unless the spool is
 * full; docs/architecture.md, reliable publish): the test's own broker is killed and restarted under steady
 * traffic, and every accepted event reaches the topic; events spooled when ingest is SIGKILLed are
 * delivered by the next ingest on the same DATA_DIR.
 */
import {
  type AppProcess,
  type KafkaBroker,
  startAppProcess,
  startDedicatedKafka,
} from '@test/support';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEventIdsFromKafka } from './support/kafka-events';
import {
  sendBatches,
  spoolDrained,
  steadyLoadThroughOutage,
  type Outage,
} from './support/outage-scenario';
import { spoolStatus } from './support/spool-probe';

const TOPIC = 'page-views';

describe('ingest on Kafka: broker outages', () => {
  let kafka: KafkaBroker;
  let dataDir: string;
  let ingest: AppProcess | undefined;

  const start = () =>
    startAppProcess('ingest', {
      // Live, not ready: it is started while the broker may be down.
      readyPath: '/health/live',
      env: {
        BROKER: 'kafka',
        KAFKA_BROKERS: kafka.brokers,
        DATA_DIR: dataDir,
        BREAKER_RESET_MS: '1000',
      },
    });
  const outage: Outage = { down: () => kafka.kill(), up: () => kafka.restart() };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ep-ingest-kafka-outage-'));
    kafka = await startDedicatedKafka();
  }, 120_000);

  afterEach(async () => {
    await ingest?.kill();
    ingest = undefined;
  });

  afterAll(async () => {
    await kafka?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers 202 to every request while the broker is killed and restarted, and every event reaches the topic', async () => {
    ingest = await start();
    const run = await steadyLoadThroughOutage(ingest, outage, 'kafka-steady', {
      beforeMs: 1_500,
      downMs: 6_000,
      minRunMs: 10_000,
    });

    expect(run.load.failures).toEqual([]);
    expect(run.load.accepted).toBe(run.load.requests);
    expect(run.load.elapsedMs).toBeGreaterThanOrEqual(10_000);
    expect(run.spooled).toBeGreaterThan(0);
    const readBack = await readEventIdsFromKafka(kafka.brokers, TOPIC, run.load.eventIds);
    expect(readBack.missing).toEqual([]);
    expect(readBack.mismatched).toBe(0);
    console.log(
      `kafka outage: ${run.load.requests} requests (${run.load.eventIds.length} events) in ${run.load.elapsedMs} ms, ` +
        `all 202, max latency ${run.load.maxLatencyMs} ms, ${run.spooled} spooled (max depth ${run.maxDepth}), ` +
        `${[...readBack.counts.values()].filter((n) => n > 1).length} delivered more than once`,
    );
  }, 150_000);

  it('delivers the events the spool held when ingest was SIGKILLed, after the broker and ingest restart', async () => {
    ingest = await start();
    await outage.down();
    const eventIds = await sendBatches(ingest.url, 'kafka-crash', 25, 4);
    const before = await spoolStatus(ingest.url);
    expect(before.depth).toBe(eventIds.length);

    await ingest.kill();
    await outage.up();
    ingest = await start();
    await spoolDrained(ingest.url);

    const readBack = await readEventIdsFromKafka(kafka.brokers, TOPIC, eventIds);
    expect(readBack.missing).toEqual([]);
  }, 150_000);
});
