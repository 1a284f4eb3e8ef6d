import { readFileSync } from 'node:fs';
import { defineConfig, type ConfigOf } from '@lib/config';
import { z } from 'zod';

/** The SASL mechanisms Kafka clients may use (`KAFKA_SASL_MECHANISM`). */
export const KAFKA_SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

const booleanVar = () =>
  z
    .string()
    .transform((value) => value.toLowerCase())
    .refine((value) => ['true', 'false', '1', '0'].includes(value), {
      message: 'expected true or false',
    })
    .transform((value) => value === 'true' || value === '1');

/**
 * A PEM file named by a variable, read once when the configuration is loaded. Errors name the
 * variable, the path and the reason; never the file's contents.
 */
const pemFileVar = () =>
  z.string().transform((path, ctx) => {
    let pem: Buffer;
    try {
      pem = readFileSync(path);
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
      });
      return z.NEVER;
    }
    if (!pem.includes('-----BEGIN ')) {
      ctx.addIssue({ code: 'custom', message: 'expected a PEM file (no "-----BEGIN" line found)' });
      return z.NEVER;
    }
    return { path, pem };
  });

/**
 * How the Kafka clients authenticate: TLS (server verification with `KAFKA_SSL_CA_FILE`, client
 * certificate with `KAFKA_SSL_CERT_FILE` + `KAFKA_SSL_KEY_FILE`) and SASL. Certificate files are
 * read once at start-up. Secrets (the password, `KAFKA_SASL_PASSWORD_FILE` too) never appear in
 * an error: cross-variable errors name the variable that is missing, not the one holding a secret.
 */
export const kafkaSecurityConfig = defineConfig(
  'kafka-security',
  z
    .object({
      KAFKA_SSL: booleanVar().default(false),
      KAFKA_SSL_CA_FILE: pemFileVar().optional(),
      KAFKA_SSL_CERT_FILE: pemFileVar().optional(),
      KAFKA_SSL_KEY_FILE: pemFileVar().optional(),
      KAFKA_SSL_REJECT_UNAUTHORIZED: booleanVar().optional(),
      KAFKA_SASL_MECHANISM: z
        .string()
        .transform((value) => value.toLowerCase())
        .pipe(
          z.enum(KAFKA_SASL_MECHANISMS, {
            message: `expected one of ${KAFKA_SASL_MECHANISMS.join(', ')}`,
          }),
        )
        .optional(),
      KAFKA_SASL_USERNAME: z.string().optional(),
      KAFKA_SASL_PASSWORD: z.string().optional(),
    })
    .superRefine((c, ctx) => {
      const issue = (variable: string, message: string) =>
        ctx.addIssue({ code: 'custom', path: [variable], message });
      if (!c.KAFKA_SSL) {
        for (const name of [
          'KAFKA_SSL_CA_FILE',
          'KAFKA_SSL_CERT_FILE',
          'KAFKA_SSL_KEY_FILE',
          'KAFKA_SSL_REJECT_UNAUTHORIZED',
        ] as const) {
          if (c[name] !== undefined) return issue('KAFKA_SSL', `must be true when ${name} is set`);
        }
      }
      if (c.KAFKA_SSL_CERT_FILE && !c.KAFKA_SSL_KEY_FILE)
        return issue('KAFKA_SSL_KEY_FILE', 'required when KAFKA_SSL_CERT_FILE is set');
      if (c.KAFKA_SSL_KEY_FILE && !c.KAFKA_SSL_CERT_FILE)
        return issue('KAFKA_SSL_CERT_FILE', 'required when KAFKA_SSL_KEY_FILE is set');
      if (c.KAFKA_SASL_MECHANISM) {
        if (c.KAFKA_SASL_USERNAME === undefined)
          return issue('KAFKA_SASL_USERNAME', 'required when KAFKA_SASL_MECHANISM is set');
        if (c.KAFKA_SASL_PASSWORD === undefined) {
          return issue(
            'KAFKA_SASL_PASSWORD',
            'required when KAFKA_SASL_MECHANISM is set (or KAFKA_SASL_PASSWORD_FILE)',
          );
        }
      } else if (c.KAFKA_SASL_USERNAME !== undefined || c.KAFKA_SASL_PASSWORD !== undefined) {
        issue(
          'KAFKA_SASL_MECHANISM',
          `required when KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is set (${KAFKA_SASL_MECHANISMS.join(', ')})`,
        );
      }
    }),
);

/** The validated Kafka security settings, certificate contents included. */
export type KafkaSecurity = ConfigOf<typeof kafkaSecurityConfig>;
