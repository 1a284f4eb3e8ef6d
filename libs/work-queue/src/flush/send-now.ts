import { QueryFailedError, type QueryRunner } from 'typeorm';

/** A node-postgres result: one, or one per statement of a multi-statement message. */
type PgResult = { rows: unknown[] } | Array<{ rows: unknown[] }>;

/** What sendNow needs of node-postgres's client. */
interface PgClient {
  query(text: string, values?: unknown[]): Promise<PgResult>;
}

/**
 * Runs `sql` on the runner's idle connection and resolves to its rows (those of its last
 * statement, for several statements without parameters), putting it on the wire before
 * returning. runner.query()
 * sends only after a few microtask turns, so JavaScript that runs right after it (a flush building
 * its rows) would hold the statement back instead of running while PostgreSQL executes it. Logged
 * and failing as runner.query() does (a QueryFailedError carrying the driver's `code`). Falls back
 * to runner.query() when the runner has no connection yet.
 */
export function sendNow(
  runner: QueryRunner,
  sql: string,
  parameters?: unknown[],
): Promise<unknown[]> {
  const client = (runner as { databaseConnection?: PgClient }).databaseConnection;
  if (client === undefined) return runner.query(sql, parameters) as Promise<unknown[]>;
  const logger = runner.connection.logger;
  const slowMs = runner.connection.options.maxQueryExecutionTime;
  logger.logQuery(sql, parameters, runner);
  const started = Date.now();
  return client.query(sql, parameters).then(
    (result) => {
      const took = Date.now() - started;
      if (slowMs && took > slowMs) logger.logQuerySlow(took, sql, parameters, runner);
      return Array.isArray(result) ? result[result.length - 1].rows : result.rows;
    },
    (error: unknown) => {
      logger.logQueryError(error as Error, sql, parameters, runner);
      throw new QueryFailedError(sql, parameters, error as Error);
    },
  );
}
