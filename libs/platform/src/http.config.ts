import { defineConfig, listVar, portVar } from '@lib/config';
import { isIP } from 'node:net';
import { z } from 'zod';

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1' || host === '[::1]') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** Where the app listens and who may call its `/v1` (API_KEYS) and `/admin` (ADMIN_API_KEYS) routes. */
export const httpConfig = defineConfig(
  'http',
  z
    .object({
      HOST: z.string().default('127.0.0.1'),
      PORT: portVar(),
      API_KEYS: listVar('API keys').optional(),
      /**
       * Keys for `/admin/*` (they open `/v1/*` too). Unset: admin routes answer 403 to every key
       * whenever API_KEYS is set, i.e. they are closed; not required on a non-loopback HOST.
       */
      ADMIN_API_KEYS: listVar('admin API keys').optional(),
    })
    .superRefine((config, context) => {
      if (!isLoopbackHost(config.HOST) && !config.API_KEYS) {
        context.addIssue({
          code: 'custom',
          path: ['API_KEYS'],
          message: `required when HOST (${config.HOST}) is not a loopback address: set comma-separated keys`,
        });
      }
    }),
);
