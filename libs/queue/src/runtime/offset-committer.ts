import type { LoggerService } from '@nestjs/common';
import type { PartitionState } from './partition-state';

/** A committed position: the next offset to read of one partition. */
export interface PartitionOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/**
 * Commits the finished prefix of every partition of a log consumer: batched over
 * `commitIntervalMs` (0: after every finished record) and serialised, so that commits of one
 * partition reach the broker in order. A failed commit is offered again with the next one.
 */
export class OffsetCommitter {
  private timer?: NodeJS.Timeout;
  private committing: Promise<void> = Promise.resolve();

  constructor(
    private readonly states: () => Iterable<PartitionState>,
    private readonly commit: (offsets: readonly PartitionOffset[]) => Promise<void>,
    private readonly commitIntervalMs: number,
    private readonly logger: LoggerService,
  ) {}

  /** A record finished: commits now (interval 0) or once the interval is over. */
  schedule(): void {
    if (this.commitIntervalMs === 0) {
      this.committing = this.committing.then(() => this.commitNow());
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.committing = this.committing.then(() => this.commitNow());
      }, this.commitIntervalMs);
    }
  }

  /** Commits every partition's finished prefix now; resolves when stored. */
  flush(): Promise<void> {
    this.dispose();
    this.committing = this.committing.then(() => this.commitNow());
    return this.committing;
  }

  /** Cancels the pending timer (close). */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async commitNow(): Promise<void> {
    const offsets: PartitionOffset[] = [];
    const taken: PartitionState[] = [];
    for (const state of this.states()) {
      const offset = state.pipeline.takeCommit();
      if (offset === undefined) continue;
      offsets.push({ topic: state.route.topic, partition: state.partition, offset });
      taken.push(state);
    }
    if (offsets.length === 0) return;
    try {
      await this.commit(offsets);
    } catch (error) {
      // Offered again with the next commit; until then a restart re-reads these records.
      taken.forEach((state, i) => state.pipeline.untake(offsets[i].offset));
      this.logger.warn?.(`commit failed (${(error as Error).message}); will try again`);
    }
  }
}
