import type { LoggerService } from '@nestjs/common';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { retryTiers, topologyNames } from '@lib/retry';
import type { PauseHolder, StreamConsumerStatus } from '../consumer-control';
import type { OffsetStore, StoredOffset } from '../offset-store';
import {
  describeTarget,
  OffsetResetRefusedError,
  type OffsetResetPlan,
  type OffsetResetTarget,
} from '../offset-reset';
import { BrokerConnectionError } from '../queue.errors';
import type { ConsumerBinding } from '../runtime/consumer-binding';
import type { ConsumerMetrics } from '../runtime/consumer-metrics';
import type { RawMessage } from '../runtime/envelope';
import { FailureHandler } from '../runtime/failure-handler';
import { LogConsumer, type PartitionState } from '../runtime/log-consumer';
import { logFailureSink, logRoutes } from '../runtime/log-routes';
import { QueueServer } from '../runtime/queue-server';
import { rawMessageOf } from './kafka-message';
import type { KafkaPublisher } from './kafka-publisher';
import type { KafkaAccessMonitor } from './kafka-access';
import { KafkaTopology } from './kafka-topology';
import { planKafkaOffsetReset } from './kafka-offset-plan';

/**
 * Fetch sizes of the consumer. Larger than kafkajs' defaults (1 MiB per partition, 10 MiB per
 * fetch): every fetch costs a round trip and a decode pass whatever its size, and the transport
 * overlaps handling with the next fetch, so fewer, larger fetches cut CPU per record by a fifth
 * (consumer-kafka bench). Memory per partition is bounded by one fetch plus the in-flight window.
 */
export const KAFKA_FETCH_OPTIONS = {
  maxWaitTimeInMs: 100,
  maxBytesPerPartition: 4 * 1024 * 1024,
  maxBytes: 32 * 1024 * 1024,
} as const;

/**
 * Group membership timing. A member that crashed keeps its partitions until its session times
 * out, so the session is 10 s rather than kafkajs' 30 s: a killed instance's partitions move to the
 * others (or to its restarted self) three times sooner. The transport never blocks the event loop
 * for long (handlers run beside the fetch loop, and a long resync heartbeats every second), so a
 * live member does not miss that deadline.
 */
export const KAFKA_SESSION_OPTIONS = { sessionTimeout: 10_000, heartbeatInterval: 1_000 } as const;

/** Options of {@link KafkaQueueServer}. */
export interface KafkaQueueServerOptions {
  readonly kafka: Kafka;
  readonly group: string;
  /** Publishes retries and dead letters. */
  readonly publisher: KafkaPublisher;
  readonly topology: KafkaTopology;
  readonly maxInFlight: number;
  readonly logger: LoggerService;
  readonly metrics?: ConsumerMetrics;
  readonly offsetStore?: () => OffsetStore | undefined;
  /** How long finished offsets may wait for a commit (default 100 ms). */
  readonly commitIntervalMs?: number;
  /** Told when Kafka refuses the credentials or certificates (then the consumer retries instead of failing). */
  readonly monitor?: KafkaAccessMonitor;
}

/** Backoff of the consumer's reconnects after Kafka refused access or a crash kafkajs does not restart. */
const RECONNECT_FIRST_DELAY_MS = 1_000;
const RECONNECT_MAX_DELAY_MS = 30_000;

/**
 * The Kafka transport: one kafkajs consumer per app (group = app name) on every consumed stream's
 * topic and its retry topics, `eachBatch` with manual offsets. Records are handed to the shared
 * {@link LogConsumer} (per-partition pipelines, key order, in-flight window → `pause`), which
 * commits the finished prefix of each partition, so the committed offset never passes an
 * unfinished record. Retry topics pause their partition until the head record is due. A record
 * whose handler asks for redelivery is fetched again: the partition is paused, and once its
 * running work settled, sought back to that record.
 *
 * After every (re)join, each partition is resynchronised before its first batch: records still
 * running from before finish and are committed, then the partition is moved to the OffsetStore's
 * offset when one is bound, or past what this consumer already finished.
 *
 * When Kafka refuses the credentials or certificates (at start-up or later), the transport does not
 * fail: it reports the rejection to the monitor (readiness) and reconnects with a new consumer with
 * backoff until access is granted, as it also does after a crash that kafkajs will not restart.
 */
