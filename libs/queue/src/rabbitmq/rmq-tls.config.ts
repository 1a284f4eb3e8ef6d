import {
  booleanVar,
  defineConfig,
  isMatchingKeyPair,
  pemFileVar,
  type ConfigOf,
} from '@lib/config';
import { z } from 'zod';

const FILE_VARIABLES = [
  'RABBITMQ_SSL_CA_FILE',
  'RABBITMQ_SSL_CERT_FILE',
  'RABBITMQ_SSL_KEY_FILE',
] as const;

function isAmqps(url: string): boolean {
  try {
    return new URL(url).protocol === 'amqps:';
  } catch {
    return false; // queueConfig reports a malformed RABBITMQ_URL
  }
}

/**
 * RabbitMQ over TLS: with an `amqps://` RABBITMQ_URL, the CA that signed the broker's certificate
 * (unset: Node's bundled public CAs), a client certificate and key, whether to verify the broker
 * (default true) and the name to verify it by (default: the URL's host). Files are read once at
 * start-up. Errors name a TLS variable, never RABBITMQ_URL, whose value holds the password.
 */
export const rabbitmqTlsConfig = defineConfig(
  'rabbitmq-tls',
  z
    .object({
      /** Only to tell `amqps://` from `amqp://`; queueConfig validates it. */
      RABBITMQ_URL: z.string().default('amqp://guest:guest@localhost:5672'),
      RABBITMQ_SSL_CA_FILE: pemFileVar('certificate').optional(),
      RABBITMQ_SSL_CERT_FILE: pemFileVar('certificate').optional(),
      RABBITMQ_SSL_KEY_FILE: pemFileVar('key').optional(),
      RABBITMQ_SSL_REJECT_UNAUTHORIZED: booleanVar().optional(),
      RABBITMQ_SSL_SERVERNAME: z.string().optional(),
    })
    .superRefine((c, ctx) => {
      const issue = (variable: string, message: string) =>
        ctx.addIssue({ code: 'custom', path: [variable], message });
      if (!isAmqps(c.RABBITMQ_URL)) {
        for (const name of [
          ...FILE_VARIABLES,
          'RABBITMQ_SSL_REJECT_UNAUTHORIZED',
          'RABBITMQ_SSL_SERVERNAME',
        ] as const) {
          if (c[name] !== undefined)
            return issue(name, 'needs an amqps:// RABBITMQ_URL (TLS is off with amqp://)');
        }
      }
      if (c.RABBITMQ_SSL_CERT_FILE && !c.RABBITMQ_SSL_KEY_FILE) {
        return issue('RABBITMQ_SSL_KEY_FILE', 'required with RABBITMQ_SSL_CERT_FILE');
      }
      if (c.RABBITMQ_SSL_KEY_FILE && !c.RABBITMQ_SSL_CERT_FILE) {
        return issue('RABBITMQ_SSL_CERT_FILE', 'required with RABBITMQ_SSL_KEY_FILE');
      }
      if (c.RABBITMQ_SSL_CERT_FILE && c.RABBITMQ_SSL_KEY_FILE) {
        if (!isMatchingKeyPair(c.RABBITMQ_SSL_CERT_FILE, c.RABBITMQ_SSL_KEY_FILE)) {
          issue(
            'RABBITMQ_SSL_KEY_FILE',
            'expected an unencrypted PEM private key matching RABBITMQ_SSL_CERT_FILE',
          );
        }
      }
    })
    .transform((c): RmqTlsSettings => ({
      tls: c.RABBITMQ_URL.startsWith('amqps://')
        ? {
            ...(c.RABBITMQ_SSL_CA_FILE && { ca: c.RABBITMQ_SSL_CA_FILE }),
            ...(c.RABBITMQ_SSL_CERT_FILE && {
              cert: c.RABBITMQ_SSL_CERT_FILE,
              key: c.RABBITMQ_SSL_KEY_FILE,
            }),
            rejectUnauthorized: c.RABBITMQ_SSL_REJECT_UNAUTHORIZED ?? true,
            ...(c.RABBITMQ_SSL_SERVERNAME && { servername: c.RABBITMQ_SSL_SERVERNAME }),
          }
        : undefined,
    })),
);

/** amqplib's TLS socket options (passed to Node's `tls.connect`). */
export interface RmqTlsOptions {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly rejectUnauthorized: boolean;
  readonly servername?: string;
}

/** The loaded settings: TLS socket options when RABBITMQ_URL is `amqps://`. */
export interface RmqTlsSettings {
  readonly tls?: RmqTlsOptions;
}

/** The validated RabbitMQ TLS configuration. */
export type RabbitmqTlsConfig = ConfigOf<typeof rabbitmqTlsConfig>;
