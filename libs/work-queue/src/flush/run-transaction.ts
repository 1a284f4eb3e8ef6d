import type { DataSource, QueryRunner } from 'typeorm';
import { FlushTimeoutError } from '../work-queue.errors';

/** TypeORM's Postgres runner can hand its connection back as broken, so the pool discards it. */
interface DiscardableRunner {
  releasePostgresConnection?(error?: Error): Promise<void>;
}

/**
 * Runs `work` in one transaction on its own connection and commits. On a failure it rolls back
 * (best effort: a dead connection rolls back by itself) and rethrows. After `timeoutMs` it gives
 * up: the connection is released as broken (the pool closes it, which aborts the transaction on
 * the server unless its COMMIT already arrived) and a {@link FlushTimeoutError} is thrown. That
 * last case is the one ambiguous outcome; fencing and de-duplication make a retry of an already
 * committed batch harmless.
 */
export async function runTransaction<T>(
  dataSource: DataSource,
  queue: string,
  timeoutMs: number,
  work: (runner: QueryRunner) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  const attempt = (async () => {
    await runner.startTransaction();
    const result = await work(runner);
    await runner.commitTransaction();
    return result;
  })();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FlushTimeoutError(queue, timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([attempt, timeout]);
  } catch (error) {
    if (error instanceof FlushTimeoutError) {
      attempt.catch(() => undefined); // settles once the dropped connection errors out
      await (runner as DiscardableRunner).releasePostgresConnection?.(error);
    } else if (runner.isTransactionActive && !runner.isReleased) {
      await runner.rollbackTransaction().catch(() => undefined);
    }
    throw error;
  } finally {
    clearTimeout(timer);
    await runner.release().catch(() => undefined);
  }
}
