/**
 * Crash recovery: the counter fixture is SIGKILLed three times at random points mid-stream and
 * restarted each time; at the end `counter_totals` holds exactly what was published (Kafka: the
 * offsets stored with the data; RabbitMQ: ack after commit plus de-duplication by eventId).
 */
import { createThrowawayDatabase, waitFor } from '@test/support';
import {
  CounterProcess,
  dbPerKey,
  dbTotals,
  expectedPerKey,
  expectedTotals,
  makeEvents,
} from './support/counter-harness';
import { counterBroker } from './support/brokers';

const EVENTS = 20_000;
const KEYS = 1_000;
const KILLS = 3;

describe.each(['kafka', 'rabbitmq'] as const)('crash recovery on %s', (brokerName) => {
  let fixture: CounterProcess | undefined;

  afterEach(async () => {
    await fixture?.kill();
    fixture = undefined;
  });

  it(`SIGKILL ${KILLS}× mid-stream (3 partitions on Kafka), restart each time: sum and count exactly as published`, async () => {
    const broker = counterBroker(brokerName, 'wq-crash');
    const url = await createThrowawayDatabase('wq_crash');
    await broker.prepare(3);
    // A small handler delay and short flushes: many commits, so kills land between and inside them.
    // Four batches at a time, each taking 100 ms before it enqueues: handlers are still busy
    // when a kill lands.
    const env = {
      ...broker.env(),
      DATABASE_URL: url,
      HANDLER_DELAY_MS: '100',
      FLUSH_INTERVAL_MS: '100',
      OUTSTANDING_BATCHES: '4',
    };
    fixture = await CounterProcess.start(env);
    const events = makeEvents(EVENTS, KEYS);
    // Published over ~45 s, longer than three kills and restarts take (a restarted Kafka member
    // may wait out the killed one's 10 s session): the consumer keeps up, so each kill lands
    // while the stream is still coming.
    const publishing = broker.publish(events, { chunk: 100, pauseMs: 220 });

    const killedAt: number[] = [];
    for (let kill = 1; kill <= KILLS; kill++) {
      // A random point of the remaining stream, but before the end.
      const { n: base } = await dbTotals(url);
      const target =
        base + Math.floor(((EVENTS - base) / (KILLS + 2 - kill)) * (0.3 + Math.random() * 0.7));
      await waitFor(async () => (await dbTotals(url)).n >= target, {
        timeoutMs: 120_000,
        intervalMs: 20,
        description: `${target} counted before kill ${kill}`,
      });
      await new Promise((r) => setTimeout(r, Math.random() * 150)); // land anywhere in a flush cycle
      const { n } = await dbTotals(url);
      killedAt.push(n);
      expect(n).toBeLessThan(EVENTS); // really mid-stream
      await fixture.kill();
      fixture = await CounterProcess.start(env);
    }
    await publishing;

    const expected = expectedTotals(events);
    await waitFor(async () => (await dbTotals(url)).n >= EVENTS, {
      timeoutMs: 180_000,
      intervalMs: 250,
      description: `${EVENTS} counted (killed at ${killedAt.join(', ')})`,
    });
    await new Promise((r) => setTimeout(r, 1_500)); // redeliveries of the last batches, if any
    expect({ killedAt, totals: await dbTotals(url) }).toEqual({ killedAt, totals: expected });
    expect(await dbPerKey(url)).toEqual(expectedPerKey(events));
    fixture.signal('SIGTERM');
    expect(await fixture.exitWithin(60_000)).toEqual({ code: 0, signal: null });
  }, 420_000);
});
