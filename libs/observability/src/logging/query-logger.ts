import { Logger } from '@nestjs/common';
import type { Logger as TypeOrmLogger } from 'typeorm';
import type { LogRecorder } from './log-recorder';
import { normalizeSql } from './sql-normalizer';

/** The part of TypeORM's DataSource options that turns slow-query logging on. */
export interface QueryLoggingOptions {
  readonly logger: TypeOrmLogger;
  /** TypeORM calls `logQuerySlow` only for queries slower than this (ms). */
  readonly maxQueryExecutionTime: number;
}

/**
 * TypeORM's logger for an app: each query slower than `maxQueryExecutionTime` becomes a `query`
 * record (message = the normalised SQL, duration, parameter count). Parameter values and the
 * literals of the SQL text are never logged: both may hold secrets or personal data.
 */
export class QueryLogger implements TypeOrmLogger {
  private readonly logger: Logger;

  constructor(private readonly recorder: LogRecorder) {
    this.logger = new Logger(`${recorder.service} database`);
  }

  logQuerySlow(time: number, query: string, parameters?: unknown[]): void {
    try {
      this.recorder.record({
        kind: 'query',
        level: 'warn',
        message: normalizeSql(query),
        durationMs: time,
        attributes: { parameterCount: parameters?.length ?? 0 },
      });
    } catch {
      // Never let logging fail the query that was logged.
    }
  }

  logQueryError(error: string | Error, query: string): void {
    // Debug only: callers see the error and decide; its message may quote a value, so not logged.
    const code = typeof error === 'object' ? (error as { code?: unknown }).code : undefined;
    const kind = typeof error === 'object' ? error.constructor.name : 'error';
    this.logger.debug({
      msg: `query failed (${kind}${code ? ` ${String(code)}` : ''})`,
      query: normalizeSql(query),
    });
  }

  logQuery(): void {
    // Every query would be far too much; slow ones are recorded above.
  }

  logSchemaBuild(message: string): void {
    this.logger.debug(message);
  }

  logMigration(message: string): void {
    this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(String(message));
    else this.logger.debug(String(message));
  }
}

/** DataSource options that record queries slower than `slowQueryMs` through `recorder`. */
export function queryLoggingOptions(
  recorder: LogRecorder,
  slowQueryMs: number,
): QueryLoggingOptions {
  return { logger: new QueryLogger(recorder), maxQueryExecutionTime: slowQueryMs };
}
