/**
 * Who holds a stream paused: an operator (admin route or console) or backpressure (a work queue
 * above its high watermark). Each releases only its own hold, so a work queue draining below its
 * low watermark never resumes a stream an operator paused.
 */
export type PauseHolder = 'operator' | 'backpressure';

/** What a transport reports about one consumed stream. */
export interface StreamConsumerStatus {
  readonly stream: string;
  /** True while anyone holds the stream paused. */
  readonly paused: boolean;
  /** Who holds it paused; empty while it is consumed. */
  readonly pausedBy: readonly PauseHolder[];
  /** Records read but not finished (handler running, or waiting for a flush). */
  readonly inFlight: number;
  /** Kafka only: messages behind the end of the log, summed over the assigned partitions. */
  readonly lag?: number;
  /** Log brokers (Kafka, memory): the lag of each assigned partition of the main topic. */
  readonly partitions?: ReadonlyArray<PartitionConsumerStatus>;
  /** Log brokers: per retry topic of the stream, the records behind its end (waiting retries). */
  readonly retryTiers?: ReadonlyArray<{
    readonly topic: string;
    readonly delayMs: number;
    readonly lag: number;
  }>;
}

/** One assigned partition of a stream's main topic, as `GET /admin/status` shows it. */
export interface PartitionConsumerStatus {
  readonly partition: number;
  readonly lag: number;
  /** The offset after the last record taken; -1 before the first fetch. */
  readonly fetched?: number;
  /** The offset after the finished prefix (what the next commit stores); undefined before any. */
  readonly committed?: string;
  /** The end of the log as last seen. */
  readonly highWatermark?: number;
  readonly inFlight?: number;
  /** Why the partition is not fetched (see the pipelines' pause reasons); empty while fetching. */
  readonly pausedBy?: readonly string[];
}

/**
 * Control of the running consumers, for backpressure (work queues pause a stream above their
 * high watermark and resume below the low one), for operators, and for health.
 */
export abstract class ConsumerControl {
  /** Stops fetching `stream` on behalf of `by` (Kafka `pause`, RabbitMQ cancel); in-flight records still finish. */
  abstract pause(stream: string, by: PauseHolder): void;
  /** Releases the hold of `by`; `stream` is fetched again once no one holds it. */
  abstract resume(stream: string, by: PauseHolder): void;
  /** True while connected to the broker and consuming. */
  abstract isHealthy(): boolean;
  abstract status(): StreamConsumerStatus[];
}
