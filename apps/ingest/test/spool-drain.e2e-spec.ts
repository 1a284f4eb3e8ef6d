/**
 * `npm run spool:drain` on Kafka (the run's broker): ingest spools events while a TcpProxy it
 * reaches Kafka through is cut, and stops; the drain refuses while ingest still holds the spool,
 * exits 1 in one line while the broker stays unreachable (leaving the spool as it was), and once
 * the broker is reachable publishes every spooled event exactly once, leaves no segment holding
 * records, and exits 0.
 */
import {
  startAppProcess,
  testServices,
  TcpProxy,
  uniqueName,
  type AppProcess,
} from '@test/support';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEventIdsFromKafka } from './support/kafka-events';
import { sendBatches } from './support/outage-scenario';
import { spoolStatus } from './support/spool-probe';
import { runSpoolDrain } from './support/spool-drain-process';

/** Segment files of a spool directory with their sizes. */
async function segments(dir: string): Promise<Array<{ name: string; size: number }>> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.seg'));
  return Promise.all(
    names.map(async (name) => ({ name, size: (await stat(join(dir, name))).size })),
  );
}

describe('spool:drain on Kafka', () => {
  const brokers = testServices().kafkaBrokers;
  const [brokerHost, brokerPort] = brokers.split(',')[0].split(':');
  let proxy: TcpProxy;
  let dataDir: string;
  let ingest: AppProcess | undefined;

  beforeAll(async () => {
    proxy = await TcpProxy.start(brokerHost, Number(brokerPort));
    dataDir = await mkdtemp(join(tmpdir(), 'ep-spool-drain-'));
  });

  afterAll(async () => {
    await ingest?.kill();
    await proxy?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('replays what a stopped ingest left in its spool, each event once, and empties it', async () => {
    // Every connection to the broker, the advertised address included, goes through the proxy.
    const behindProxy = {
      BROKER: 'kafka',
      KAFKA_BROKERS: proxy.address,
      NODE_OPTIONS: `--require ${join(__dirname, 'support', 'redirect-port.js')}`,
      TEST_REDIRECT_PORT: `${brokerPort}:${proxy.port}`,
      DATA_DIR: dataDir,
    };
    const spoolDir = join(dataDir, 'spool', 'ingest');
    proxy.cut();
    ingest = await startAppProcess('ingest', {
      readyPath: '/health/live',
      env: { ...behindProxy, BREAKER_RESET_MS: '1000' },
    });
    const eventIds = await sendBatches(ingest.url, uniqueName('drain'), 25, 4);
    expect((await spoolStatus(ingest.url)).depth).toBe(eventIds.length);

    // While ingest runs, its spool is locked.
    const refused = await runSpoolDrain({
      BROKER: 'kafka',
      KAFKA_BROKERS: brokers,
      DATA_DIR: dataDir,
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr.trimEnd().split('\n')).toEqual([
      `spool:drain refused: spool directory ${spoolDir} is in use by process ${ingest.pid}; stop that process first`,
    ]);

    expect(await ingest.stop()).toEqual({ code: 0, signal: null });
    ingest = undefined;
    const left = await segments(spoolDir);
    expect(left.some((segment) => segment.size > 0)).toBe(true);

    // The broker still unreachable: a bounded wait, one line, and the spool as it was.
    const unreachable = await runSpoolDrain({ ...behindProxy, SPOOL_DRAIN_TIMEOUT_MS: '3000' });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr.trimEnd().split('\n')).toEqual([
      'spool:drain failed: the broker (BROKER=kafka) was not reachable within SPOOL_DRAIN_TIMEOUT_MS=3000; ingest, logs/ingest left as they were',
    ]);
    expect(await segments(spoolDir)).toEqual(left);

    proxy.restore();
    const drained = await runSpoolDrain({ ...behindProxy, SPOOL_DRAIN_TIMEOUT_MS: '60000' });
    expect({ code: drained.code, stderr: drained.stderr }).toEqual({ code: 0, stderr: '' });

    const readBack = await readEventIdsFromKafka(brokers, 'page-views', eventIds);
    expect(readBack.missing).toEqual([]);
    expect(readBack.mismatched).toBe(0);
    expect([...readBack.counts.values()].reduce((sum, n) => sum + n, 0)).toBe(eventIds.length);
    expect([...readBack.counts.values()].every((n) => n === 1)).toBe(true);
    // The replayed segments are gone; only the empty one the next appends would go to is left.
    const after = await segments(spoolDir);
    expect(after).toHaveLength(1);
    expect(after[0].size).toBe(0);

    // Nothing left: a second run has nothing to replay and exits 0 at once.
    const again = await runSpoolDrain({
      BROKER: 'kafka',
      KAFKA_BROKERS: brokers,
      DATA_DIR: dataDir,
    });
    expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: '' });
  }, 180_000);

  it('refuses BROKER=memory in one line: no broker outside its own process would get the events', async () => {
    const exit = await runSpoolDrain({ BROKER: 'memory', DATA_DIR: dataDir });
    expect(exit.code).toBe(1);
    expect(exit.stderr.trimEnd().split('\n')).toEqual([
      'spool:drain failed: Invalid configuration: BROKER="memory": the in-memory broker lives in one process: set BROKER=kafka or rabbitmq to drain a spool',
    ]);
  });
});
