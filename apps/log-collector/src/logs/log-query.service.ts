import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { encodeCursor } from './log-cursor';
import type { LogSearch, SlowQuerySearch } from './log-query.params';

/** One stored record as `GET /v1/logs` returns it; absent optional fields are left out. */
export interface LogItem {
  id: string;
  eventId: string;
  service: string;
  kind: string;
  level: string;
  message: string;
  requestId?: string;
  durationMs?: number;
  attributes?: Record<string, unknown>;
  occurredAt: string;
  receivedAt: string;
}

/** A page of records, newest first; `nextCursor` is null on the last page. */
export interface LogPage {
  items: LogItem[];
  nextCursor: string | null;
}

/** One normalised statement in the slow-query report. */
export interface SlowQueryItem {
  query: string;
  count: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

interface LogDbRow {
  id: string;
  event_id: string;
  service: string;
  kind: string;
  level: string;
  message: string;
  request_id: string | null;
  duration_ms: number | null;
  attributes: Record<string, unknown> | null;
  occurred_at: Date;
  received_at: Date;
  /** occurred_at to the microsecond, for the cursor (a Date would round to ms and skip rows). */
  cursor_at: string;
}

/** Escapes `%`, `_` and `\` so that a search text matches only itself inside ILIKE. */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

/** Searches stored records and reports slow queries. */
@Injectable()
export class LogQueryService {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Records matching every given filter, newest first (`occurred_at DESC, id DESC`), paged by
   * keyset: the cursor is the last item's position, so pages neither skip nor repeat rows while
   * new ones arrive, even among records with the same timestamp.
   */
  async search(search: LogSearch): Promise<LogPage> {
    const where: string[] = [];
    const params: unknown[] = [];
    const bind = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (search.service !== undefined) where.push(`service = ${bind(search.service)}`);
    if (search.kind !== undefined) where.push(`kind = ${bind(search.kind)}`);
    if (search.level !== undefined) where.push(`level = ${bind(search.level)}`);
    if (search.requestId !== undefined) where.push(`request_id = ${bind(search.requestId)}`);
    if (search.from !== undefined) where.push(`occurred_at >= ${bind(search.from.toISOString())}`);
    if (search.to !== undefined) where.push(`occurred_at < ${bind(search.to.toISOString())}`);
    if (search.q !== undefined) where.push(`message ILIKE ${bind(likePattern(search.q))}`);
    if (search.cursor !== undefined) {
      where.push(
        `(occurred_at, id) < (${bind(search.cursor.occurredAt)}::timestamptz, ${bind(search.cursor.id)}::bigint)`,
      );
    }
    const rows: LogDbRow[] = await this.dataSource.query(
      `SELECT id::text AS id, event_id, service, kind, level, message, request_id, duration_ms, attributes,
              occurred_at, received_at,
              to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at
         FROM app_logs
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY occurred_at DESC, id DESC
        LIMIT ${bind(search.limit + 1)}`,
      params,
    );
    const more = rows.length > search.limit;
    const page = more ? rows.slice(0, search.limit) : rows;
    const last = page[page.length - 1];
    return {
      items: page.map(toItem),
      nextCursor: more ? encodeCursor({ occurredAt: last.cursor_at, id: last.id }) : null,
    };
  }

  /**
   * Query records in the window at least `minDurationMs` long, grouped by normalised statement,
   * worst first: by p95 (the tail users feel, which one lucky or unlucky run does not move much),
   * then by count, then by text so that the order is stable.
   */
  async slowQueries(search: SlowQuerySearch): Promise<{ items: SlowQueryItem[] }> {
    const rows: Array<{ query: string; count: number; p50: number; p95: number; max: number }> =
      await this.dataSource.query(
        `SELECT normalized_query AS query, count(*)::int AS count,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
                percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95,
                max(duration_ms) AS max
           FROM app_logs
          WHERE kind = 'query' AND normalized_query IS NOT NULL
            AND occurred_at >= $1 AND occurred_at < $2 AND duration_ms >= $3
          GROUP BY normalized_query
          ORDER BY p95 DESC, count DESC, normalized_query
          LIMIT $4`,
        [search.from.toISOString(), search.to.toISOString(), search.minDurationMs, search.limit],
      );
    return {
      items: rows.map((row) => ({
        query: row.query,
        count: row.count,
        p50Ms: toMicros(row.p50),
        p95Ms: toMicros(row.p95),
        maxMs: toMicros(row.max),
      })),
    };
  }
}

/** Milliseconds rounded to the microsecond: interpolation leaves float noise (954.9999999999999). */
function toMicros(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function toItem(row: LogDbRow): LogItem {
  return {
    id: row.id,
    eventId: row.event_id,
    service: row.service,
    kind: row.kind,
    level: row.level,
    message: row.message,
    ...(row.request_id !== null && { requestId: row.request_id }),
    ...(row.duration_ms !== null && { durationMs: row.duration_ms }),
    ...(row.attributes !== null && { attributes: row.attributes }),
    occurredAt: row.occurred_at.toISOString(),
    receivedAt: row.received_at.toISOString(),
  };
}
