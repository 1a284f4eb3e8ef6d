/** OpenSSL's verification results as Node reports them in `error.code`: the peer's certificate is not trusted. */
const UNTRUSTED_CERTIFICATE_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** How a TLS connection was refused: we distrust the peer's certificate, or the peer sent an alert (e.g. our client certificate). */
export interface TlsRefusal {
  readonly kind: 'untrusted-certificate' | 'handshake-alert';
  readonly code: string;
  readonly message: string;
}

/**
 * `error` and the errors it wraps (`cause`, kafkajs's `originalError`), outermost first, each
 * once. Duck-typed: errors of Node's TLS layer may come from another realm (jest's VM, workers).
 */
export function* errorChain(error: unknown): Generator<Record<string, unknown>> {
  const seen = new Set<unknown>();
  for (
    let e = error as Record<string, unknown> | undefined;
    e && typeof e === 'object' && !seen.has(e);
    e = (e.cause ?? e.originalError) as typeof e
  ) {
    seen.add(e);
    yield e;
  }
}

/**
 * The TLS refusal in `error` or its causes (`cause`, kafkajs's `originalError`), if any. Neither
 * heals without an operator, unlike an unreachable peer.
 */
export function tlsRefusalOf(error: unknown): TlsRefusal | undefined {
  for (const e of errorChain(error)) {
    const { code, message } = e;
    if (typeof code !== 'string') continue;
    const text = typeof message === 'string' ? message : code;
    if (UNTRUSTED_CERTIFICATE_CODES.has(code))
      return { kind: 'untrusted-certificate', code, message: text };
    if (/^ERR_SSL_.*ALERT/.test(code)) return { kind: 'handshake-alert', code, message: text };
  }
  return undefined;
}
