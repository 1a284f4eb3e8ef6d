import { booleanVar, defineConfig } from '@lib/config';
import { z } from 'zod';

/** One app the console watches: its name and base URL. */
export interface ConsoleApp {
  readonly name: string;
  readonly url: string;
}

/** The four apps on their default local ports (docs/contract.md). */
export const DEFAULT_CONSOLE_APPS =
  'ingest=http://127.0.0.1:3000,aggregator=http://127.0.0.1:3001,log-collector=http://127.0.0.1:3002,pv-counter=http://127.0.0.1:3003';

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Parses `name=url,name=url`; a malformed entry is reported as one line naming it. */
const appsVar = () =>
  z.string().transform((value, context): ConsoleApp[] => {
    const apps: ConsoleApp[] = [];
    for (const entry of value.split(',').map((e) => e.trim())) {
      const at = entry.indexOf('=');
      const name = entry.slice(0, at).trim();
      const url = entry.slice(at + 1).trim();
      let valid = at > 0 && NAME.test(name) && !apps.some((app) => app.name === name);
      try {
        valid &&= ['http:', 'https:'].includes(new URL(url).protocol);
      } catch {
        valid = false;
      }
      if (!valid) {
        context.addIssue({
          code: 'custom',
          message: `expected comma-separated name=http(s)://host:port entries with distinct names; bad entry "${entry.slice(0, 80)}"`,
        });
        return z.NEVER;
      }
      apps.push({ name, url: url.replace(/\/+$/, '') });
    }
    return apps;
  });

/** The operator console: whether this app serves it and which apps it watches. */
export const consoleConfig = defineConfig(
  'console',
  z.object({
    CONSOLE_ENABLED: booleanVar().default(false),
    CONSOLE_APPS: appsVar().default(appsVar().parse(DEFAULT_CONSOLE_APPS)),
  }),
);
