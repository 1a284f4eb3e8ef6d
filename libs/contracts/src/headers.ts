/** Message headers, the same on every broker (docs/contract.md). */
export const HEADERS = {
  eventId: 'x-event-id',
  eventType: 'x-event-type',
  /**
   * The partition key, where the broker's own key field cannot carry it (RabbitMQ retries and
   * replays go through the default exchange, which replaces the routing key).
   */
  key: 'x-key',
  /** Failed attempts so far. */
  attempt: 'x-attempt',
  /** Epoch ms when a retry may run. */
  dueAt: 'x-due-at',
  originalStream: 'x-original-stream',
  originalPartition: 'x-original-partition',
  originalOffset: 'x-original-offset',
  errorClass: 'x-error-class',
  errorMessage: 'x-error-message',
  /** At most {@link MAX_ERROR_STACK_BYTES}. */
  errorStack: 'x-error-stack',
  firstFailedAt: 'x-first-failed-at',
  lastFailedAt: 'x-last-failed-at',
  /** W3C trace context of the request that brought the event in; kept through spool, retries and dead letters. */
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  /** The `x-request-id` of the HTTP request that brought the event in. */
  requestId: 'x-request-id',
} as const;

/** `x-error-stack` is cut to this many bytes. */
export const MAX_ERROR_STACK_BYTES = 4096;

/** Headers as carried by a message: names to string values. */
export type MessageHeaders = Record<string, string>;
