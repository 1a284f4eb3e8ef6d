import * as amqp from 'amqplib';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';

/** Default time a shared service gets to answer before the test run gives up on it. */
export const REACHABILITY_TIMEOUT_MS = 3000;

/** Hides the password of a URL so it can go into an error message. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** Rejects with `message` when `promise` has not settled within `timeoutMs`. */
async function within<T>(promise: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves once PostgreSQL at `url` answers `SELECT 1`; otherwise rejects naming the service, URL and fix. */
export async function assertPostgresReachable(
  url: string,
  timeoutMs = REACHABILITY_TIMEOUT_MS,
): Promise<void> {
  const fail = (why: string) =>
    new Error(
      `PostgreSQL is not reachable at ${redactUrl(url)} (${why}): start it ` +
        '(e.g. `pg_ctlcluster 15 main start`) or set TEST_PG_URL to a server the tests may use.',
    );
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  // A connection that fails after the timeout already fired must not crash the process.
  client.on('error', () => undefined);
  try {
    await within(
      client.connect().then(() => client.query('SELECT 1')),
      timeoutMs,
      `no answer within ${timeoutMs} ms`,
    );
  } catch (e) {
    throw fail((e as Error).message || String(e));
  } finally {
    client.end().catch(() => undefined);
  }
}

/** Resolves once RabbitMQ at `url` accepts an AMQP connection; otherwise rejects naming the service, URL and fix. */
export async function assertRabbitMqReachable(
  url: string,
  timeoutMs = REACHABILITY_TIMEOUT_MS,
): Promise<void> {
  const connecting = amqp.connect(url, { timeout: timeoutMs });
  try {
    const connection = await within(connecting, timeoutMs, `no answer within ${timeoutMs} ms`);
    await connection.close().catch(() => undefined);
  } catch (e) {
    // Close a connection that completes only after we gave up on it.
    connecting.then((c) => c.close()).catch(() => undefined);
    throw new Error(
      `RabbitMQ is not reachable at ${redactUrl(url)} (${(e as Error).message || String(e)}): ` +
        'start it (e.g. `service rabbitmq-server start`) or set TEST_RABBITMQ_URL.',
    );
  }
}

/** Resolves once a Kafka broker at `brokers` answers a metadata request; otherwise rejects naming it. */
export async function assertKafkaReachable(brokers: string, timeoutMs = 5000): Promise<void> {
  const kafka = new Kafka({
    clientId: 'test-reachability',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await within(
      admin.connect().then(() => admin.describeCluster()),
      timeoutMs,
      `no answer within ${timeoutMs} ms`,
    );
  } catch (e) {
    throw new Error(
      `Kafka is not reachable at ${brokers} (${(e as Error).message || String(e)}): start it or ` +
        'unset TEST_KAFKA_BROKERS so the tests start their own broker (needs java and mvn).',
    );
  } finally {
    admin.disconnect().catch(() => undefined);
  }
}
