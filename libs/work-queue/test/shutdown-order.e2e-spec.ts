/**
 * SIGTERM of a consuming process with a handler busy and rows buffered: the counter fixture
 * (a real process) prints its shutdown milestones, and the order is pinned: handlers finish
 * (their rows reach the queue), the flush holding them commits, the Flush phase (offsets / acks)
 * completes, and only then the database closes; exit code 0; nothing is lost or double counted
 * once a second process finishes the stream.
 */
import { createThrowawayDatabase, waitFor } from '@test/support';
import {
  CounterProcess,
  dbPerKey,
  dbTotals,
  expectedPerKey,
  expectedTotals,
  indexOfPhase,
  lastIndexOfPhase,
  makeEvents,
  type PhaseLine,
} from './support/counter-harness';
import { counterBroker } from './support/brokers';

const EVENTS = 20_000;
const KEYS = 200;

describe.each(['kafka', 'rabbitmq'] as const)('shutdown order on %s', (brokerName) => {
  let fixture: CounterProcess | undefined;

  afterEach(async () => {
    await fixture?.kill();
    fixture = undefined;
  });

  it('SIGTERM with a busy handler and buffered rows: handler → flush commit → offsets/acks → database close, exit 0, exact totals after restart', async () => {
    const broker = counterBroker(brokerName, 'wq-shutdown');
    const url = await createThrowawayDatabase('wq_shutdown');
    await broker.prepare(3);
    const env = {
      ...broker.env(),
      DATABASE_URL: url,
      HANDLER_DELAY_MS: '1500',
      FLUSH_INTERVAL_MS: '2500',
      CONSUMER_MAX_IN_FLIGHT: '2000',
      // Four batches at a time, as a handler with real work would have: one can buffer rows while others still sleep.
      OUTSTANDING_BATCHES: '4',
    };
    fixture = await CounterProcess.start(env);
    const events = makeEvents(EVENTS, KEYS);
    await broker.publish(events);

    // Some, not all, counted; then wait for a handler that just buffered rows while others still sleep.
    await waitFor(async () => (await dbTotals(url)).n > 0, {
      timeoutMs: 60_000,
      intervalMs: 200,
      description: 'first events counted',
    });
    const seen = fixture.phases.length;
    const added = await waitFor(
      () =>
        fixture!.phases.slice(seen).find((p) => p.phase === 'handler-added' && Number(p.depth) > 0),
      { timeoutMs: 30_000, intervalMs: 10, description: 'a handler buffering rows' },
    );
    fixture.signal('SIGTERM');
    const before = await dbTotals(url);
    expect(before.n).toBeLessThan(EVENTS);

    const exit = await fixture.exitWithin(60_000);
    const phases = fixture.phases;
    const names = phases.map((p) => p.phase);
    const context = `phases: ${names.filter((n) => n !== 'handler-started').join(' ')}\n${fixture.tail(30)}`;
    expect({ exit, context }).toMatchObject({ exit: { code: 0, signal: null } });

    const start = indexOfPhase(phases, 'shutdown-started');
    expect(start).toBeGreaterThan(indexOfPhase(phases, 'listening'));
    const shutdown = phases.slice(start);
    const at = (name: string) => indexOfPhase(shutdown, name);
    const last = (name: string) => lastIndexOfPhase(shutdown, name);
    // Rows were buffered when the shutdown began (the handler above had just added them).
    expect(Number(shutdown[0].depth)).toBeGreaterThan(0);
    expect(added!.at).toBeLessThanOrEqual(shutdown[0].at);
    // At least one handler was still working (sleeping before add) and finished during shutdown.
    expect(at('handler-added')).toBeGreaterThan(0);
    expect(at('handler-finished')).toBeGreaterThan(0);
    expect(at('flush-committed')).toBeGreaterThan(0);
    // handler finished (rows handed over) → flush committed → offsets/acks → database closed → exit.
    expect(last('handler-added')).toBeLessThan(last('flush-committed'));
    expect(last('handler-finished')).toBeLessThan(at('offsets-committed'));
    expect(last('flush-committed')).toBeLessThan(at('offsets-committed'));
    expect(at('offsets-committed')).toBeLessThan(at('database-closed'));
    expect(at('database-closed')).toBeLessThan(at('exit'));
    expect(
      shutdown
        .filter((p) => p.phase === 'flush-committed' || p.phase === 'handler-finished')
        .every((p) => p.at <= shutdown[at('offsets-committed')].at),
    ).toBe(true);
    // Every batch a handler added during shutdown was committed before the offsets/acks step.
    const addedDuringShutdown = sum(
      shutdown.filter((p) => p.phase === 'handler-added'),
      'events',
    );
    const finishedDuringShutdown = sum(
      shutdown.filter((p) => p.phase === 'handler-finished'),
      'events',
    );
    expect(finishedDuringShutdown).toBeGreaterThanOrEqual(addedDuringShutdown);

    const offsetsLine = shutdown[at('offsets-committed')];
    expect(offsetsLine.depth).toBe(0);
    const afterStop = await dbTotals(url);
    expect(offsetsLine.counted).toBe(afterStop.n); // nothing was written after the Flush phase
    expect(afterStop.n).toBeLessThan(EVENTS);
    if (brokerName === 'kafka') {
      // Offsets stored with the data: a fresh topic starts at 0, so their sum is what was applied.
      expect(offsetsLine.storedOffsets).toBe(afterStop.n);
    } else {
      // Acks only after commit and none lost: what is still queued is exactly what is not counted.
      await waitFor(async () => (await broker.queued()) === EVENTS - afterStop.n, {
        timeoutMs: 15_000,
        intervalMs: 200,
        description: `queue holding ${EVENTS - afterStop.n} messages (has ${await broker.queued()})`,
      });
    }

    // A second process finishes the stream: totals exactly what was published.
    fixture = await CounterProcess.start({
      ...env,
      HANDLER_DELAY_MS: '0',
      FLUSH_INTERVAL_MS: '200',
    });
    const expected = expectedTotals(events);
    await waitFor(async () => (await dbTotals(url)).n >= EVENTS, {
      timeoutMs: 90_000,
      intervalMs: 250,
      description: `${EVENTS} events counted`,
    });
    await new Promise((r) => setTimeout(r, 1_000)); // a late duplicate would show up now
    expect(await dbTotals(url)).toEqual(expected);
    expect(await dbPerKey(url)).toEqual(expectedPerKey(events));
    fixture.signal('SIGTERM');
    expect(await fixture.exitWithin(60_000)).toEqual({ code: 0, signal: null });
  }, 240_000);
});

function sum(lines: readonly PhaseLine[], field: string): number {
  return lines.reduce((s, p) => s + Number(p[field] ?? 0), 0);
}
