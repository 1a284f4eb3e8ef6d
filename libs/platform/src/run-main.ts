import { Logger } from '@nestjs/common';
import { isConfigError } from '@lib/config';
import type { HttpApp } from './create-http-app';

/**
 * The body of an app's `main.ts`: create, enable shutdown hooks (SIGTERM/SIGINT run the shutdown
 * coordinator), listen, and print where. A configuration error prints its one line and exits 1.
 */
export function runMain(create: () => Promise<HttpApp>): void {
  create()
    .then(async (created) => {
      created.app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
      const url = await created.listen();
      new Logger(created.name).log(`listening on ${url}`);
    })
    .catch((error: unknown) => {
      if (isConfigError(error)) {
        console.error(error.message);
      } else {
        console.error('start-up failed:', error);
      }
      process.exit(1);
    });
}
