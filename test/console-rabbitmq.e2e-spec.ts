/**
 * The operator console's dead-letter panel in a real browser (Debian's chromium driven by
 * playwright-core) over the four built apps, each its own process, on RabbitMQ and PostgreSQL
 * with admin keys: a poisoned page view (no pageId) put in pv-counter's queue is listed with its
 * error class within seconds and opens with its payload and headers; a view dead-lettered during
 * a database outage (the cause since fixed) is replayed from the page and counted; purge (after
 * a confirmation naming the count) empties the failed queue; pv-counter's own log holds an audit
 * line for the replay and the purge naming the admin key by its fingerprint.
 */
import { HEADERS } from '@lib/contracts';
import { DEFAULT_RETRY_POLICY, retryTiers, topologyNames } from '@lib/retry';
import {
  createThrowawayDatabase,
  dropDatabase,
  freeTcpPort,
  startAppProcess,
  testServices,
  uniqueName,
  waitFor,
  type AppProcess,
} from '@test/support';
import amqp, { type ChannelModel } from 'amqplib';
import { createHash, randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import {
  CONSOLE_ADMIN_KEY as ADMIN_KEY,
  CONSOLE_APP_NAMES,
  CONSOLE_CLIENT_KEY as CLIENT_KEY,
  CONSOLE_WAIT,
  ConsolePage,
  consoleAppsVariable,
  databaseOutageFailure,
  launchChromium,
  postView,
  viewsToday,
  type ConsoleAppName,
} from './support/console-page';

const names = topologyNames.rabbitmq;

interface AuditLine {
  audit: true;
  app: string;
  action: string;
  who: string;
  stream: string;
  [field: string]: unknown;
}

describe('operator console in a browser: dead letters on RabbitMQ', () => {
  const apps = {} as Record<ConsoleAppName, AppProcess>;
  // Groups of their own: their durable queues see every view posted by concurrent tests.
  const groups = Object.fromEntries(
    CONSOLE_APP_NAMES.map((name) => [name, uniqueName(name)]),
  ) as Record<ConsoleAppName, string>;
  const mainQueue = names.queue(groups['pv-counter'], 'page-views');
  const failedQueue = names.failedQueue(groups['pv-counter'], 'page-views');
  const consumed = new Map<string, string[]>();
  let databaseUrl: string;
  let rabbit: ChannelModel;
  let browser: Browser;
  let consolePage: ConsolePage;

  beforeAll(async () => {
    databaseUrl = await createThrowawayDatabase('console_rmq');
    rabbit = await amqp.connect(testServices().rabbitmqUrl);
    const ports = {} as Record<ConsoleAppName, number>;
    for (const name of CONSOLE_APP_NAMES) ports[name] = await freeTcpPort();
    const started = CONSOLE_APP_NAMES.map(async (name) => {
      apps[name] = await startAppProcess(name, {
        port: ports[name],
        env: {
          BROKER: 'rabbitmq',
          RABBITMQ_URL: testServices().rabbitmqUrl,
          DATABASE_URL: databaseUrl,
          API_KEYS: CLIENT_KEY,
          ADMIN_API_KEYS: ADMIN_KEY,
          CONSUMER_GROUP: groups[name],
          // The audit lines are info lines.
          LOG_LEVEL: name === 'pv-counter' ? 'info' : 'warn',
          ...(name === 'ingest'
            ? { CONSOLE_ENABLED: 'true', CONSOLE_APPS: consoleAppsVariable(ports) }
            : {}),
        },
      });
      consumed.set(name, await streamsOf(apps[name].url));
    });
    // All started (or failed) before any is judged, so none is left running unseen.
    const failed = (await Promise.allSettled(started)).find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    // Once a posted view is counted, ingest's exchange and pv-counter's queue are bound.
    const warm = uniqueName('warm-page');
    await postView(apps.ingest.url, warm);
    await waitFor(async () => (await viewsToday(apps['pv-counter'].url, warm)) === 1, {
      timeoutMs: 60_000,
      intervalMs: 250,
      description: 'the warm-up view counted',
    });
    browser = await launchChromium();
    consolePage = new ConsolePage(
      await browser.newPage({ viewport: { width: 1400, height: 1000 } }),
      apps.ingest.url,
    );
    await consolePage.signIn();
  }, 180_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await Promise.all(Object.values(apps).map((app) => app.stop().catch(() => undefined)));
    for (const [name, streams] of consumed)
      for (const stream of streams) await deleteQueues(groups[name as ConsoleAppName], stream);
    await rabbit?.close().catch(() => undefined);
    if (databaseUrl) await dropDatabase(databaseUrl).catch(() => undefined);
  }, 120_000);

  /** The streams an app consumes, from its `/admin/status`. */
  async function streamsOf(url: string): Promise<string[]> {
    const response = await fetch(`${url}/admin/status`, { headers: { 'x-api-key': ADMIN_KEY } });
    const body = (await response.json()) as { streams: Array<{ stream: string }> };
    return body.streams.map((s) => s.stream);
  }

  /** Deletes the queues group `group` declared for `stream` (the exchange is shared). */
  async function deleteQueues(group: string, stream: string): Promise<void> {
    const queues = [
      names.queue(group, stream),
      names.failedQueue(group, stream),
      ...retryTiers(DEFAULT_RETRY_POLICY).map((delay) => names.retryQueue(group, stream, delay)),
    ];
    const channel = await rabbit.createChannel();
    for (const queue of queues) await channel.deleteQueue(queue).catch(() => undefined);
    await channel.close().catch(() => undefined);
  }

  /** Sends a message straight to a queue of this test's groups (through the default exchange). */
  async function sendToQueue(
    queue: string,
    body: unknown,
    options: amqp.Options.Publish = {},
  ): Promise<void> {
    const channel = await rabbit.createConfirmChannel();
    channel.sendToQueue(queue, Buffer.from(JSON.stringify(body)), {
      persistent: true,
      contentType: 'application/json',
      ...options,
    });
    await channel.waitForConfirms();
    await channel.close();
  }

  async function failedCount(): Promise<number> {
    const channel = await rabbit.createChannel();
    try {
      return (await channel.checkQueue(failedQueue)).messageCount;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /** pv-counter's audit lines (JSON lines of its stdout with `audit: true`). */
  function auditLines(): AuditLine[] {
    return apps['pv-counter']
      .output()
      .split('\n')
      .filter((line) => line.includes('"audit":true'))
      .map((line) => JSON.parse(line) as AuditLine);
  }

  it('lists a poisoned view with its error class within seconds and opens its payload and headers', async () => {
    // A producer outside the pipeline: no pageId, sent to pv-counter's own queue only.
    const marker = uniqueName('poison');
    await sendToQueue(mainQueue, { eventId: marker, note: 'no pageId' });
    const row = await consolePage.waitForLetters(marker, { count: 1, timeoutMs: 15_000 });
    expect(await row.locator('.error-class').textContent()).toBe('EventValidationError');
    const { title, headers } = await consolePage.open(row, marker);
    expect(title).toMatch(/EventValidationError/);
    expect(headers).toMatchObject({
      [HEADERS.errorClass]: 'EventValidationError',
      [HEADERS.errorMessage]: expect.stringContaining('pageId'),
    });
  }, 60_000);

  it('replays a view dead-lettered during a database outage from the page: it is counted', async () => {
    const pageId = uniqueName('replayed-page');
    const at = new Date().toISOString();
    await sendToQueue(
      failedQueue,
      { eventId: uniqueName('ev'), pageId, occurredAt: at },
      {
        messageId: randomUUID(),
        headers: { ...databaseOutageFailure(at), [HEADERS.attempt]: '4' },
      },
    );
    await consolePage.replayUntilCounted(
      'DatabaseUnavailableError',
      async () => (await viewsToday(apps['pv-counter'].url, pageId)) === 1,
    );
    // Only the replayed letter left the queue: the poisoned one is still listed.
    await consolePage.waitForLetters('EventValidationError', { count: 1 });
    expect(await consolePage.rowsWith('DatabaseUnavailableError').count()).toBe(0);
  }, 60_000);

  it('purges after a confirmation naming the count: the failed queue is empty', async () => {
    await consolePage.waitForLetters('EventValidationError', { count: 1 });
    // The dialog names the count the live status shows, which trails the queue by seconds.
    await consolePage.page
      .locator('[data-stream="pv-counter/page-views"] .badge[title="dead letters"]', {
        hasText: /^DLT 1$/,
      })
      .waitFor(CONSOLE_WAIT);
    const confirmation = await consolePage.purge();
    expect(confirmation).toMatch(/^Purge 1 dead letter\(s\) of page-views \(pv-counter\)/);
    expect(await consolePage.expectNoLetters()).toBe(0);
    expect(await failedCount()).toBe(0);
  }, 60_000);

  it("writes an audit line for the replay and the purge in pv-counter's log", async () => {
    const who = createHash('sha256').update(ADMIN_KEY).digest('hex').slice(0, 8);
    const lines = await waitFor(() => (auditLines().length >= 2 ? auditLines() : undefined), {
      timeoutMs: 10_000,
      description: "two audit lines in pv-counter's log",
    });
    expect(lines).toEqual([
      expect.objectContaining({ action: 'replay', stream: 'page-views', who, ids: 1, replayed: 1 }),
      expect.objectContaining({ action: 'purge', stream: 'page-views', who, purged: 1 }),
    ]);
    expect(JSON.stringify(lines)).not.toContain(ADMIN_KEY);
  });
});