export class KafkaQueueServer extends QueueServer {
  readonly broker = 'kafka';
  private consumer?: Consumer;
  private core?: LogConsumer;
  private generation = 0;
  private readonly synced = new Map<PartitionState, number>();
  private stored?: { generation: number; offsets: Map<string, Promise<StoredOffset[]>> };
  private healthy = false;
  private closed = false;
  private stopping = false;
  private topics: string[] = [];
  private reconnectTimer?: NodeJS.Timeout;
  /** This consumer's member id and assigned partitions per topic, from its last join. */
  private member?: { id: string; assignment: Record<string, number[]> };
  private reconnectAttempts = 0;

  constructor(private readonly options: KafkaQueueServerOptions) {
    super();
  }

  protected async start(bindings: readonly ConsumerBinding[]): Promise<void> {
    if (bindings.length === 0) {
      this.healthy = true;
      return;
    }
    const { group, publisher } = this.options;
    const routes = logRoutes(bindings, group);
    this.topics = bindings.flatMap((b) =>
      KafkaTopology.streamTopics(b.stream, group, retryTiers(b.policy)),
    );
    const append = (topic: string, message: RawMessage, headers: Record<string, string>) =>
      publisher.send(topic, [{ key: message.key, value: message.value, headers }]);
    this.core = new LogConsumer(
      routes,
      {
        pause: (topic, partition) => this.consumer?.pause([{ topic, partitions: [partition] }]),
        resume: (topic, partition) => this.consumer?.resume([{ topic, partitions: [partition] }]),
        seek: (topic, partition, offset) => this.seek(topic, partition, offset),
        commit: async (offsets) => {
          if (!this.consumer) throw new BrokerConnectionError('the Kafka consumer is reconnecting');
          await this.consumer.commitOffsets(offsets.map((o) => ({ ...o })));
        },
      },
      {
        transport: 'kafka',
        maxInFlight: this.options.maxInFlight,
        commitIntervalMs: this.options.commitIntervalMs ?? 100,
        metrics: this.options.metrics,
        logger: this.options.logger,
        failures: (route) =>
          new FailureHandler(
            route.stream,
            route.binding.policy,
            logFailureSink(route.stream, group, append),
            {
              metrics: this.options.metrics,
              logger: this.options.logger,
            },
          ),
      },
    );
    try {
      await this.connect();
    } catch (error) {
      // Neither an unreachable broker (an outage) nor refused credentials (an operator's fix) is
      // helped by a restart loop: the app starts, readiness says which, and the consumer retries.
      if (this.options.monitor?.failed(error) === undefined) {
        this.options.logger.warn?.(`${(error as Error).message}; retrying in the background`);
      }
      this.reconnectLater();
    }
  }

