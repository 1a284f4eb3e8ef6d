const BASE64URL = /^[A-Za-z0-9_-]+$/;
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

/** The opaque `nextCursor` of a page of messages: the last message id, base64url-encoded. */
export function encodeMessageCursor(messageId: string): string {
  return Buffer.from(messageId, 'utf8').toString('base64url');
}

/** The message id a cursor made by {@link encodeMessageCursor} stands for; undefined otherwise. */
export function decodeMessageCursor(cursor: string): string | undefined {
  // 100 characters of up to 4 UTF-8 bytes each, base64: at most 534 characters.
  if (cursor.length > 540 || !BASE64URL.test(cursor)) return undefined;
  const messageId = Buffer.from(cursor, 'base64url').toString('utf8');
  if (messageId.length === 0 || messageId.length > 100 || CONTROL_CHARS.test(messageId))
    return undefined;
  // Round trip: rejects padding tricks and bytes that were not valid UTF-8.
  return encodeMessageCursor(messageId) === cursor ? messageId : undefined;
}
