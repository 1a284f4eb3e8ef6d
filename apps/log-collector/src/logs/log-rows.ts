import type { LogEvent } from '@lib/contracts';
import { normalizeSql } from '@lib/observability';

/** A record to store: the `app-logs` payload; `receivedAt` defaults to the time of the insert. */
export type StorableLog = Omit<LogEvent, 'receivedAt'> & { receivedAt?: string };

/** The `app_logs` columns of one record, as the insert sends them. */
export interface LogRow {
  eventId: string;
  service: string;
  kind: string;
  level: string;
  message: string;
  requestId: string | null;
  durationMs: number | null;
  /** JSON text, or null. */
  attributes: string | null;
  normalizedQuery: string | null;
  /** As given (PostgreSQL keeps microseconds a Date would lose); checked to be a date. */
  occurredAt: string;
  /** The same instant, for choosing its day partition. */
  occurredAtMs: number;
  receivedAt: string | null;
}

// PostgreSQL text and jsonb reject NUL, and jsonb rejects unpaired surrogates: one such character
// would fail the whole batch, again on every retry.
const NUL = /\u0000/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `text` without the characters PostgreSQL refuses. */
export function storableText(text: string): string {
  return text.replace(NUL, '').replace(LONE_SURROGATE, '\uFFFD');
}

function storableJson(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (typeof inner === 'string') return storableText(inner);
    if (inner !== null && typeof inner === 'object' && !Array.isArray(inner)) {
      return Object.fromEntries(Object.entries(inner).map(([key, v]) => [storableText(key), v]));
    }
    return inner;
  });
}

/**
 * The row of one record. A `query` record's normalised SQL (from `attributes.query` when given,
 * else its message) is stored for the slow-query report; normalising is idempotent, so records
 * that arrive normalised already (from @lib/observability) group with raw ones.
 */
export function toLogRow(log: StorableLog): LogRow {
  const occurredAtMs = Date.parse(log.occurredAt);
  // Consumers validate records first (logInput); a bad date here is a bug, not a bad record.
  if (Number.isNaN(occurredAtMs))
    throw new TypeError(`log ${log.eventId}: occurredAt is not a date: ${log.occurredAt}`);
  const receivedAt =
    log.receivedAt !== undefined && !Number.isNaN(Date.parse(log.receivedAt))
      ? log.receivedAt
      : null;
  const sql = typeof log.attributes?.query === 'string' ? log.attributes.query : log.message;
  return {
    eventId: storableText(log.eventId),
    service: storableText(log.service),
    kind: log.kind,
    level: log.level,
    message: storableText(log.message),
    requestId: log.requestId === undefined ? null : storableText(log.requestId),
    durationMs:
      typeof log.durationMs === 'number' && Number.isFinite(log.durationMs) ? log.durationMs : null,
    attributes: storableJson(log.attributes),
    normalizedQuery: log.kind === 'query' ? storableText(normalizeSql(sql)) : null,
    occurredAt: log.occurredAt,
    occurredAtMs,
    receivedAt,
  };
}
