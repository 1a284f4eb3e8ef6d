/** What a transport reports about one consumed stream. */
export interface StreamConsumerStatus {
  readonly stream: string;
  readonly paused: boolean;
  /** Records read but not finished (handler running, or waiting for a flush). */
  readonly inFlight: number;
  /** Kafka only: messages behind the end of the log, summed over the assigned partitions. */
  readonly lag?: number;
  /** Log brokers (Kafka, memory): the lag of each assigned partition of the main topic. */
  readonly partitions?: ReadonlyArray<{ readonly partition: number; readonly lag: number }>;
}

/**
 * Control of the running consumers, for backpressure (work queues pause a stream above their
 * high watermark and resume below the low one) and for health.
 */
export abstract class ConsumerControl {
  /** Stops fetching `stream` (Kafka `pause`, RabbitMQ cancel); in-flight records still finish. */
  abstract pause(stream: string): void;
  /** Fetches `stream` again. */
  abstract resume(stream: string): void;
  /** True while connected to the broker and consuming. */
  abstract isHealthy(): boolean;
  abstract status(): StreamConsumerStatus[];
}
