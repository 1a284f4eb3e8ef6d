import type { LoggerService } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { topologyNames } from '@lib/retry';
import { BrokerConnectionError } from '../queue.errors';
import { topicSpec, type KafkaTopicSettings } from './kafka-topics.config';

/** Tries at creating the topics when the broker answers with a retriable error. */
const ENSURE_ATTEMPTS = 5;

/**
 * Creates topics that do not exist yet (idempotently: existing ones are left as they are, and a
 * topic created concurrently by another instance counts as created). Partitions, replication
 * factor and retention per kind of topic come from {@link KafkaTopicSettings} (unset: the broker's
 * defaults).
 */
export class KafkaTopology {
  private readonly known = new Set<string>();

  constructor(
    private readonly kafka: Kafka,
    private readonly logger: LoggerService,
    private readonly settings: Partial<KafkaTopicSettings> = {},
  ) {}

  /** The topics of a consumed stream: main, one per retry tier, and the dead-letter topic. */
  static streamTopics(stream: string, group: string, retryDelaysMs: readonly number[]): string[] {
    const names = topologyNames.kafka;
    return [
      names.topic(stream),
      ...retryDelaysMs.map((d) => names.retryTopic(stream, group, d)),
      names.deadLetterTopic(stream, group),
    ];
  }

  /**
   * Ensures every topic exists; rejects with a BrokerConnectionError when the broker cannot be
   * asked. Errors the broker marks retriable (a topic just created elsewhere whose metadata has not
   * spread yet, a leader election) are retried a few times with backoff before giving up.
   */
  async ensure(topics: readonly string[]): Promise<void> {
    const wanted = [...new Set(topics)].filter((t) => !this.known.has(t));
    if (wanted.length === 0) return;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.ensureOnce(wanted);
      } catch (error) {
        const cause = (error as { cause?: { retriable?: unknown } }).cause;
        if (attempt >= ENSURE_ATTEMPTS || cause?.retriable !== true) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** (attempt - 1)));
      }
    }
  }

  private async ensureOnce(wanted: readonly string[]): Promise<void> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const existing = new Set(await admin.listTopics());
      const missing = wanted.filter((t) => !existing.has(t));
      if (missing.length > 0) {
        try {
          await admin.createTopics({
            topics: missing.map((topic) => topicSpec(this.settings, topic)),
            waitForLeaders: true,
          });
        } catch (error) {
          // Another instance may have created some of them meanwhile; only a topic still missing is an error.
          const now = new Set(await admin.listTopics());
          if (missing.some((t) => !now.has(t))) throw error;
        }
        // Metadata may name a leader before the partitions accept requests (KRaft); producing
        // then fails with NOT_LEADER and a retried produce duplicates records. Wait until each
        // new topic answers a ListOffsets (the admin client retries that).
        for (const topic of missing) await admin.fetchTopicOffsets(topic).catch(() => undefined);
        this.logger.log?.(`created topics ${missing.join(', ')}`);
      }
      for (const t of wanted) this.known.add(t);
    } catch (error) {
      throw new BrokerConnectionError(
        `could not create Kafka topics ${wanted.join(', ')}: ${(error as Error).message}`,
        { cause: error },
      );
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
