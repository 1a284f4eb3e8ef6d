import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigOf } from '@lib/config';
import {
  CONSUMER_GROUP,
  StreamLog,
  type PartitionOffset,
  type StreamLogFollower,
} from '@lib/queue';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, type QueryRunner } from 'typeorm';
import { DayRecount } from './day-recount';
import { rebuildConfig } from './rebuild.config';
import {
  RebuildFailedError,
  RebuildInProgressError,
  RebuildUnavailableError,
} from './rebuild.errors';
import {
  committedOffsets,
  lockLiveOffsets,
  releaseRebuildLock,
  replaceDay,
  tryRebuildLock,
} from './rebuild.store';

const STREAM = 'page-views';
/** Below this many offsets between the read position and the live commits, the swap may start. */
const SMALL_GAP = 5_000n;
/** Unlocked catch-up rounds before the swap reads the rest under the lock anyway. */
const CATCH_UP_ROUNDS = 5;
/**
 * Longest wait for the log under the lock. The live flush is blocked meanwhile and gives up
 * after its own timeout (10 s by default), so this stays below it.
 */
const LOCKED_READ_MS = 8_000;
const SWAP_ATTEMPTS = 3;
const PROGRESS_LOG_MS = 10_000;

/** The answer of `POST /admin/rebuild` (README "Rebuilding a day"). */
export interface RebuildResult {
  readonly date: string;
  /** Pages of the day after the rebuild. */
  readonly pages: number;
  /** Views of the day after the rebuild (duplicates by `eventId` counted once). */
  readonly views: number;
  /** Records read from the log, every day's. */
  readonly replayedEvents: number;
  readonly duplicates: number;
  /** Records that were not valid page views (dead-lettered by the live path, skipped here). */
  readonly invalid: number;
  /** Where the read started per partition (the offset at the day's start minus the clock-skew margin). */
  readonly fromOffsets: PartitionOffset[];
  /** The live consumer's committed offsets at the swap: the rebuilt counts include exactly the records below them. */
  readonly toOffsets: PartitionOffset[];
  readonly durationMs: number;
}

/**
 * Rebuilds one UTC day of `page_views_daily` and `page_visitors_daily` from the `page-views` log
 * while live counting continues. The long part (reading the log from the day's start up to the offsets the live
 * consumer has committed) runs without locks; then one transaction locks the live consumer's
 * offset rows (which stalls its flush), reads the few records committed meanwhile, replaces the
 * day's rows and commits. The live consumer continues from the offsets the rebuild stopped at,
 * so nothing is counted twice or lost.
 */
