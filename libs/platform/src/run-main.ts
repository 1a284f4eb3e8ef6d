import { Logger } from '@nestjs/common';
import { isStartupRefusal } from '@lib/config';
import { ShutdownCoordinator } from '@lib/lifecycle';
import type { HttpApp } from './create-http-app';

/**
 * Past SHUTDOWN_TIMEOUT_MS the coordinator still gives each remaining participant a moment (so
 * phases keep their order); this much later the process exits whatever is still running.
 */
const HARD_EXIT_MARGIN_MS = 10_000;

/**
 * The body of an app's `main.ts`: create, listen, and print where. A configuration error prints
 * its one line and exits 1. SIGTERM and SIGINT run the shutdown coordinator (through Nest's
 * close) and then exit 0 when every step finished in time, or 1 when one failed or hung: a
 * graceful stop is a success to an orchestrator, which reads a re-raised SIGTERM (status 143) as
 * a failure. A second signal, or the hard limit, exits 1 at once.
 */
export function runMain(create: () => Promise<HttpApp>): void {
  create()
    .then(async (created) => {
      exitOnSignals(created);
      const url = await created.listen();
      new Logger(created.name).log(`listening on ${url}`);
    })
    .catch((error: unknown) => {
      if (isStartupRefusal(error)) {
        console.error(error.message);
      } else {
        console.error('start-up failed:', error);
      }
      process.exit(1);
    });
}

function exitOnSignals(created: HttpApp): void {
  const logger = new Logger(`${created.name} shutdown`);
  const coordinator = created.app.get(ShutdownCoordinator);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.error(`${signal} again while shutting down: exiting now`);
      process.exit(1);
    }
    stopping = true;
    const limitMs = coordinator.timeoutMs + HARD_EXIT_MARGIN_MS;
    setTimeout(() => {
      logger.error(`still shutting down ${limitMs} ms after ${signal}: exiting now`);
      process.exit(1);
    }, limitMs).unref();
    created.app.close().then(
      () => process.exit(coordinator.outcome?.clean === false ? 1 : 0),
      (error: unknown) => {
        logger.error(`shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
