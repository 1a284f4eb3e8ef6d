import type { ConsumeMessage, Options } from 'amqplib';
import { randomUUID } from 'node:crypto';
import type { MessageHeaders } from '@lib/contracts';
import { topologyNames } from '@lib/retry';
import type { RawMessage } from '../runtime/envelope';
import type { FailureSink } from '../runtime/failure-handler';
import { UnroutableError } from './rmq-confirm-sender';
import { carriedOptions } from './rmq-message';

/** A consumed message as the RabbitMQ transport hands it to the runtime: the AMQP delivery travels along. */
export interface RmqRawMessage extends RawMessage {
  readonly delivery: ConsumeMessage;
}

/** Sends to a queue through the default exchange; resolves once the broker confirmed it. */
export type RmqConfirmedSend = (
  queue: string,
  content: Buffer,
  options: Options.Publish,
) => Promise<void>;

/**
 * The failure sink of one stream of group `G`: a retry is a copy in `G.S.retry.<delay>` (whose
 * TTL dead-letters it back to `G.S` when due), a dead letter a copy in `G.S.failed`, each sent
 * through the default exchange so no other group sees it, with the original bytes and
 * properties and the failure headers. Resolves once confirmed; the original is acked only then.
 *
 * A deleted target queue makes the send fail (see RmqConfirmSender) rather than lose the message;
 * `redeclare` restores the topology before the failure handler tries again.
 * `deliveryLive` guards against duplicates: when the delivery's channel has closed, RabbitMQ has
 * already put the original back in `G.S`, so a copy must not be published as well.
 */
export function rmqFailureSink(
  group: string,
  stream: string,
  send: RmqConfirmedSend,
  deliveryLive: () => boolean,
  redeclare: () => Promise<void>,
): FailureSink {
  const names = topologyNames.rabbitmq;
  const failedQueue = names.failedQueue(group, stream);
  const copy = async (
    queue: string,
    message: RawMessage,
    headers: MessageHeaders,
    extra?: Options.Publish,
  ) => {
    if (!deliveryLive())
      throw new Error('the delivery was returned to the queue (channel closed); not copying it');
    const { delivery } = message as RmqRawMessage;
    try {
      await send(queue, message.value ?? Buffer.alloc(0), carriedOptions(delivery, headers, extra));
    } catch (error) {
      // Someone deleted a retry or failed queue: declare the topology again before the next try.
      if (error instanceof UnroutableError) await redeclare().catch(() => undefined);
      throw error;
    }
  };
  return {
    retry: (message, delayMs, headers) =>
      copy(names.retryQueue(group, stream, delayMs), message, headers),
    // A fresh message id per dead letter: the id replay selects by (event ids may repeat).
    deadLetter: (message, headers) =>
      copy(failedQueue, message, headers, { messageId: randomUUID() }),
  };
}