  /** Creates the topics and a consumer, and starts it; on failure nothing is left connected. */
  private async connect(): Promise<void> {
    const { kafka, group } = this.options;
    await this.options.topology.ensure(this.topics);
    const consumer = kafka.consumer({
      groupId: group,
      ...KAFKA_FETCH_OPTIONS,
      ...KAFKA_SESSION_OPTIONS,
      retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5_000 },
    });
    const { events } = consumer;
    consumer.on(events.GROUP_JOIN, ({ payload }) => {
      this.member = { id: payload.memberId, assignment: payload.memberAssignment };
      this.generation++;
      this.healthy = true;
      this.reconnectAttempts = 0;
    });
    consumer.on(events.FETCH, () => (this.healthy = true));
    consumer.on(events.CRASH, ({ payload }) => {
      this.healthy = false;
      // kafkajs restarts retriable crashes itself; any other one (a refused credential) would
      // leave the app without a consumer.
      if (payload.restart || this.stopping || consumer !== this.consumer) return;
      this.options.monitor?.failed(payload.error);
      this.consumer = undefined;
      consumer.disconnect().catch(() => undefined);
      this.reconnectLater();
    });
    consumer.on(events.DISCONNECT, () => (this.healthy = false));
    this.consumer = consumer;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: this.core!.topics(), fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: (payload) => this.eachBatch(payload),
      });
      // A reconnect that finished after the transport closed must not keep consuming.
      if (this.closed) await consumer.disconnect();
    } catch (error) {
      if (this.consumer === consumer) this.consumer = undefined;
      await consumer.disconnect().catch(() => undefined);
      throw new BrokerConnectionError(
        `Kafka consumer of group ${group} could not start: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** Tries {@link connect} again after a backoff (1 s doubling to 30 s), until it succeeds or the transport closes. */
  private reconnectLater(): void {
    if (this.stopping || this.reconnectTimer) return;
    const delayMs = Math.min(
      RECONNECT_MAX_DELAY_MS,
      RECONNECT_FIRST_DELAY_MS * 2 ** this.reconnectAttempts++,
    );
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.stopping) return;
      this.connect().catch((error: unknown) => {
        if (this.stopping) return;
        if (this.options.monitor?.failed(error) === undefined) {
          this.options.logger.warn?.(`${(error as Error).message}; retrying`);
        }
        this.reconnectLater();
      });
    }, delayMs);
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const core = this.core!;
    const state = core.state(batch.topic, batch.partition);
    if (!state) return;
    state.highWatermark = Number(batch.highWatermark);
    if (this.synced.get(state) !== this.generation) {
      const generation = this.generation;
      if (await this.resync(state, payload)) return; // moved: the records come again from the new offset
      this.synced.set(state, generation);
    }
    if (!core.startBatch(state) || payload.isStale()) return;
    const { topic, partition } = batch;
    let last: string | undefined;
    for (const m of batch.messages) {
      if (!core.offerFetched(state, rawMessageOf(topic, partition, m), m.offset)) break;
      last = m.offset;
    }
    if (last !== undefined) {
      payload.resolveOffset(last);
      state.fetched = Number(last) + 1;
    }
    core.endBatch(state);
  }

  /**
   * Lets the partition's earlier records finish and commits them, then seeks when the partition
   * must start elsewhere than Kafka fetched from. Returns true when it sought.
   */
  private async resync(state: PartitionState, payload: EachBatchPayload): Promise<boolean> {
    const beat = setInterval(() => payload.heartbeat().catch(() => undefined), 1_000);
    try {
      await state.pipeline.idle();
      await this.core!.flush();
    } finally {
      clearInterval(beat);
    }
    const fetched = BigInt(payload.batch.firstOffset() ?? payload.batch.highWatermark);
    let target: string | undefined;
    const store = state.route.retryDelayMs === undefined ? this.options.offsetStore?.() : undefined;
    if (store) {
      target = (await this.storedOffsets(store, state.route.topic)).find(
        (o) => o.partition === state.partition,
      )?.nextOffset;
    } else {
      // Past what this consumer already finished (Kafka restarts a rejoined partition at the last commit).
      const own = state.pipeline.commitOffset;
      if (own !== undefined && BigInt(own) > fetched) target = own;
    }
    if (target === undefined || BigInt(target) === fetched) return false;
    this.consumer!.seek({ topic: state.route.topic, partition: state.partition, offset: target });
    return true;
  }

  /**
   * A redelivery: the partition's next fetch starts at `offset` (kafkajs discards what it already
   * fetched past it). Without a consumer (reconnecting) there is nothing to move: the new one
   * starts at the committed offset, which never passes the record.
   */
  private seek(topic: string, partition: number, offset: string): void {
    try {
      this.consumer?.seek({ topic, partition, offset });
    } catch (error) {
      this.options.logger.warn?.(
        `${topic}[${partition}]: could not seek to ${offset} for a redelivery: ${(error as Error).message}`,
      );
    }
  }

  /** The store's offsets of a topic, loaded once per group generation. */
  private storedOffsets(store: OffsetStore, topic: string): Promise<StoredOffset[]> {
    if (!this.stored || this.stored.generation !== this.generation)
      this.stored = { generation: this.generation, offsets: new Map() };
    let offsets = this.stored.offsets.get(topic);
    if (!offsets) {
      const cache = this.stored.offsets;
      offsets = store.load(this.options.group, topic);
      // A failed load (database down) is tried again with the next batch rather than cached.
      offsets.catch(() => cache.delete(topic));
      cache.set(topic, offsets);
    }
    return offsets;
  }

  /**
   * An operator's offset reset of the stream's main topic (see docs/operations.md): plans the move
   * and, unless `dryRun`, refuses while other members of the group hold partitions of the topic
   * (they would go on from their own positions), else stops the topic, lets running records finish
   * and commits them, stores the new offsets (database when a store is bound, and Kafka), seeks
   * each assigned partition there and fetches again.
   */
  override async resetOffsets(
    stream: string,
    to: OffsetResetTarget,
    dryRun: boolean,
  ): Promise<OffsetResetPlan> {
    const { kafka, group } = this.options;
    const topic = topologyNames.kafka.topic(stream);
    const store = this.options.offsetStore?.();
    const plan = await planKafkaOffsetReset({
      kafka,
      group,
      topic,
      to,
      store,
      memberId: this.member?.id,
    });
    const result: OffsetResetPlan = {
      stream,
      topic,
      group,
      to: describeTarget(to),
      offsetsStoredIn: store ? 'database' : 'broker',
      dryRun,
      partitions: plan.partitions,
    };
    if (dryRun) return result;
    if (plan.heldElsewhere.length > 0) {
      const held = plan.heldElsewhere.map((h) => `${h.partition} (${h.member})`).join(', ');
      throw new OffsetResetRefusedError(
        `other instances of ${group} hold partitions of ${topic}: ${held}; ` +
          'scale the group to one instance (or stop the others) and reset again',
      );
    }
    const targets = plan.partitions.map((p) => ({ partition: p.partition, offset: p.target }));
    const move = async (states: PartitionState[]) => {
      await store?.save(
        group,
        topic,
        targets.map((t) => ({ partition: t.partition, nextOffset: t.offset })),
      );
      this.stored?.offsets.delete(topic);
      await this.commitPositions(topic, targets);
      const assigned = new Set(this.member?.assignment[topic] ?? []);
      const moved = new Map<PartitionState, string>();
      for (const { partition, offset } of targets) {
        if (!assigned.has(partition)) continue;
        this.consumer?.seek({ topic, partition, offset });
        const state = states.find((s) => s.partition === partition);
        if (state) {
          this.synced.set(state, this.generation);
          moved.set(state, offset);
        }
      }
      return moved;
    };
    if (this.core) await this.core.restartTopic(topic, move);
    else await move([]);
    return result;
  }

  /** Stores the group's Kafka-committed offsets too, so that Kafka's own tools show the reset. */
  private async commitPositions(
    topic: string,
    targets: ReadonlyArray<{ partition: number; offset: string }>,
  ): Promise<void> {
    if (this.consumer && this.member) {
      await this.consumer.commitOffsets(targets.map((t) => ({ topic, ...t })));
      return;
    }
    const admin = this.options.kafka.admin();
    try {
      await admin.connect();
      await admin.setOffsets({ groupId: this.options.group, topic, partitions: [...targets] });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  stopIntake(): void {
    // A reconnect that has not happened yet would only start fetching again.
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    this.core?.stopIntake();
  }

  async drain(): Promise<void> {
    await this.core?.drain();
  }

  async flush(): Promise<void> {
    await this.core?.flush();
  }

  protected async shutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    this.stopIntake();
    await this.drain();
    await this.flush();
    this.closed = true;
    this.healthy = false;
    this.core?.abandonFailures();
    this.core?.dispose();
    await this.consumer?.disconnect().catch(() => undefined);
  }

  pauseStream(stream: string, by: PauseHolder): void {
    this.core?.pause(stream, by);
  }

  resumeStream(stream: string, by: PauseHolder): void {
    this.core?.resume(stream, by);
  }

  isHealthy(): boolean {
    return this.healthy && !this.closed;
  }

  consumerStatus(): StreamConsumerStatus[] {
    return this.core?.status() ?? [];
  }
}
