import { Controller, type Type } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { Batch, type IncomingEvent } from '@lib/queue';

/** Counts events and notes when the first and the last arrived, and the process's CPU time in between. */
export class Meter {
  count = 0;
  first = 0n;
  last = 0n;
  private cpuStart?: NodeJS.CpuUsage;
  private cpuUsed?: NodeJS.CpuUsage;
  private done?: () => void;
  readonly finished: Promise<void>;

  constructor(readonly expected: number) {
    this.finished = new Promise((resolve) => (this.done = resolve));
  }

  add(n: number): void {
    if (this.count === 0) {
      this.first = process.hrtime.bigint();
      this.cpuStart = process.cpuUsage();
    }
    this.count += n;
    if (this.count >= this.expected && this.last === 0n) {
      this.last = process.hrtime.bigint();
      this.cpuUsed = process.cpuUsage(this.cpuStart);
      this.done!();
    }
  }

  /** Client CPU (user + system) per message, in µs: steadier than the rate on a shared machine. */
  cpuPerMessage(): number {
    return this.cpuUsed ? (this.cpuUsed.user + this.cpuUsed.system) / this.expected : 0;
  }

  /** Messages per second between the first and the last. */
  rate(): number {
    return this.expected / (Number(this.last - this.first) / 1e9);
  }
}

/** A controller whose no-op handler for `stream` only counts, per record or in batches of 500. */
export function noOpConsumer(stream: string, meter: Meter, batch: boolean): Type {
  if (batch) {
    @Controller()
    class BatchController {
      @EventPattern(stream)
      @Batch(500)
      handle(events: IncomingEvent[]) {
        meter.add(events.length);
      }
    }
    return BatchController;
  }
  @Controller()
  class RecordController {
    @EventPattern(stream)
    handle(_event: IncomingEvent) {
      meter.add(1);
    }
  }
  return RecordController;
}
