import type { DeadLetter } from './dead-letters';
import { QueueError } from './queue.errors';

/** A page request of `GET /admin/dead-letters` (docs/contract.md). */
export interface DeadLetterQuery {
  readonly limit: number;
  /** `nextCursor` of the previous page; absent for the first. */
  readonly cursor?: string;
  /** Only letters whose error class is exactly this. */
  readonly errorClass?: string;
  /** Only letters dead-lettered at or after this time, epoch ms. */
  readonly from?: number;
  /** Only letters dead-lettered before this time, epoch ms. */
  readonly to?: number;
}

/** One page of dead letters; `nextCursor` is null after the last page. */
export interface DeadLetterPage {
  readonly items: DeadLetter[];
  readonly nextCursor: string | null;
}

/** A cursor that this app did not hand out (or one of another broker). */
export class InvalidCursorError extends QueueError {
  constructor() {
    super('expected a nextCursor of an earlier page', false);
  }
}

/** Encodes a cursor as base64url JSON. */
export function encodeCursor(value: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Decodes {@link encodeCursor}'s output; throws {@link InvalidCursorError} on anything else. */
export function decodeCursor(cursor: string): Record<string, string | number> {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error();
    for (const v of Object.values(value))
      if (typeof v !== 'string' && typeof v !== 'number') throw new Error();
    return value as Record<string, string | number>;
  } catch {
    throw new InvalidCursorError();
  }
}

/** Whether a letter of this error class, dead-lettered at `at` (epoch ms), passes the query's filters. */
export function matchesQuery(
  query: DeadLetterQuery,
  errorClass: string,
  at: number | undefined,
): boolean {
  if (query.errorClass !== undefined && errorClass !== query.errorClass) return false;
  if (query.from === undefined && query.to === undefined) return true;
  if (at === undefined || Number.isNaN(at)) return false;
  return (
    (query.from === undefined || at >= query.from) && (query.to === undefined || at < query.to)
  );
}

/**
 * Pages over a complete listing by position (the RabbitMQ and memory brokers): the cursor is the
 * number of matching letters already returned, so letters removed or added between two requests
 * shift the pages.
 */
export function pageOfListing(all: readonly DeadLetter[], query: DeadLetterQuery): DeadLetterPage {
  const skip = query.cursor === undefined ? 0 : Number(decodeCursor(query.cursor).skip);
  if (!Number.isInteger(skip) || skip < 0) throw new InvalidCursorError();
  const matching = all.filter((letter) =>
    matchesQuery(query, letter.error.class, Date.parse(letter.lastFailedAt)),
  );
  const items = matching.slice(skip, skip + query.limit);
  const next = skip + items.length;
  return { items, nextCursor: next < matching.length ? encodeCursor({ skip: next }) : null };
}
