/**
 * A graceful stop is a success: SIGTERM or SIGINT runs the shutdown coordinator and the process
 * exits 0 once every step finished (an orchestrator reads 143, a re-raised SIGTERM, as a failure).
 */
import { startAppProcess, waitFor, type AppProcess } from '@test/support';

describe('graceful shutdown of a built app', () => {
  let app: AppProcess | undefined;

  afterEach(async () => {
    await app?.kill();
    app = undefined;
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s: readiness turns 503, the drain completes, and the process exits 0',
    async (signal) => {
      app = await startAppProcess('ingest', {
        env: { BROKER: 'memory', SHUTDOWN_GRACE_MS: '500' },
      });
      const accepted = await fetch(`${app.url}/v1/page-views`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ pageId: 'exit-test' }),
      });
      expect(accepted.status).toBe(202);

      process.kill(app.pid, signal);
      // During the grace delay the app still answers, and readiness says it is stopping.
      await waitFor(async () => (await fetch(`${app!.url}/health/ready`)).status === 503, {
        timeoutMs: 2_000,
        intervalMs: 20,
        description: 'readiness 503 after the signal',
      });
      expect(await app.exited).toEqual({ code: 0, signal: null });
      expect(app.output()).not.toMatch(/did not finish before the shutdown timeout|failed:/);
    },
    60_000,
  );
});
