import { tlsRefusalOf } from '@lib/config';

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
  const tls = tlsRefusalOf(error);
  if (tls?.kind === 'untrusted-certificate')
    return `TLS: certificate verify failed (${tls.message})`;
  if (tls?.kind === 'handshake-alert') {
    return `TLS: the broker refused the handshake (${tls.code}): check RABBITMQ_SSL_CERT_FILE and RABBITMQ_SSL_KEY_FILE`;
  }
  return undefined;
}
