/** What the shared runtime counts; the QueueModule binds it to prom-client counters. */
export interface ConsumerMetrics {
  /** Events handled successfully. */
  consumed(stream: string, count: number): void;
  /** Handler failures (each failed attempt). */
  failed(stream: string): void;
  retried(stream: string): void;
  deadLettered(stream: string): void;
  /** One handler call took `seconds` (per record, or per batch with `@Batch`), failed or not. */
  handlerDuration(stream: string, seconds: number): void;
}

/** Counts nothing: for transports built outside a QueueModule (tests, benchmarks). */
export const NO_METRICS: ConsumerMetrics = {
  consumed: () => undefined,
  failed: () => undefined,
  retried: () => undefined,
  deadLettered: () => undefined,
  handlerDuration: () => undefined,
};
