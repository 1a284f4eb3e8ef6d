/**
 * The operator console in a real browser (Debian's chromium driven by playwright-core) over the
 * four apps started in-process on Kafka and PostgreSQL with admin keys: the page shows the four
 * apps live; a poisoned page-views record (no pageId) shows up in pv-counter's dead letters with
 * its error class and opens with its payload; a view dead-lettered during a database outage (the
 * cause since fixed) is replayed from the page and counted; purge (after a confirmation naming the
 * count) empties the list; pausing page-views holds its committed offsets and resuming moves them;
 * moving page-views' offsets to a time (after skipping to latest) counts exactly the views after it.
 */
import type { Env } from '@lib/config';
import type { HttpApp } from '@lib/platform';
import { topologyNames } from '@lib/retry';
import {
  createThrowawayDatabase,
  dropDatabase,
  freeTcpPort,
  testServices,
  uniqueName,
  waitFor,
} from '@test/support';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { createAggregatorApp } from '../apps/aggregator/src/aggregator.app';
import { createIngestApp } from '../apps/ingest/src/ingest.app';
import { createLogCollectorApp } from '../apps/log-collector/src/log-collector.app';
import { createPvCounterApp } from '../apps/pv-counter/src/pv-counter.app';
import {
  CONSOLE_ADMIN_KEY as ADMIN_KEY,
  CONSOLE_APP_NAMES,
  CONSOLE_CLIENT_KEY as CLIENT_KEY,
  CONSOLE_WAIT as WAIT,
  ConsolePage,
  consoleAppsVariable,
  databaseOutageFailure,
  launchChromium,
  postView,
  viewsToday,
  type ConsoleAppName,
} from './support/console-page';

const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1';
const IMAGES = join(__dirname, '..', 'docs', 'images');

const CREATE: Readonly<Record<ConsoleAppName, (env: Env) => Promise<HttpApp>>> = {
  'log-collector': createLogCollectorApp,
  'pv-counter': createPvCounterApp,
  aggregator: createAggregatorApp,
  ingest: createIngestApp,
};

interface Status {
  streams: Array<{
    stream: string;
    paused: boolean;
    partitions: Array<{ assigned: boolean; committed?: string }>;
  }>;
}

