import type { IncomingEvent } from '../incoming-event';
import { toIncomingEvent, type RawMessage } from './envelope';
import { DeliveredEvent } from './delivered-events';
import { KeyedScheduler } from './keyed-scheduler';
import { PartitionPipeline, type PartitionPipelineOptions } from './pipeline-core';

/** One record on its way through the pipeline. */
interface Work {
  readonly raw: RawMessage;
  readonly sequence: number;
}

/**
 * Per-record mode: each record goes to the handler on its own; up to `binding.concurrency` keys
 * run at once, and a record starts only after the previous record of its key settled.
 */
export class RecordPipeline extends PartitionPipeline {
  private readonly scheduler: KeyedScheduler<Work>;

  constructor(options: PartitionPipelineOptions) {
    super(options);
    this.scheduler = new KeyedScheduler(this.binding.concurrency, (work) => this.runOne(work));
  }

  idle(): Promise<void> {
    return this.scheduler.idle();
  }

  protected start(raw: RawMessage, sequence: number): void {
    this.scheduler.push(raw.key, { raw, sequence });
  }

  protected dropUnstarted(): void {
    // Queued records are dropped as their turn comes (runOne returns at once while rewinding):
    // the scheduler keeps them per key, and taking them out of the middle would cost more.
  }

  private async runOne({ raw, sequence }: Work): Promise<void> {
    if (this.rewinding) return; // left unfinished: the rewind reads it again
    let event: IncomingEvent;
    try {
      event = toIncomingEvent(this.stream, raw);
    } catch (error) {
      return this.fail(raw, sequence, error);
    }
    try {
      await this.invoke(event, new DeliveredEvent(event, raw), raw);
    } catch (error) {
      return this.fail(raw, sequence, error);
    }
    this.metrics.consumed(this.stream, 1);
    this.finish(raw, sequence);
  }
}
