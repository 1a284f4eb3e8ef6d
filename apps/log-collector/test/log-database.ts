/**
 * Test helpers for the log storage: a throwaway PostgreSQL database with the project's
 * migrations and the storage services wired by hand, and a record factory.
 */
import { openDatabase, type OpenDatabase } from '@lib/database';
import { lifecycleConfig, ShutdownCoordinator } from '@lib/lifecycle';
import { createThrowawayDatabase } from '@test/support';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { LogPartitions } from '../src/logs/log-partitions';
import { LogQueryService } from '../src/logs/log-query.service';
import { LogRetentionJob } from '../src/logs/log-retention.job';
import type { StorableLog } from '../src/logs/log-rows';
import { LogStore } from '../src/logs/log-store';
import { logsConfig } from '../src/logs/logs.config';

/** A migrated throwaway database and the log services on it. */
export interface LogDatabase {
  readonly url: string;
  readonly database: OpenDatabase;
  readonly partitions: LogPartitions;
  readonly store: LogStore;
  readonly queries: LogQueryService;
  readonly retention: LogRetentionJob;
  /** Rows of `sql` (on the test's own pool). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** Opens a fresh database for one test file; `env` sets LOG_RETENTION_DAYS and friends. */
export async function openLogDatabase(
  label: string,
  env: Record<string, string> = {},
): Promise<LogDatabase> {
  const url = await createThrowawayDatabase(label);
  const dataDir = await mkdtemp(join(tmpdir(), 'ep-log-collector-'));
  const database = await openDatabase({
    DATABASE_URL: url,
    DATA_DIR: dataDir,
    DATABASE_POOL_SIZE: 4,
  });
  const config = logsConfig.load(env);
  const partitions = new LogPartitions(database.dataSource);
  const coordinator = new ShutdownCoordinator(lifecycleConfig.load({}), 'log-collector');
  return {
    url,
    database,
    partitions,
    store: new LogStore(database.dataSource, partitions, config),
    queries: new LogQueryService(database.dataSource),
    retention: new LogRetentionJob(partitions, config, coordinator, 'log-collector'),
    query: (sql, params) => database.dataSource.query(sql, params),
    async close() {
      await database.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A valid record (`app-logs` payload) with the given fields. */
export function makeLog(fields: Partial<StorableLog> = {}): StorableLog {
  return {
    eventId: randomUUID(),
    service: 'ingest',
    kind: 'request',
    level: 'info',
    message: 'GET /v1/page-views 202',
    occurredAt: new Date().toISOString(),
    ...fields,
  };
}

/** `now` moved by `ms`, as ISO-8601. */
export function isoAgo(ms: number, now = Date.now()): string {
  return new Date(now - ms).toISOString();
}
