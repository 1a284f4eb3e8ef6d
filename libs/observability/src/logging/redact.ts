/** Query parameter names whose values are secrets (`token`, `api_key`, `client_secret`, …). */
const SECRET_NAME = /token|key|secret|passw|pwd|auth|session|signature|credential|cookie/i;

/** What a secret value is replaced with. */
export const REDACTED = '[redacted]';

const MAX_PARAMS = 20;
const MAX_VALUE_CHARS = 200;

/** True when a parameter of this name must never be logged with its value. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/**
 * A parsed query string fit for a log line: secret-looking names keep their key with the value
 * redacted, long values are cut, at most 20 parameters. Undefined when there is nothing to log.
 */
export function redactQuery(query: unknown): Record<string, string> | undefined {
  if (query === null || typeof query !== 'object') return undefined;
  const out: Record<string, string> = {};
  let n = 0;
  for (const [name, value] of Object.entries(query as Record<string, unknown>)) {
    if (n++ >= MAX_PARAMS) break;
    const key = name.slice(0, 100);
    if (isSecretName(name)) {
      out[key] = REDACTED;
      continue;
    }
    const text = Array.isArray(value) ? value.map(String).join(',') : String(value);
    out[key] = text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
  }
  return n > 0 ? out : undefined;
}
