import type { PauseHolder, StreamConsumerStatus } from '../consumer-control';
import type { ConsumerBinding } from '../runtime/consumer-binding';
import type { ConsumerMetrics } from '../runtime/consumer-metrics';
import { FailureHandler } from '../runtime/failure-handler';
import { LogConsumer, type PartitionState } from '../runtime/log-consumer';
import { logFailureSink, logRoutes } from '../runtime/log-routes';
import { QueueServer } from '../runtime/queue-server';
import type { MemoryBroker } from './memory-broker';
import type { MemoryPartition } from './memory-partition';

/** Options of {@link MemoryQueueServer}. */
export interface MemoryQueueServerOptions {
  readonly group: string;
  readonly maxInFlight: number;
  readonly metrics?: ConsumerMetrics;
}

/** One consumed partition: where to read next and whether a read is scheduled. */
interface Reader {
  readonly partition: MemoryPartition;
  readonly state: PartitionState;
  next: number;
  scheduled: boolean;
  stopListening: () => void;
}

/**
 * The in-memory transport: consumes the app's `@EventPattern` streams from a {@link MemoryBroker}
 * with the same semantics as Kafka (per-key order, retry topics with delays that never block the
 * partition, dead letters in `S.G.dlt`, committed offsets per group), through the shared
 * {@link LogConsumer}. Offsets are committed as soon as records finish; a redelivery reads the
 * partition again from the record that asked for it, as a seek does on Kafka.
 */
export class MemoryQueueServer extends QueueServer {
  readonly broker = 'memory';
  private consumer?: LogConsumer;
  private readonly readers = new Map<string, Reader>();
  private closed = false;

  constructor(
    private readonly memory: MemoryBroker,
    private readonly options: MemoryQueueServerOptions,
  ) {
    super();
  }

  protected async start(bindings: readonly ConsumerBinding[]): Promise<void> {
    if (bindings.length === 0) return;
    const { group } = this.options;
    const routes = logRoutes(bindings, group);
    const append = async (
      topic: string,
      message: { key: string | null; value: Buffer | null },
      headers: Record<string, string>,
    ) => {
      this.memory.append(topic, message.key, message.value, headers);
    };
    const consumer = new LogConsumer(
      routes,
      {
        pause: () => undefined, // readers check the partition state before every record
        resume: (topic, partition) => this.schedule(this.readers.get(`${topic}\u0000${partition}`)),
        seek: (topic, partition, offset) => {
          const reader = this.readers.get(`${topic}\u0000${partition}`);
          if (reader) reader.next = Number(offset);
        },
        commit: async (offsets) => {
          for (const o of offsets)
            this.memory.commit(group, o.topic, o.partition, Number(o.offset));
        },
      },
      {
        transport: 'memory',
        maxInFlight: this.options.maxInFlight,
        commitIntervalMs: 0,
        metrics: this.options.metrics,
        failures: (route) =>
          new FailureHandler(
            route.stream,
            route.binding.policy,
            logFailureSink(route.stream, group, append),
            {
              metrics: this.options.metrics,
            },
          ),
      },
    );
    this.consumer = consumer;
    this.memory.claim(group, consumer.topics(), this);
    for (const topic of consumer.topics()) {
      for (const partition of this.memory.partitions(topic)) {
        const state = consumer.state(topic, partition.index)!;
        const next = this.memory.committed(group, topic, partition.index) ?? partition.startOffset;
        const reader: Reader = {
          partition,
          state,
          next,
          scheduled: false,
          stopListening: () => undefined,
        };
        reader.stopListening = partition.onAppend(() => this.schedule(reader));
        this.readers.set(`${topic}\u0000${partition.index}`, reader);
        this.schedule(reader);
      }
    }
  }

  /** Reads soon, once per turn however many records were appended meanwhile. */
  private schedule(reader: Reader | undefined): void {
    if (!reader || reader.scheduled || this.closed) return;
    reader.scheduled = true;
    queueMicrotask(() => this.read(reader));
  }

  private read(reader: Reader): void {
    reader.scheduled = false;
    const consumer = this.consumer;
    if (!consumer) return;
    reader.next = Math.max(reader.next, reader.partition.startOffset);
    const end = reader.partition.endOffset;
    reader.state.highWatermark = end;
    while (reader.next < end) {
      const message = reader.partition.get(reader.next);
      if (message !== undefined && !consumer.offer(reader.state, message)) return;
      reader.next++;
    }
  }

  stopIntake(): void {
    this.consumer?.stopIntake();
  }

  async drain(): Promise<void> {
    await this.consumer?.drain();
  }

  async flush(): Promise<void> {
    await this.consumer?.flush();
  }

  protected async shutdown(): Promise<void> {
    this.stopIntake();
    await this.drain();
    await this.flush();
    this.closed = true;
    this.consumer?.abandonFailures();
    this.consumer?.dispose();
    for (const reader of this.readers.values()) reader.stopListening();
    this.readers.clear();
    this.memory.release(this);
  }

  pauseStream(stream: string, by: PauseHolder): void {
    this.consumer?.pause(stream, by);
  }

  resumeStream(stream: string, by: PauseHolder): void {
    this.consumer?.resume(stream, by);
  }

  isHealthy(): boolean {
    return !this.closed;
  }

  consumerStatus(): StreamConsumerStatus[] {
    return this.consumer?.status() ?? [];
  }
}
