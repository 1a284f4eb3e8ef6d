/**
 * A hand-written expert consumer as a process of its own, so that a benchmark can SIGKILL it:
 * `node dist/bench/support/expert-process.js <page-views|candles>` with EXPERT_BROKERS,
 * EXPERT_TOPIC, EXPERT_GROUP, EXPERT_TABLE and DATABASE_URL. Prints `joined` once in its group;
 * SIGTERM stops it gracefully (running batches written and committed), prints
 * `exposure <json>` (bench/support/expert-exposure.ts) and exits 0.
 */
import { startExpertConsumer, type ExpertSink } from './expert-consumer';
import { expertCandles } from './expert-candles';
import { expertPageViews } from './expert-page-views';

/** The sinks a process can run, by the name given as its argument. */
const SINKS: Record<string, (table: string) => ExpertSink> = {
  'page-views': expertPageViews,
  candles: expertCandles,
};

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

async function run(kind: string): Promise<void> {
  const sink = SINKS[kind];
  if (!sink)
    throw new Error(`unknown expert consumer "${kind}" (${Object.keys(SINKS).join(', ')})`);
  let joined = false;
  const consumer = await startExpertConsumer(
    {
      brokers: required('EXPERT_BROKERS').split(','),
      topic: required('EXPERT_TOPIC'),
      groupId: required('EXPERT_GROUP'),
      databaseUrl: required('DATABASE_URL'),
      concurrency: Number(process.env.EXPERT_CONCURRENCY ?? 3),
      onJoin: () => {
        if (!joined) console.log('joined');
        joined = true;
      },
    },
    sink(required('EXPERT_TABLE')),
  );
  process.once('SIGTERM', () => {
    consumer.stop().then(
      () => {
        console.log(`exposure ${JSON.stringify(consumer.exposure())}`);
        process.exit(0);
      },
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}

if (require.main === module) {
  run(process.argv[2] ?? '').catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
