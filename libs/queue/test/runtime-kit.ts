import type { MessageHandler } from '@nestjs/microservices';
import { resolveRetryPolicy, type RetryPolicy } from '@lib/retry';
import type { ConsumerBinding } from '../src/runtime/consumer-binding';
import type { QueueContext } from '../src/runtime/handler-invoker';
import type { RawMessage } from '../src/runtime/envelope';
import { FailureHandler, type FailureSink } from '../src/runtime/failure-handler';

/** Test helpers for the runtime specs: bindings, records and a recording failure sink. */
export function binding(
  handler: (data: any, context: QueueContext) => unknown,
  options: Partial<Omit<ConsumerBinding, 'handler' | 'policy'>> & {
    policy?: Partial<RetryPolicy>;
  } = {},
): ConsumerBinding {
  const wrapped = (async (data: unknown, context: QueueContext) =>
    handler(data, context)) as MessageHandler;
  wrapped.isEventHandler = true;
  return {
    stream: options.stream ?? 'orders',
    handler: wrapped,
    policy: resolveRetryPolicy(options.policy ?? { delaysMs: [100] }),
    batchSize: options.batchSize ?? 0,
    concurrency: options.concurrency ?? 1,
  };
}

/** A record of `topic` partition 0 at `offset` whose payload has `eventId` = `e<offset>` plus `fields`. */
export function record(
  offset: number,
  key: string | null,
  fields: Record<string, unknown> = {},
  topic = 'orders',
  headers: Record<string, string> = {},
): RawMessage {
  return {
    value: Buffer.from(JSON.stringify({ eventId: `e${offset}`, ...fields })),
    key,
    headers,
    position: { topic, partition: 0, offset: String(offset) },
  };
}

/** A failure sink that remembers what it was given. */
export class MemorySink implements FailureSink {
  readonly retried: RawMessage[] = [];
  readonly deadLettered: RawMessage[] = [];

  async retry(message: RawMessage) {
    this.retried.push(message);
  }

  async deadLetter(message: RawMessage) {
    this.deadLettered.push(message);
  }
}

/** A failure handler over a {@link MemorySink} that logs nothing. */
export function failureHandler(b: ConsumerBinding, sink = new MemorySink()): FailureHandler {
  const logger = { log: () => undefined, warn: () => undefined, error: () => undefined };
  return new FailureHandler(b.stream, b.policy, sink, { logger });
}

/** Resolves after pending microtasks and one macrotask. */
export const flush = () => new Promise((r) => setImmediate(r));

/** A promise settled from outside. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}
