import { randomBytes } from 'node:crypto';
import { createDatabase, dropDatabaseAt } from './databases';

/** Addresses of the real services that jest's globalSetup started or checked for this run. */
export interface TestServices {
  /** Kafka bootstrap servers, `host:port[,host:port]`. */
  kafkaBrokers: string;
  /** AMQP URL of RabbitMQ. */
  rabbitmqUrl: string;
  /** URL of this run's throwaway PostgreSQL database. */
  databaseUrl: string;
  /** URL of the PostgreSQL maintenance database, for creating more throwaway databases. */
  pgAdminUrl: string;
  /** Every throwaway database of this run starts with this; teardown drops them all. */
  databasePrefix: string;
}

/** Environment variables globalSetup sets for the test workers. */
export const TEST_ENV = {
  kafkaBrokers: 'TEST_KAFKA_BROKERS',
  rabbitmqUrl: 'TEST_RABBITMQ_URL',
  databaseUrl: 'TEST_DATABASE_URL',
  pgAdminUrl: 'TEST_PG_ADMIN_URL',
  databasePrefix: 'TEST_DB_PREFIX',
} as const;

/** Reads the service addresses from the environment; throws when globalSetup did not run. */
export function testServices(): TestServices {
  const missing = Object.values(TEST_ENV).filter((name) => !process.env[name]);
  if (missing.length > 0) {
    throw new Error(
      `${missing.join(', ')} not set: run the tests through jest with test/global-setup.ts ` +
        '(npx jest, as configured in jest.config.js), which starts Kafka and checks PostgreSQL and RabbitMQ.',
    );
  }
  const env = (name: string) => process.env[name] as string;
  return {
    kafkaBrokers: env(TEST_ENV.kafkaBrokers),
    rabbitmqUrl: env(TEST_ENV.rabbitmqUrl),
    databaseUrl: env(TEST_ENV.databaseUrl),
    pgAdminUrl: env(TEST_ENV.pgAdminUrl),
    databasePrefix: env(TEST_ENV.databasePrefix),
  };
}

/** A name unique to this call, e.g. `uniqueName('orders')` → `orders-lx3k2f-9a1b2c`; safe for topics, queues and groups. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/**
 * Creates an empty database for one test (dropped by teardown at the latest) and returns its URL.
 *
 * @param label readable part of the name, e.g. the test's subject
 */
export async function createThrowawayDatabase(label = 'db'): Promise<string> {
  const { pgAdminUrl, databasePrefix } = testServices();
  const safe = label.toLowerCase().replace(/[^a-z0-9]+/g, '_');
  const suffix = `_${randomBytes(3).toString('hex')}`;
  const room = 63 - databasePrefix.length - suffix.length - 1;
  return createDatabase(
    pgAdminUrl,
    `${databasePrefix}_${safe.slice(0, Math.max(room, 0))}${suffix}`,
  );
}

/** Drops the database of `url`, ending its open sessions; no error when it is already gone. */
export async function dropDatabase(url: string): Promise<void> {
  await dropDatabaseAt(testServices().pgAdminUrl, url);
}

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this long (default 10 000 ms). */
  timeoutMs?: number;
  /** Pause between attempts (default 50 ms). */
  intervalMs?: number;
  /** Says what was awaited, for the timeout error. */
  description?: string;
}

/**
 * Calls `predicate` until it returns a truthy value (resolved with it) or the time is up.
 * A predicate that throws counts as not yet; its last error is reported on timeout.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 50, description = 'condition' }: WaitForOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`waitFor: ${description} not met within ${timeoutMs} ms${cause}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
