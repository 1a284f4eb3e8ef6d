/**
 * One pass over the SQL text, left to right, so that a quote inside a comment or a `--` inside a
 * string is read the way PostgreSQL reads it. Groups: 1 comment, 2 quoted identifier (kept),
 * 3 string literal (backslash escapes only in E'…'), 4 dollar-quoted literal (5 its tag),
 * 6 parameter, 7 number (not part of an identifier such as `t1`).
 */
const TOKENS = new RegExp(
  [
    /(--[^\n]*|\/\*[\s\S]*?\*\/)/.source,
    /("(?:[^"]|"")*")/.source,
    /(\b[eE]'(?:[^'\\]|''|\\[\s\S])*'|(?:\b[bBxXnN]|\b[uU]&)?'(?:[^']|'')*')/.source,
    // A string, not a regex literal: its `\5` refers to group 5 of the whole expression.
    '(\\$([A-Za-z_][A-Za-z0-9_]*)?\\$[\\s\\S]*?\\$\\5\\$)',
    /(\$\d+)/.source,
    /((?<![\w$.])(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?![\w$]))/.source,
  ].join('|'),
  'g',
);

const MAX_NORMALIZED_CHARS = 8_192;

/**
 * The normalised form of a statement, for grouping and for logs: every literal and parameter
 * becomes `?` (so no value is ever logged), comments go, whitespace collapses, and lists of
 * placeholders shrink to `?, ...` so `IN ($1, $2)` and `IN ($1, $2, $3)` group together.
 * Quoted identifiers are kept. Idempotent.
 */
export function normalizeSql(sql: string): string {
  let out = sql.replace(TOKENS, (match, comment, identifier) => {
    if (comment !== undefined) return ' ';
    if (identifier !== undefined) return identifier;
    return '?';
  });
  out = out
    .replace(/\s+/g, ' ')
    .replace(/\?(?:\s*,\s*\?)+(?:\s*,\s*\.\.\.)?/g, '?, ...')
    // Multi-row VALUES: (?, ...), (?, ...), … → (?, ...), ...
    .replace(
      /(\((?:\?|\?, \.\.\.)\))(?:\s*,\s*\((?:\?|\?, \.\.\.)\))+(?:\s*,\s*\.\.\.)?/g,
      '$1, ...',
    )
    .trim();
  return out.length > MAX_NORMALIZED_CHARS ? `${out.slice(0, MAX_NORMALIZED_CHARS - 1)}…` : out;
}
