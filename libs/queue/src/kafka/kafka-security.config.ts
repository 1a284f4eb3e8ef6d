import { booleanVar, defineConfig, pemFileVar, type ConfigOf } from '@lib/config';
import { z } from 'zod';

/** The SASL mechanisms Kafka clients may use (`KAFKA_SASL_MECHANISM`). */
export const KAFKA_SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

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
      KAFKA_SSL_CA_FILE: pemFileVar('certificate').optional(),
      KAFKA_SSL_CERT_FILE: pemFileVar('certificate').optional(),
      KAFKA_SSL_KEY_FILE: pemFileVar('key').optional(),
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
