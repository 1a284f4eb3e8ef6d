/**
 * jest globalSetup (runs once, in the parent process): starts a Kafka broker, checks the
 * machine's PostgreSQL and RabbitMQ, creates this run's throwaway database and hands the
 * addresses to the test workers through the environment (see test/support/services.ts).
 */
import { createDatabase, dropStaleDatabases, newRunPrefix } from './support/databases';
import type { KafkaBroker } from './support/kafka';
import { startDedicatedKafka } from './support/kafka';
import {
  assertKafkaReachable,
  assertPostgresReachable,
  assertRabbitMqReachable,
} from './support/reachability';
import { TEST_ENV } from './support/services';

export const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const DEFAULT_RABBITMQ_URL = 'amqp://guest:guest@127.0.0.1:5672';

/** What teardown needs; jest runs setup and teardown in the same context, so globalThis carries it. */
export interface TestRunState {
  kafka?: KafkaBroker;
  pgAdminUrl: string;
  databasePrefix: string;
}

export const RUN_STATE_KEY = '__EP_TEST_RUN__';

/** Runs older than this are surely over; their databases are leftovers of a killed run. */
const STALE_DATABASE_AGE_MS = 6 * 60 * 60 * 1000;

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const pgAdminUrl = process.env.TEST_PG_URL || DEFAULT_PG_URL;
  const rabbitmqUrl = process.env.TEST_RABBITMQ_URL || DEFAULT_RABBITMQ_URL;
  const ownBrokers = process.env.TEST_KAFKA_BROKERS;

  const kafkaStarting: Promise<KafkaBroker | undefined> = ownBrokers
    ? assertKafkaReachable(ownBrokers).then(() => undefined)
    : startDedicatedKafka().catch((e: Error) => {
        throw new Error(`Kafka could not start: ${e.message}`);
      });
  kafkaStarting.catch(() => undefined); // awaited below; this only keeps Node from calling it unhandled
  // The quick checks first: an unreachable PostgreSQL or RabbitMQ fails the run at once,
  // without waiting for Kafka (which is stopped in the background; its watchdog covers exit).
  try {
    await Promise.all([assertPostgresReachable(pgAdminUrl), assertRabbitMqReachable(rabbitmqUrl)]);
  } catch (e) {
    kafkaStarting.then((k) => k?.stop()).catch(() => undefined);
    throw e;
  }
  const kafka = await kafkaStarting;
  const kafkaReadyMs = Date.now() - started;

  const databasePrefix = newRunPrefix();
  let databaseUrl: string;
  try {
    await dropStaleDatabases(pgAdminUrl, STALE_DATABASE_AGE_MS);
    databaseUrl = await createDatabase(pgAdminUrl, databasePrefix);
  } catch (e) {
    await kafka?.stop();
    throw e;
  }

  const state: TestRunState = { kafka, pgAdminUrl, databasePrefix };
  (globalThis as Record<string, unknown>)[RUN_STATE_KEY] = state;
  // Workers are forked after globalSetup, so they inherit these.
  process.env[TEST_ENV.kafkaBrokers] = kafka ? kafka.brokers : ownBrokers;
  process.env[TEST_ENV.rabbitmqUrl] = rabbitmqUrl;
  process.env[TEST_ENV.databaseUrl] = databaseUrl;
  process.env[TEST_ENV.pgAdminUrl] = pgAdminUrl;
  process.env[TEST_ENV.databasePrefix] = databasePrefix;

  process.stderr.write(
    `\ntest services ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
      `kafka ${process.env[TEST_ENV.kafkaBrokers]} (${kafka ? `started, ${(kafkaReadyMs / 1000).toFixed(1)} s` : 'TEST_KAFKA_BROKERS'}), ` +
      `database ${databasePrefix}\n`,
  );
}
