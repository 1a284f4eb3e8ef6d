/**
 * The operator console (libs/console) driven in Debian's chromium through playwright-core, and
 * the few HTTP calls its browser tests make to the apps around it (post a view, read its count).
 */
import { HEADERS } from '@lib/contracts';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { uniqueName, waitFor } from './services';

/** The admin key the console tests configure (`ADMIN_API_KEYS`). */
export const CONSOLE_ADMIN_KEY = 'console-admin-key';
/** The client key the console tests configure (`API_KEYS`). */
export const CONSOLE_CLIENT_KEY = 'console-client-key';
/** How long a step on the page may take on a shared machine. */
export const CONSOLE_WAIT = { timeout: 30_000 };
/** The apps the console watches, in the order the tests start them (ingest, serving it, last). */
export const CONSOLE_APP_NAMES = ['log-collector', 'pv-counter', 'aggregator', 'ingest'] as const;
/** A name of {@link CONSOLE_APP_NAMES}. */
export type ConsoleAppName = (typeof CONSOLE_APP_NAMES)[number];

/** `CONSOLE_APPS` for apps listening on 127.0.0.1 at these ports. */
export function consoleAppsVariable(ports: Readonly<Record<ConsoleAppName, number>>): string {
  return CONSOLE_APP_NAMES.map((name) => `${name}=http://127.0.0.1:${ports[name]}`).join(',');
}

/** Headless /usr/bin/chromium, without the background traffic a test does not want. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** The console page of one browser tab: signing in and the dead-letter panel's actions. */
export class ConsolePage {
  constructor(
    readonly page: Page,
    private readonly ingestUrl: string,
  ) {}

  /** Opens `/console`, gives the admin key and waits until every watched app shows ready. */
  async signIn(adminKey = CONSOLE_ADMIN_KEY): Promise<void> {
    await this.page.goto(`${this.ingestUrl}/console`);
    await this.page.fill('#admin-key', adminKey);
    await this.page.click('#key-form button[type=submit]');
    for (const name of CONSOLE_APP_NAMES) {
      await this.page
        .locator(`article[data-app="${name}"] .badge.up`, { hasText: /^ready$/ })
        .waitFor(CONSOLE_WAIT);
    }
  }

  /** Shows the first page of a stream's dead letters (`<app>/<stream>`), of one error class if given. */
  async showLetters(errorClass = '', stream = 'pv-counter/page-views'): Promise<void> {
    await this.page.selectOption('#dl-stream', stream);
    await this.page.fill('#dl-error-class', errorClass);
    await this.page.click('#dl-load');
  }

  /** The listed rows that contain `text` (an error class, or an event id in the error message). */
  rowsWith(text: string): Locator {
    return this.page.locator('#dl-rows tr', { hasText: text });
  }

  /**
   * Shows the letters (filtered by error class `filter` when given) again every second until
   * `count` rows containing `text` are listed, or at least one when `count` is not given;
   * returns those rows.
   */
  async waitForLetters(
    text: string,
    {
      count,
      filter = '',
      timeoutMs = 30_000,
    }: { count?: number; filter?: string; timeoutMs?: number } = {},
  ): Promise<Locator> {
    const rows = this.rowsWith(text);
    await waitFor(
      async () => {
        await this.showLetters(filter);
        const listed = await rows.count();
        return count === undefined ? listed > 0 : listed === count;
      },
      { timeoutMs, intervalMs: 1_000, description: `letters with "${text}" in the list` },
    );
    return rows;
  }

  /** Opens the row's letter; resolves once its detail shows a payload containing `payloadText`. */
  async open(row: Locator, payloadText: string): Promise<{ title: string; headers: unknown }> {
    await row.locator('.dl-open').click();
    await this.page.locator('#dl-payload', { hasText: payloadText }).waitFor(CONSOLE_WAIT);
    return {
      title: (await this.page.textContent('#dl-detail-title')) ?? '',
      headers: JSON.parse((await this.page.textContent('#dl-headers')) ?? 'null') as unknown,
    };
  }

  /** Ticks the row and replays the selection; resolves once the page says how many were replayed. */
  async replaySelected(row: Locator, expected = 1): Promise<void> {
    await row.locator('.dl-select').check();
    await this.page.click('#dl-replay-selected');
    await this.page
      .locator('#dl-message', { hasText: `Replayed ${expected} ` })
      .waitFor(CONSOLE_WAIT);
  }

  /**
   * Lists the one letter of `errorClass`, replays it from the page and waits until `counted`
   * says its event was applied (the cause of its failure being fixed).
   */
  async replayUntilCounted(errorClass: string, counted: () => Promise<boolean>): Promise<void> {
    const rows = await this.waitForLetters(errorClass, { count: 1, filter: errorClass });
    await this.replaySelected(rows);
    await waitFor(counted, {
      timeoutMs: 30_000,
      intervalMs: 250,
      description: 'the replayed view counted',
    });
  }

  /**
   * Purges the chosen stream's letters: returns the confirmation's text once `beforeConfirm`
   * (e.g. a screenshot) ran and the purge was confirmed and reported; the list is then empty.
   */
  async purge(beforeConfirm?: () => Promise<void>): Promise<string> {
    await this.page.click('#dl-purge');
    const text = this.page.locator('#confirm-text');
    await text.waitFor(CONSOLE_WAIT);
    const confirmation = (await text.textContent()) ?? '';
    await beforeConfirm?.();
    await this.page.click('#confirm-ok');
    await this.page.locator('#dl-message', { hasText: /Purged \d+/ }).waitFor(CONSOLE_WAIT);
    return confirmation;
  }

  /** Shows the letters again and resolves once the page says there are none. */
  async expectNoLetters(): Promise<number> {
    await this.showLetters();
    await this.page.locator('#dl-message', { hasText: /^0 dead letter/ }).waitFor(CONSOLE_WAIT);
    return this.page.locator('#dl-rows tr').count();
  }
}

/** The failure headers of a page view dead-lettered at `at` while the database was down. */
export function databaseOutageFailure(at: string): Record<string, string> {
  return {
    [HEADERS.errorClass]: 'DatabaseUnavailableError',
    [HEADERS.errorMessage]: 'connection refused',
    [HEADERS.firstFailedAt]: at,
    [HEADERS.lastFailedAt]: at,
  };
}

/** Posts one page view to ingest with the client key; expects 202. Returns its event id. */
export async function postView(ingestUrl: string, pageId: string): Promise<string> {
  const eventId = uniqueName('ev');
  const response = await fetch(`${ingestUrl}/v1/page-views`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': CONSOLE_CLIENT_KEY },
    body: JSON.stringify([{ eventId, pageId, occurredAt: new Date().toISOString() }]),
  });
  if (response.status !== 202)
    throw new Error(`POST /v1/page-views: ${response.status} ${await response.text()}`);
  return eventId;
}

/** The page's views today according to pv-counter's API (0 before the first). */
export async function viewsToday(counterUrl: string, pageId: string): Promise<number> {
  const today = new Date().toISOString().slice(0, 10);
  const response = await fetch(
    `${counterUrl}/v1/page-views/${encodeURIComponent(pageId)}?date=${today}`,
    { headers: { 'x-api-key': CONSOLE_CLIENT_KEY }, signal: AbortSignal.timeout(15_000) },
  );
  return response.status === 200 ? ((await response.json()) as { views: number }).views : 0;
}
