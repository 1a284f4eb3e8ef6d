/** OpenSSL's verification results as Node reports them in `error.code`. */
const CERTIFICATE_CODES = new Set([
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
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * Why RabbitMQ and this client refused each other, if `error` from `amqp.connect` says so: the
 * login refused (ACCESS_REFUSED), the broker's certificate not trusted, or the TLS handshake
 * refused by the broker (our client certificate). Undefined for anything else: an unreachable
 * broker heals without an operator. The reason quotes Node's and RabbitMQ's wording, which holds
 * neither the URL nor the password.
 */
export function rmqAccessRejection(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code = '', message = '' } = error as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || typeof message !== 'string') return undefined;
  if (/ACCESS[-_]REFUSED/.test(message)) {
    return 'RabbitMQ refused the login (ACCESS_REFUSED): check the user and password of RABBITMQ_URL';
  }
  if (CERTIFICATE_CODES.has(code)) return `TLS: certificate verify failed (${message})`;
  if (/^ERR_SSL_.*ALERT/.test(code)) {
    return `TLS: the broker refused the handshake (${code}): check RABBITMQ_SSL_CERT_FILE and RABBITMQ_SSL_KEY_FILE`;
  }
  return undefined;
}