describe('operator console in a browser (Kafka, PostgreSQL)', () => {
  const started: HttpApp[] = [];
  const urls: Record<string, string> = {};
  const group = uniqueName('pvc');
  let dir: string;
  let databaseUrl: string;
  let browser: Browser;
  let consolePage: ConsolePage;
  let producer: Producer;
  const kafka = new Kafka({
    brokers: testServices().kafkaBrokers.split(','),
    logLevel: logLevel.NOTHING,
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ep-console-'));
    databaseUrl = await createThrowawayDatabase('console');
    const ports = {} as Record<ConsoleAppName, number>;
    for (const name of CONSOLE_APP_NAMES) ports[name] = await freeTcpPort();
    for (const name of CONSOLE_APP_NAMES) {
      const appDir = join(dir, name);
      await mkdir(appDir);
      const app = await CREATE[name]({
        BROKER: 'kafka',
        KAFKA_BROKERS: testServices().kafkaBrokers,
        DATABASE_URL: databaseUrl,
        DATA_DIR: appDir,
        PORT: String(ports[name]),
        LOG_LEVEL: 'error',
        API_KEYS: CLIENT_KEY,
        ADMIN_API_KEYS: ADMIN_KEY,
        SHUTDOWN_GRACE_MS: '0',
        CONSUMER_GROUP: name === 'pv-counter' ? group : uniqueName(name),
        ...(name === 'ingest'
          ? { CONSOLE_ENABLED: 'true', CONSOLE_APPS: consoleAppsVariable(ports) }
          : {}),
      });
      started.push(app);
      urls[name] = await app.listen();
    }
    producer = kafka.producer();
    await producer.connect();
    browser = await launchChromium();
    // UTC: the time typed into the page's time fields is read in the browser's zone.
    const page = await browser.newPage({
      viewport: { width: 1400, height: 1000 },
      timezoneId: 'UTC',
    });
    consolePage = new ConsolePage(page, urls.ingest);
  }, 240_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    for (const app of [...started].reverse()) await app.app.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    if (databaseUrl) await dropDatabase(databaseUrl).catch(() => undefined);
  }, 120_000);

  async function status(app: string): Promise<Status> {
    const response = await fetch(`${urls[app]}/admin/status`, {
      headers: { 'x-api-key': ADMIN_KEY },
      signal: AbortSignal.timeout(15_000),
    });
    return (await response.json()) as Status;
  }

  async function committed(): Promise<Array<string | undefined>> {
    const stream = (await status('pv-counter')).streams.find((s) => s.stream === 'page-views')!;
    return stream.partitions.filter((p) => p.assigned).map((p) => p.committed);
  }

  const views = (pageId: string) => viewsToday(urls['pv-counter'], pageId);

  it('refuses sessions and actions without an admin key, and unknown apps', async () => {
    const session = await fetch(`${urls.ingest}/console/session`, { method: 'POST' });
    expect(session.status).toBe(401);
    const client = await fetch(`${urls.ingest}/console/session`, {
      method: 'POST',
      headers: { 'x-api-key': CLIENT_KEY },
    });
    expect(client.status).toBe(403);
    expect((await fetch(`${urls.ingest}/console/events?token=nope`)).status).toBe(401);
    const unknown = await fetch(`${urls.ingest}/console/api/apps/nope/dead-letters?stream=x`, {
      headers: { 'x-api-key': ADMIN_KEY },
    });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { message: string }).message).toMatch(/unknown app/);
    const badStream = await fetch(
      `${urls.ingest}/console/api/apps/pv-counter/dead-letters?stream=nope`,
      { headers: { 'x-api-key': ADMIN_KEY } },
    );
    expect(badStream.status).toBe(400);
  });

  it('shows the four apps live once the admin key is given', async () => {
    const page = consolePage.page;
    await consolePage.signIn();
    // A first view creates page-views on a fresh broker; its partitions are then assigned.
    await postView(urls.ingest, uniqueName('first-page'));
    await page
      .locator('[data-stream="pv-counter/page-views"] tr[data-partition]')
      .first()
      .waitFor(WAIT);
    expect(await page.textContent('#live')).toMatch(/live/);
    expect(await page.evaluate('sessionStorage.getItem("console.adminKey")')).toBe(ADMIN_KEY);
    if (SCREENSHOTS)
      await page.screenshot({ path: join(IMAGES, 'console-dashboard.png'), fullPage: true });
  }, 90_000);

  it('lists a poisoned record with its error class and opens its payload', async () => {
    const marker = uniqueName('poison');
    await producer.send({
      topic: 'page-views',
      messages: [{ key: marker, value: JSON.stringify({ eventId: marker, note: 'no pageId' }) }],
    });
    // Its event id is in the error message; other tests' poisoned views may be listed too.
    const row = await consolePage.waitForLetters(marker, { count: 1 });
    expect(await row.locator('.error-class').textContent()).toBe('EventValidationError');
    const { title } = await consolePage.open(row, marker);
    expect(title).toMatch(/EventValidationError/);
    if (SCREENSHOTS)
      await consolePage.page.screenshot({
        path: join(IMAGES, 'console-dead-letters.png'),
        fullPage: true,
      });
  }, 90_000);

  it('replays a view dead-lettered during a database outage: it is counted', async () => {
    // The cause (the database) is fixed: replaying the letter counts the view.
    const pageId = uniqueName('replayed-page');
    const at = new Date().toISOString();
    await producer.send({
      topic: topologyNames.kafka.deadLetterTopic('page-views', group),
      messages: [
        {
          key: pageId,
          value: JSON.stringify({ eventId: uniqueName('ev'), pageId, occurredAt: at }),
          headers: databaseOutageFailure(at),
        },
      ],
    });
    await consolePage.replayUntilCounted(
      'DatabaseUnavailableError',
      async () => (await views(pageId)) === 1,
    );
  }, 90_000);

  it('purges after a confirmation that says how many', async () => {
    await consolePage.showLetters();
    await consolePage.page.locator('#dl-rows tr').first().waitFor(WAIT);
    // The count in the dialog is the one the status shows for the stream.
    const confirmation = await consolePage.purge(async () => {
      if (SCREENSHOTS)
        await consolePage.page.screenshot({ path: join(IMAGES, 'console-purge.png') });
    });
    expect(confirmation).toMatch(/^Purge [1-9]\d* dead letter\(s\) of page-views \(pv-counter\)/);
    expect(await consolePage.expectNoLetters()).toBe(0);
  }, 90_000);

  it('pausing page-views holds its committed offsets; resuming moves them', async () => {
    const page = consolePage.page;
    const before = await committed();
    const control = page.locator('[data-stream="pv-counter/page-views"] button[data-action]');
    await page.locator('[data-stream="pv-counter/page-views"] button[data-action="pause"]').click();
    await page.locator('[data-stream="pv-counter/page-views"] .badge.paused').waitFor(WAIT);
    expect((await status('pv-counter')).streams[0].paused).toBe(true);
    const heldPage = uniqueName('held-page');
    await postView(urls.ingest, heldPage);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(await views(heldPage)).toBe(0);
    const held = await committed();
    await control.click();
    await page
      .locator('[data-stream="pv-counter/page-views"] button[data-action="pause"]')
      .waitFor(WAIT);
    await waitFor(async () => (await views(heldPage)) === 1, {
      timeoutMs: 30_000,
      intervalMs: 500,
      description: 'the held view counted after the resume',
    });
    await waitFor(async () => JSON.stringify(await committed()) !== JSON.stringify(held), {
      timeoutMs: 30_000,
      intervalMs: 500,
      description: 'committed offsets moved after the resume',
    });
    expect(before.length).toBeGreaterThan(0);
  }, 120_000);

  it('moving page-views to a time makes pv-counter count exactly the views after it', async () => {
    const page = consolePage.page;
    const stream = '[data-stream="pv-counter/page-views"]';
    const [beforePage, afterPage] = [uniqueName('before-page'), uniqueName('after-page')];
    await page.locator(`${stream} button[data-action="pause"]`).click();
    await page.locator(`${stream} .badge.paused`).waitFor(WAIT);
    for (let i = 0; i < 3; i++) await postView(urls.ingest, beforePage);
    // The page's time field has whole seconds: the time is the next whole second after those views.
    const time = new Date(Math.floor(Date.now() / 1000) * 1000 + 1000);
    await new Promise((resolve) => setTimeout(resolve, time.getTime() + 200 - Date.now()));
    for (let i = 0; i < 4; i++) await postView(urls.ingest, afterPage);

    // Skip them first (latest), then resume: neither page is counted.
    await page.selectOption('#offsets-stream', 'pv-counter/page-views');
    await page.selectOption('#offsets-to', 'latest');
    await page.click('#offsets-dry-run');
    await page.locator('#offsets-message', { hasText: 'Dry run' }).waitFor(WAIT);
    await page.click('#offsets-apply');
    await page.locator('#confirm-text', { hasText: /skipped for good/ }).waitFor(WAIT);
    await page.click('#confirm-ok');
    await page.locator('#offsets-message', { hasText: 'Moved the offsets' }).waitFor(WAIT);
    await page.locator(`${stream} button[data-action="resume"]`).click();
    await page.locator(`${stream} button[data-action="pause"]`).waitFor(WAIT);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect([await views(beforePage), await views(afterPage)]).toEqual([0, 0]);

    // Back to the time: the dry run shows the four views to read again, then the move counts them.
    await page.selectOption('#offsets-to', 'time');
    await page.fill('#offsets-time', time.toISOString().slice(0, 19));
    await page.click('#offsets-dry-run');
    await page.locator('#offsets-message', { hasText: time.toISOString() }).waitFor(WAIT);
    const records = await page.locator('#offsets-rows .records').allTextContents();
    expect(records.reduce((sum, r) => sum + Number(r), 0)).toBeLessThanOrEqual(-4);
    if (SCREENSHOTS) await page.screenshot({ path: join(IMAGES, 'console-offsets.png') });
    await page.click('#offsets-apply');
    await page.locator('#confirm-text', { hasText: /read again/ }).waitFor(WAIT);
    await page.click('#confirm-ok');
    await page.locator('#offsets-message', { hasText: 'Moved the offsets' }).waitFor(WAIT);
    await waitFor(async () => (await views(afterPage)) === 4, {
      timeoutMs: 30_000,
      intervalMs: 500,
      description: 'the four views after the time counted',
    });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect([await views(beforePage), await views(afterPage)]).toEqual([0, 4]);
  }, 120_000);
});
