import { Logger } from '@nestjs/common';
import type { MessageHandler } from '@nestjs/microservices';
import { resolveRetryPolicy, type RetryPolicy } from '@lib/retry';
import { handlerOptionsOf } from '../queue.decorators';

/** One stream an app consumes: its handler and the options its decorators declared. */
export interface ConsumerBinding {
  readonly stream: string;
  readonly handler: MessageHandler;
  readonly policy: RetryPolicy;
  /** Batch mode when > 0: the handler gets arrays of at most this many events. */
  readonly batchSize: number;
  /** Keys handled in parallel inside one partition (1: strictly sequential). */
  readonly concurrency: number;
}

/**
 * The consumer bindings of a transport, from Nest's registered handlers (`Server.getHandlers()`).
 * Request-response handlers (`@MessagePattern`) are ignored with a warning: queues carry events.
 */
export function bindingsOf(
  handlers: Map<string, MessageHandler>,
  logger = new Logger('QueueConsumer'),
): ConsumerBinding[] {
  const bindings: ConsumerBinding[] = [];
  for (const [pattern, handler] of handlers) {
    if (!handler.isEventHandler) {
      logger.warn(
        `@MessagePattern(${pattern}) is not supported by the queue transports; use @EventPattern`,
      );
      continue;
    }
    const options = handlerOptionsOf(handler.extras);
    const batchSize = options.batch?.maxSize ?? 0;
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(batchSize) || batchSize < 0)
      throw new Error(`@Batch(${batchSize}) on ${pattern}: expected an integer >= 1`);
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new Error(`@KeyedConcurrency(${concurrency}) on ${pattern}: expected an integer >= 1`);
    }
    bindings.push({
      stream: pattern,
      handler,
      policy: resolveRetryPolicy(options.retry),
      batchSize,
      concurrency,
    });
  }
  return bindings;
}
