import type { MessageHeaders } from '@lib/contracts';
import { retryTiers, topologyNames } from '@lib/retry';
import type { ConsumerBinding } from './consumer-binding';
import type { RawMessage } from './envelope';
import type { FailureSink } from './failure-handler';

/** One topic a log-based transport (Kafka, memory) consumes, and what it feeds. */
export interface TopicRoute {
  readonly topic: string;
  readonly stream: string;
  readonly binding: ConsumerBinding;
  /** The retry tier's delay for a retry topic; undefined for the stream's main topic. */
  readonly retryDelayMs?: number;
}

/**
 * The topics of a group on a log broker, named as in docs/contract.md: for each stream its main topic
 * and one `S.G.retry.<delay>` topic per retry tier of the handler's policy.
 */
export function logRoutes(
  bindings: readonly ConsumerBinding[],
  group: string,
): Map<string, TopicRoute> {
  const routes = new Map<string, TopicRoute>();
  const names = topologyNames.kafka;
  for (const binding of bindings) {
    const stream = binding.stream;
    routes.set(names.topic(stream), { topic: names.topic(stream), stream, binding });
    for (const delayMs of retryTiers(binding.policy)) {
      const topic = names.retryTopic(stream, group, delayMs);
      routes.set(topic, { topic, stream, binding, retryDelayMs: delayMs });
    }
  }
  return routes;
}

/** Appends a message to a topic of the log broker and resolves once it is durably stored. */
export type LogAppend = (
  topic: string,
  message: RawMessage,
  headers: MessageHeaders,
) => Promise<void>;

/**
 * The failure sink of a log broker: retries go to `S.G.retry.<delay>`, dead letters to `S.G.dlt`,
 * with the original key and bytes.
 */
export function logFailureSink(stream: string, group: string, append: LogAppend): FailureSink {
  const names = topologyNames.kafka;
  const deadLetterTopic = names.deadLetterTopic(stream, group);
  return {
    retry: (message, delayMs, headers) =>
      append(names.retryTopic(stream, group, delayMs), message, headers),
    deadLetter: (message, headers) => append(deadLetterTopic, message, headers),
  };
}
