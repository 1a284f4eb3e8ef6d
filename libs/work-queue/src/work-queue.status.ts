import type { WorkQueueHandle } from './batching-work-queue';
import type { QueueMetrics } from './work-queue.metrics';

/** What a queue's flushes did so far, for `GET /admin/status`. */
interface FlushHistory {
  lastFlushAt?: string;
  lastFlushSeconds?: number;
  lastFlushOutcome?: 'ok' | 'failed';
  flushFailures: number;
}

/**
 * Wraps a queue's metrics so that every reported flush is also remembered (time, duration,
 * outcome, failures), and reads that together with the queue's own status. The metrics are the one
 * place every flush already reports to, so the queue itself needs no change.
 */
export class WorkQueueStatusRecorder {
  private readonly history: FlushHistory = { flushFailures: 0 };

  /** The metrics to hand to the queue: they record, then pass on to `inner`. */
  wrap(inner: QueueMetrics): QueueMetrics {
    return {
      depth: (value) => inner.depth(value),
      paused: (value) => inner.paused(value),
      events: (outcome, count) => inner.events(outcome, count),
      flushed: (seconds, outcome, events, rows) => {
        this.history.lastFlushAt = new Date().toISOString();
        this.history.lastFlushSeconds = seconds;
        this.history.lastFlushOutcome = outcome;
        if (outcome === 'failed') this.history.flushFailures++;
        inner.flushed(seconds, outcome, events, rows);
      },
    };
  }

  /** The queue's status and its flush history. */
  status(queue: WorkQueueHandle): Record<string, unknown> {
    return { ...queue.status(), ...this.history };
  }
}