@Injectable()
export class RebuildService {
  private readonly logger = new Logger('pv-counter rebuild');
  private running = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly streamLog: StreamLog,
    @Inject(CONSUMER_GROUP) private readonly group: string,
    @Inject(rebuildConfig.token) private readonly config: ConfigOf<typeof rebuildConfig>,
  ) {}

  /** Rebuilds `date` (`YYYY-MM-DD`, validated by the caller); one at a time across instances. */
  async rebuild(date: string): Promise<RebuildResult> {
    if (!this.streamLog.available) throw new RebuildUnavailableError(this.streamLog.broker);
    if (this.running) throw new RebuildInProgressError('here');
    this.running = true;
    // One connection for the whole rebuild: it holds the session-level advisory lock.
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.connect();
      if (!(await tryRebuildLock(runner))) throw new RebuildInProgressError('elsewhere');
      try {
        return await this.run(runner, date);
      } finally {
        await releaseRebuildLock(runner).catch(() => undefined);
      }
    } catch (error) {
      if (error instanceof RebuildInProgressError || error instanceof RebuildFailedError)
        throw error;
      throw new RebuildFailedError(date, (error as Error).message, { cause: error });
    } finally {
      await runner.release().catch(() => undefined);
      this.running = false;
    }
  }

  private async run(runner: QueryRunner, date: string): Promise<RebuildResult> {
    const started = Date.now();
    const dayStart = Date.parse(`${date}T00:00:00Z`);
    const from = await this.streamLog.offsetsAt(
      STREAM,
      dayStart - this.config.REBUILD_CLOCK_SKEW_MS,
    );
    const partitions = from.map((p) => p.partition);
    const recount = new DayRecount(
      date,
      from,
      limitsOf(partitions, await committedOffsets(runner, this.group, STREAM)),
    );
    this.logger.log(
      `rebuild of ${date} started: reading ${STREAM} from ${format(from)} up to ${format(recount.limits())}`,
    );
    const follower = await this.streamLog.follow(STREAM, from, (batch) => recount.add(batch));
    try {
      await this.reach(recount, follower, date, this.config.REBUILD_IDLE_TIMEOUT_MS);
      // Catch up with what the live consumer committed during the long read, still unlocked,
      // so that little is left to read while its flush is stalled.
      for (let round = 0; round < CATCH_UP_ROUNDS; round++) {
        recount.raiseLimits(
          limitsOf(partitions, await committedOffsets(runner, this.group, STREAM)),
        );
        if (recount.behind() <= SMALL_GAP) break;
        await this.reach(recount, follower, date, this.config.REBUILD_IDLE_TIMEOUT_MS);
      }
      const toOffsets = await this.swap(runner, date, recount, follower, partitions);
      const summary = recount.summary();
      const result: RebuildResult = {
        date,
        pages: summary.pages,
        views: summary.views,
        replayedEvents: summary.records,
        duplicates: summary.duplicates,
        invalid: summary.invalid,
        fromOffsets: from,
        toOffsets,
        durationMs: Date.now() - started,
      };
      this.logger.log(
        `rebuild of ${date} done in ${result.durationMs} ms: ${result.views} views on ${result.pages} pages ` +
          `from ${result.replayedEvents} records (${result.duplicates} duplicates, ${result.invalid} invalid), ` +
          `offsets ${format(from)} → ${format(toOffsets)}`,
      );
      return result;
    } finally {
      await follower.close();
    }
  }

  /**
   * The swap transaction: stall the live flush, take its committed offsets, count the records
   * up to them, replace the day. Retried when PostgreSQL picks it as a deadlock victim or a lock
   * wait times out (the live flush's offset update may lock partitions in another order).
   */
  private async swap(
    runner: QueryRunner,
    date: string,
    recount: DayRecount,
    follower: StreamLogFollower,
    partitions: readonly number[],
  ): Promise<PartitionOffset[]> {
    for (let attempt = 1; ; attempt++) {
      await runner.startTransaction();
      try {
        await runner.query("SET LOCAL lock_timeout = '5s'");
        const live = await lockLiveOffsets(runner, this.group, STREAM, partitions);
        recount.raiseLimits(limitsOf(partitions, live));
        await this.reach(recount, follower, date, LOCKED_READ_MS, LOCKED_READ_MS);
        await replaceDay(runner, date, recount.pages);
        await runner.commitTransaction();
        return recount.limits();
      } catch (error) {
        await runner.rollbackTransaction().catch(() => undefined);
        const code = (error as { code?: string }).code;
        if (attempt < SWAP_ATTEMPTS && (code === '40P01' || code === '55P03')) {
          this.logger.warn(
            `rebuild of ${date}: swap attempt ${attempt} hit a lock conflict (${code}), trying again`,
          );
          continue;
        }
        throw error;
      }
    }
  }

  /**
   * Waits until the log has been read up to every partition's limit. Fails when the read makes
   * no progress for `idleMs`, takes longer than `maxMs`, or the follower fails.
   */
  private async reach(
    recount: DayRecount,
    follower: StreamLogFollower,
    date: string,
    idleMs: number,
    maxMs = Infinity,
  ): Promise<void> {
    const started = Date.now();
    let lastBehind = recount.behind();
    let lastProgress = started;
    let lastLog = started;
    let failure: unknown;
    follower.failed.catch((error: unknown) => (failure = error));
    while (recount.behind() > 0n) {
      if (failure !== undefined) throw failure;
      await sleep(5);
      const now = Date.now();
      const behind = recount.behind();
      if (behind < lastBehind) {
        lastBehind = behind;
        lastProgress = now;
      }
      if (now - lastProgress > idleMs)
        throw new RebuildFailedError(
          date,
          `reading ${STREAM} made no progress for ${idleMs} ms (${behind} offsets left)`,
        );
      if (now - started > maxMs)
        throw new RebuildFailedError(
          date,
          `reading the last ${behind} offsets of ${STREAM} took longer than ${maxMs} ms`,
        );
      if (now - lastLog >= PROGRESS_LOG_MS) {
        lastLog = now;
        this.logger.log(
          `rebuild of ${date}: read up to ${format(recount.cursors())}, ${behind} offsets to go`,
        );
      }
    }
  }
}

/** Limits per partition from committed offsets; a partition without one counts nothing yet. */
function limitsOf(
  partitions: readonly number[],
  committed: ReadonlyMap<number, bigint>,
): Map<number, bigint> {
  return new Map(partitions.map((p) => [p, committed.get(p) ?? 0n]));
}

function format(offsets: readonly PartitionOffset[]): string {
  return offsets.map((p) => `[${p.partition}]=${p.offset}`).join(' ');
}
