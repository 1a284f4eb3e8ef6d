import { Inject, Injectable } from '@nestjs/common';
import type { ConfigOf } from '@lib/config';
import { DataSource, type QueryRunner } from 'typeorm';
import { dayOf, partitionWindow, startOfDay, addDays } from './day-partitions';
import { LogPartitions } from './log-partitions';
import { toLogRow, type LogRow, type StorableLog } from './log-rows';
import { logsConfig } from './logs.config';

// One statement per batch whatever its size: one array per column, so the text (and its plan)
// never changes and no parameter limit applies. Ids follow the batch order, which keeps records
// with equal timestamps in arrival order.
const INSERT_BATCH = `
  WITH inserted AS (
    INSERT INTO app_logs (event_id, service, kind, level, message, request_id, duration_ms, attributes,
                          normalized_query, occurred_at, received_at)
    SELECT u.event_id, u.service, u.kind, u.level, u.message, u.request_id, u.duration_ms, u.attributes,
           u.normalized_query, u.occurred_at, COALESCE(u.received_at, now())
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::float8[],
                  $8::jsonb[], $9::text[], $10::timestamptz[], $11::timestamptz[])
        AS u(event_id, service, kind, level, message, request_id, duration_ms, attributes,
             normalized_query, occurred_at, received_at)
    ON CONFLICT DO NOTHING
    RETURNING 1
  )
  SELECT count(*)::int AS inserted FROM inserted`;

const COLUMNS: ReadonlyArray<(row: LogRow) => unknown> = [
  (r) => r.eventId,
  (r) => r.service,
  (r) => r.kind,
  (r) => r.level,
  (r) => r.message,
  (r) => r.requestId,
  (r) => r.durationMs,
  (r) => r.attributes,
  (r) => r.normalizedQuery,
  (r) => r.occurredAt,
  (r) => r.receivedAt,
];

/** Writes log records to `app_logs`. */
@Injectable()
export class LogStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly partitions: LogPartitions,
    @Inject(logsConfig.token) private readonly config: ConfigOf<typeof logsConfig>,
  ) {}

  /**
   * Inserts a batch in one statement and returns how many rows were new: a record whose
   * (occurredAt, eventId) is stored already (a redelivery, a spool replay) is skipped. Missing
   * day partitions are created first, outside `runner`'s transaction; pass `runner` to insert
   * within a flush's transaction (e.g. with the consumer offsets).
   */
  async insertBatch(logs: readonly StorableLog[], runner?: QueryRunner): Promise<number> {
    if (logs.length === 0) return 0;
    const rows = logs.map(toLogRow);
    await this.partitions.ensure(this.daysNeeding(rows));
    const params = COLUMNS.map((column) => rows.map(column));
    const result: Array<{ inserted: number }> = runner
      ? await runner.query(INSERT_BATCH, params)
      : await this.dataSource.query(INSERT_BATCH, params);
    return result[0].inserted;
  }

  /** The days of `rows` inside the partition window; rows outside it go to the default partition. */
  private daysNeeding(rows: readonly LogRow[]): Set<string> {
    const { first, last } = partitionWindow(new Date(), this.config.LOG_RETENTION_DAYS);
    const from = startOfDay(first).getTime();
    const to = startOfDay(addDays(last, 1)).getTime();
    const days = new Set<string>();
    for (const row of rows) {
      const at = row.occurredAtMs;
      if (at >= from && at < to) days.add(dayOf(new Date(at)));
    }
    return days;
  }
}
