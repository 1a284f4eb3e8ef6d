import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigOf } from '@lib/config';
import { DataSource } from 'typeorm';
import {
  ExportAbortedError,
  ExportFailedError,
  ExportInProgressError,
  PopularProductsError,
} from './popular-products.errors';
import { popularProductsConfig } from './popular-products.config';
import { PopularProductsPublisher } from './popular-products.publisher';
import { contentHashOf } from './popular-products.snapshot';
import { PopularProductsStore } from './popular-products.store';
import { readStorePage } from './top-products.query';

/**
 * Session advisory lock held by the instance that runs the export: one run at a time across every
 * instance on the database. An arbitrary constant, chosen not to collide with other locks.
 */
export const EXPORT_LOCK_KEY = '7795710000001';

/** What a run did (`POST /admin/jobs/popular-products`). */
export interface ExportResult {
  /** Stores with sales that day, each with a stored snapshot now. */
  readonly stores: number;
  /** Messages this run published (stores whose content had not been published yet). */
  readonly published: number;
}

/**
 * The popular-products export for one UTC day: pages of stores in store order (keyset), one query
 * per page for their top-N products, the page's snapshots upserted, then those whose content has
 * not been published yet are published in one call and recorded as published.
 *
 * No duplicates, precisely: each (day, store, content) is published under one deterministic
 * `eventId` with identical bytes; a run publishes a store only when its current content is not
 * recorded as published, so a re-run after a failure publishes the stores the failed run did not
 * reach (and nothing for unchanged stores it did). A message can appear on the stream twice only
 * when a publish failed after the broker had stored it (outcome unknown) and the re-run sent it
 * again: same `eventId`, same payload, removed by consumers by `eventId` as everywhere in this
 * system. Content that changed (more sales) is a new snapshot with a new `eventId`, not a duplicate.
 */
@Injectable()
export class PopularProductsExport {
  private readonly logger = new Logger('popular-products export');
  private running?: Promise<ExportResult>;
  private stopping = false;

  constructor(
    @Inject(popularProductsConfig.token)
    private readonly config: ConfigOf<typeof popularProductsConfig>,
    private readonly dataSource: DataSource,
    private readonly store: PopularProductsStore,
    private readonly publisher: PopularProductsPublisher,
  ) {}

  /** True while a run of this process is going. */
  get isRunning(): boolean {
    return this.running !== undefined;
  }

  /**
   * Runs the export for `day` now.
   *
   * @throws ExportInProgressError when a run is going (here or in another instance)
   * @throws ExportAbortedError when the app shuts down before or during the run
   * @throws ExportFailedError when the broker or the database failed part-way (re-run to resume)
   */
  run(day: string): Promise<ExportResult> {
    if (this.stopping)
      return Promise.reject(new ExportAbortedError('the aggregator is shutting down'));
    if (this.running)
      return Promise.reject(
        new ExportInProgressError('a popular-products export is already running'),
      );
    const run = this.runLocked(day).finally(() => {
      this.running = undefined;
    });
    this.running = run;
    return run;
  }

  /** Starts no new run, and the current run starts no new page (shutdown, stop intake). */
  abort(): void {
    this.stopping = true;
  }

  /** {@link abort}, then resolves once the current run (if any) has ended (shutdown, drain). */
  async stop(): Promise<void> {
    this.abort();
    await this.running?.catch(() => undefined);
  }

  private async runLocked(day: string): Promise<ExportResult> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = (await runner.query(
        'SELECT pg_try_advisory_lock($1::bigint) AS locked',
        [EXPORT_LOCK_KEY],
      )) as Array<{ locked: boolean }>;
      if (!locked)
        throw new ExportInProgressError(
          'another aggregator instance is running the popular-products export',
        );
      try {
        return await this.runPages(day);
      } finally {
        // If the connection broke, the server has dropped the lock with the session anyway.
        await runner
          .query('SELECT pg_advisory_unlock($1::bigint)', [EXPORT_LOCK_KEY])
          .catch(() => undefined);
      }
    } finally {
      await runner.release();
    }
  }

  private async runPages(day: string): Promise<ExportResult> {
    const { POPULAR_PRODUCTS_PAGE_SIZE: pageSize, POPULAR_PRODUCTS_TOP_N: topN } = this.config;
    const generatedAt = new Date();
    const started = Date.now();
    let stores = 0;
    let published = 0;
    let after: string | undefined;
    try {
      for (;;) {
        // Pages are independent and recorded as they go, so stopping between two is clean.
        if (this.stopping)
          throw new ExportAbortedError(
            `stopped for shutdown after ${stores} stores; a re-run resumes`,
          );
        const page = await readStorePage(this.dataSource, day, after, pageSize, topN);
        if (page.stores.length === 0) break;
        const saved = await this.store.save(
          day,
          generatedAt,
          page.stores.map((s) => ({
            ...s,
            contentHash: contentHashOf(day, s.storeId, s.products),
          })),
        );
        const pending = saved.filter((snapshot) => !snapshot.published);
        if (pending.length > 0) {
          await this.store.markPublished(day, await this.publisher.publish(pending));
          published += pending.length;
        }
        stores += page.stores.length;
        after = page.last;
        if (page.stores.length < pageSize) break;
      }
    } catch (error) {
      if (error instanceof PopularProductsError) throw error;
      throw new ExportFailedError(
        `popular-products export for ${day} stopped after ${stores} stores and ${published} messages: ` +
          `${(error as Error).message}; a re-run resumes`,
        published,
        { cause: error },
      );
    }
    this.logger.log(
      `${day}: ${stores} stores, ${published} published in ${Date.now() - started} ms`,
    );
    return { stores, published };
  }
}
