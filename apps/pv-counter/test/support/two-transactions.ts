import type { DataSource, QueryRunner } from 'typeorm';

/**
 * Runs `race` with two transactions open at once on connections of their own, for specs of
 * writers racing on the same rows; `race` commits them in the order it tests. Both connections
 * are released afterwards (an uncommitted transaction rolls back).
 */
export async function withTwoTransactions(
  dataSource: DataSource,
  race: (first: QueryRunner, second: QueryRunner) => Promise<void>,
): Promise<void> {
  const first = dataSource.createQueryRunner();
  const second = dataSource.createQueryRunner();
  try {
    await first.startTransaction();
    await second.startTransaction();
    await race(first, second);
  } finally {
    await first.release();
    await second.release();
  }
}
