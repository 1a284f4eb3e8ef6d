import type { LoggerService } from '@nestjs/common';
import type { MessageHeaders } from '@lib/contracts';
import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import { EventPublisher } from '../event-publisher';
import type { OutgoingMessage } from '../outgoing-message';
import { PublishError } from '../queue.errors';
import { encodeMessage } from '../runtime/envelope';
import type { KafkaAccessMonitor } from './kafka-access';
import type { KafkaTopology } from './kafka-topology';

/** Options of {@link KafkaPublisher}. */
export interface KafkaPublisherOptions {
  /** A publish not acknowledged within this time rejects (default 10 s). */
  readonly timeoutMs?: number;
  readonly logger: LoggerService;
  /** Told when a send fails because Kafka refused the credentials or certificates. */
  readonly monitor?: KafkaAccessMonitor;
}

/** A message as given to {@link KafkaPublisher.send}. */
export interface KafkaRecord {
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: MessageHeaders;
  readonly partition?: number;
}

/**
 * Publishes to Kafka with `acks=-1` (all in-sync replicas): `publish` resolves only once the broker
 * acknowledged every message and rejects with a PublishError otherwise, within `timeoutMs`.
 *
 * The producer is idempotent, so kafkajs' internal retries (it resends a whole request when one
 * partition of it failed, e.g. with NOT_LEADER after a topic was created) write no duplicates.
 * Retries are bounded, because senders must learn of an outage to spool; after a failed send the
 * producer is replaced by a new one (a new producer id), because kafkajs rolls the sequence numbers
 * of a failed send back, and a send whose outcome is unknown might otherwise make the broker take a
 * later message for a duplicate. A publish that failed may still have been written: consumers
 * remove such duplicates by `eventId` (docs/architecture.md). Order per key holds within one publish call and
 * between calls that wait for each other.
 */
export class KafkaPublisher extends EventPublisher {
  private producer: Producer;
  private connecting?: Promise<void>;
  private connected = false;
  private closed = false;
  private readonly timeoutMs: number;
  private readonly monitor?: KafkaAccessMonitor;

  constructor(
    private readonly kafka: Kafka,
    private readonly topology: KafkaTopology,
    options: KafkaPublisherOptions,
  ) {
    super();
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.monitor = options.monitor;
    this.producer = this.createProducer();
  }

  private createProducer(): Producer {
    const producer = this.kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner, // Java-compatible murmur2, and no warning
      allowAutoTopicCreation: true,
      idempotent: true,
      maxInFlightRequests: 1,
      // About 3.5 s of retries: long enough for a just-created topic to get its leader on a busy
      // broker, short enough to fail (and spool) well within BREAKER_TIMEOUT_MS during an outage.
      retry: { retries: 6, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
    producer.on(producer.events.DISCONNECT, () => {
      if (producer === this.producer) this.connected = false;
    });
    return producer;
  }

  /** Replaces the producer after a failed send (see the class comment); the old one closes in the background. */
  private replaceProducer(failed: Producer): void {
    if (failed !== this.producer || this.closed) return;
    this.producer = this.createProducer();
    this.connected = false;
    this.connecting = undefined;
    failed.disconnect().catch(() => undefined);
  }

  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    let encoded;
    try {
      encoded = messages.map(encodeMessage);
    } catch (error) {
      throw new PublishError(`could not serialise a message: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const byTopic = new Map<string, Message[]>();
    for (const m of encoded) {
      let list = byTopic.get(m.stream);
      if (!list) byTopic.set(m.stream, (list = []));
      list.push({ key: m.key, value: m.value, headers: m.headers });
    }
    await this.sendBatch(byTopic);
  }

  /** Publishes records with their bytes as they are (retries, dead letters, replays); resolves once acknowledged. */
  async send(topic: string, records: readonly KafkaRecord[]): Promise<void> {
    const messages: Message[] = records.map((r) => ({
      key: r.key,
      value: r.value,
      headers: r.headers,
      partition: r.partition,
    }));
    await this.sendBatch(new Map([[topic, messages]]));
  }

  /**
   * True while a producer is connected and the last send did not fail (a failed send replaces the
   * producer). Asking also reconnects in the background, so that readiness recovers once the
   * broker is back even when nothing is being published.
   */
  isConnected(): boolean {
    if (!this.connected && !this.closed) this.warmUp();
    return this.connected && !this.closed;
  }

  /** Connects in the background (at start-up), so readiness reflects the broker before the first publish. */
  warmUp(): void {
    this.connect().catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.producer.disconnect().catch(() => undefined);
  }

  private connect(): Promise<void> {
    if (this.connected) return Promise.resolve();
    const producer = this.producer;
    this.connecting ??= producer.connect().then(
      () => {
        if (producer === this.producer) this.connected = true;
        this.connecting = undefined;
      },
      (error: unknown) => {
        this.connecting = undefined;
        throw error;
      },
    );
    return this.connecting;
  }

  private async sendBatch(byTopic: Map<string, Message[]>): Promise<void> {
    if (this.closed) throw new PublishError('Kafka publisher is closed');
    const producer = this.producer;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`not acknowledged within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    try {
      await Promise.race([this.sendNow(producer, byTopic), timeout]);
    } catch (error) {
      this.replaceProducer(producer);
      this.monitor?.failed(error);
      throw new PublishError(
        `Kafka publish to ${[...byTopic.keys()].join(', ')} failed: ${(error as Error).message}`,
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  private async sendNow(producer: Producer, byTopic: Map<string, Message[]>): Promise<void> {
    await this.topology.ensure([...byTopic.keys()]);
    if (producer !== this.producer) throw new Error('the producer was replaced');
    await this.connect();
    const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    await producer.sendBatch({ topicMessages, acks: -1 });
  }
}
