/** jest globalTeardown: stops the run's Kafka broker and drops every database the run created. */
import { dropDatabasesWithPrefix } from './support/databases';
import type { TestRunState } from './global-setup';
import { RUN_STATE_KEY } from './global-setup';
import { TEST_ENV } from './support/services';

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as Record<string, unknown>)[RUN_STATE_KEY] as TestRunState | undefined;
  if (!state) return;
  delete (globalThis as Record<string, unknown>)[RUN_STATE_KEY];
  // In watch mode the next globalSetup runs in this process: it must not take the stopped
  // broker for one the user provided.
  if (state.kafka) delete process.env[TEST_ENV.kafkaBrokers];
  delete process.env[TEST_ENV.databaseUrl];
  delete process.env[TEST_ENV.databasePrefix];
  // Both even when one fails: a leftover JVM or database costs the next run.
  const results = await Promise.allSettled([
    state.kafka?.stop(),
    dropDatabasesWithPrefix(state.pgAdminUrl, state.databasePrefix),
  ]);
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) {
    throw new Error(
      `test teardown: ${failures.map((f) => (f.reason as Error).message).join('; ')}`,
    );
  }
}
