/** Where a page ended: the exact `occurred_at` (microseconds, UTC) and id of its last item. */
export interface LogCursor {
  readonly occurredAt: string;
  readonly id: string;
}

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const ID = /^[1-9]\d{0,18}$/;

/** The opaque `nextCursor` string of a position. */
export function encodeCursor(cursor: LogCursor): string {
  return Buffer.from(JSON.stringify([cursor.occurredAt, cursor.id])).toString('base64url');
}

/** The position of a `cursor` string; undefined when it is not one this service made. */
export function decodeCursor(text: string): LogCursor | undefined {
  if (text.length > 200 || !/^[A-Za-z0-9_-]+={0,2}$/.test(text)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [occurredAt, id] = value as unknown[];
  if (
    typeof occurredAt !== 'string' ||
    !TIMESTAMP.test(occurredAt) ||
    Number.isNaN(Date.parse(occurredAt))
  )
    return undefined;
  if (typeof id !== 'string' || !ID.test(id) || BigInt(id) > 9_223_372_036_854_775_807n)
    return undefined;
  return { occurredAt, id };
}
