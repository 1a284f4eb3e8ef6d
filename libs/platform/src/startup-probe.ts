import { createServer } from 'node:http';
import type { StartupStatus } from '@lib/lifecycle';

/** A running start-up probe; closed just before the app listens on the same address. */
export interface StartupProbe {
  close(): Promise<void>;
}

/**
 * Answers the health routes on the app's address while start-up waits for a dependency that
 * refuses us (opened only then), so that an orchestrator sees a live process that is not ready
 * (and why) instead of a refused connection, and does not restart an app that waits for an
 * operator to fix a credential or certificate.
 * `/health/live` is 200, `/health/ready` 503 in the terminus format with what start-up waits
 * for; everything else 503. Written with node:http because the Nest app does not exist yet.
 * Resolves to a no-op probe when the address is taken or the port is 0 (the app's own listen
 * reports that).
 */
export async function startStartupProbe(
  host: string,
  port: number,
  status: StartupStatus,
): Promise<StartupProbe> {
  if (port === 0) return { close: async () => undefined };
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    const live = path === '/health/live';
    const details = Object.fromEntries(
      Object.entries(status.waitingFor()).map(([dependency, reason]) => [
        dependency,
        { status: 'down', message: reason },
      ]),
    );
    const waiting = { startup: { status: 'down', message: 'starting' }, ...details };
    const body = live
      ? { status: 'ok', info: {}, error: {}, details: {} }
      : { status: 'error', info: {}, error: waiting, details: waiting };
    response.writeHead(live ? 200 : 503, {
      'content-type': 'application/json; charset=utf-8',
      connection: 'close',
    });
    response.end(JSON.stringify(body));
  });
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, host, () => resolve(true));
  });
  if (!listening) return { close: async () => undefined };
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
