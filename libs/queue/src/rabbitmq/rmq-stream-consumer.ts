import type { LoggerService } from '@nestjs/common';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { retryTiers } from '@lib/retry';
import type { PauseHolder, StreamConsumerStatus } from '../consumer-control';
import type { ConsumerBinding } from '../runtime/consumer-binding';
import type { ConsumerMetrics } from '../runtime/consumer-metrics';
import { FailureHandler } from '../runtime/failure-handler';
import { createPartitionPipeline, type PartitionPipeline } from '../runtime/partition-pipeline';
import { RmqAcker } from './rmq-acker';
import { rmqFailureSink, type RmqConfirmedSend, type RmqRawMessage } from './rmq-failure-sink';
import { headersOf, keyOf } from './rmq-message';
import { assertStreamTopology, rmqStreamTopology, type RmqStreamTopology } from './rmq-topology';

/** basic.qos prefetch-count is a 16-bit field. */
const MAX_PREFETCH = 65_535;

/** Options of {@link RmqStreamConsumer}. */
export interface RmqStreamConsumerOptions {
  readonly binding: ConsumerBinding;
  readonly group: string;
  /** Unacked deliveries at most (basic.qos): the consumer's in-flight bound. */
  readonly prefetch: number;
  /** Confirmed sends for retries and dead letters (the transport's confirm channel). */
  readonly send: RmqConfirmedSend;
  readonly logger: LoggerService;
  readonly metrics?: ConsumerMetrics;
}

/**
 * One consuming channel and what was delivered on it. Delivery tags belong to a channel, so a
 * new channel (after a reconnect) gets a new pipeline and acker; the old run's handlers may still
 * finish, but their deliveries were already returned to the queue and are not acked.
 */
class ChannelRun {
  open = true;
  consumerTag?: string;
  readonly pipeline: PartitionPipeline;
  readonly failures: FailureHandler;
  readonly acker: RmqAcker;

  constructor(
    readonly channel: Channel,
    options: RmqStreamConsumerOptions,
    topology: RmqStreamTopology,
  ) {
    const { binding, group, metrics, logger } = options;
    const redeclare = () => assertStreamTopology(channel, topology);
    const sink = rmqFailureSink(group, binding.stream, options.send, () => this.open, redeclare);
    this.failures = new FailureHandler(binding.stream, binding.policy, sink, { metrics, logger });
    this.acker = new RmqAcker(
      (deliveryTag, multiple) =>
        channel.ack({ fields: { deliveryTag } } as ConsumeMessage, multiple),
      () => Number(this.pipeline.commitOffset ?? 1) - 1,
      (deliveryTag) => channel.nack({ fields: { deliveryTag } } as ConsumeMessage, false, true),
    );
    this.pipeline = createPartitionPipeline({
      binding,
      failures: this.failures,
      transport: 'rabbitmq',
      metrics,
      onFinished: (raw) => this.acker.finished(Number(raw.position.offset)),
      redelivery: {
        mode: 'requeue',
        requeue: (raw) => this.acker.requeue(Number(raw.position.offset)),
      },
    });
  }

  /** The channel closed: stop waiting for the broker on behalf of deliveries it took back. */
  closed(): void {
    this.open = false;
    this.consumerTag = undefined;
    this.acker.close();
    this.failures.stop();
  }
}

/**
 * Consumes one stream from `G.S`: declares the stream's topology, consumes with manual acks and
 * a bounded prefetch on a channel of its own (so a `multiple` ack covers this stream only), runs
 * deliveries through the shared {@link PartitionPipeline} (key order, retries, dead letters) and
 * acks each delivery only after its handler resolved or its retry/dead-letter copy was confirmed.
 * A delivery whose handler asks for redelivery (RedeliverError) is nacked with requeue instead.
 * Pausing cancels the consumer (deliveries already received still finish); resuming consumes again.
 */
export class RmqStreamConsumer {
  readonly topology: RmqStreamTopology;
  private current?: ChannelRun;
  private readonly runs = new Set<ChannelRun>();
  /** Who holds the stream paused; consumed while empty. */
  private readonly pausedBy = new Set<PauseHolder>();
  private stopped = false;
  private intake: Promise<void> = Promise.resolve();

  constructor(private readonly options: RmqStreamConsumerOptions) {
    const { binding, group } = options;
    this.topology = rmqStreamTopology(group, binding.stream, retryTiers(binding.policy));
  }

  get stream(): string {
    return this.options.binding.stream;
  }

  /** Opens a channel on a (new) connection, declares the topology and consumes unless paused or stopped. */
  async attach(model: ChannelModel): Promise<void> {
    const channel = await model.createChannel();
    channel.on('error', (error: Error) =>
      this.options.logger.warn?.(`${this.stream}: channel error: ${error.message}`),
    );
    await assertStreamTopology(channel, this.topology);
    await channel.prefetch(Math.min(this.options.prefetch, MAX_PREFETCH));
    const run = new ChannelRun(channel, this.options, this.topology);
    if (this.pausedBy.size > 0) run.pipeline.hold(true);
    channel.on('close', () => {
      run.closed();
      if (this.current === run) this.current = undefined;
      // Handlers still running finish (their deliveries were returned to the queue); then forget the run.
      void run.pipeline.idle().then(() => this.runs.delete(run));
    });
    this.runs.add(run);
    this.current = run;
    await this.reconcile();
  }

  /** Stops fetching on behalf of `by`; deliveries received still finish. */
  pause(by: PauseHolder): Promise<void> {
    this.pausedBy.add(by);
    for (const run of this.runs) run.pipeline.hold(true);
    return this.reconcile();
  }

  /** Releases the hold of `by`; consumes again once no one holds the stream. */
  resume(by: PauseHolder): Promise<void> {
    if (!this.pausedBy.delete(by) || this.pausedBy.size > 0) return this.intake;
    for (const run of this.runs) run.pipeline.hold(false);
    return this.reconcile();
  }

  /** Stops fetching for good (shutdown); resolves once RabbitMQ confirmed the cancel. */
  stopIntake(): Promise<void> {
    this.stopped = true;
    return this.reconcile();
  }

  /** Resolves once no handler or retry/dead-letter publish is running, on any channel. */
  async drain(): Promise<void> {
    for (;;) {
      await Promise.all([...this.runs].map((run) => run.pipeline.idle()));
      // A closed run counts until its handlers returned; its deliveries are back in the queue.
      if (![...this.runs].some((run) => run.open && run.pipeline.inFlight > 0)) return;
    }
  }

  /** Acks every finished delivery now. */
  flush(): void {
    for (const run of this.runs) if (run.open) run.acker.flush();
  }

  /** Closes the channel (after {@link flush}, so the acks go out first); unacked deliveries return to the queue. */
  async close(): Promise<void> {
    this.stopped = true;
    const run = this.current;
    this.current = undefined;
    if (run?.open) {
      run.closed();
      await run.channel.close().catch(() => undefined);
    }
  }

  /** True while a channel is open (consuming, or paused on purpose). */
  get healthy(): boolean {
    return this.current?.open === true;
  }

  status(): StreamConsumerStatus {
    let inFlight = 0;
    for (const run of this.runs) inFlight += run.pipeline.inFlight;
    const pausedBy = [...this.pausedBy];
    return { stream: this.stream, paused: pausedBy.length > 0, pausedBy, inFlight };
  }

  /** Makes the consumer state match the wish (consume or not), one change at a time. */
  private reconcile(): Promise<void> {
    this.intake = this.intake.then(async () => {
      const run = this.current;
      if (!run?.open) return;
      const wanted = this.pausedBy.size === 0 && !this.stopped;
      try {
        if (wanted && !run.consumerTag) {
          const { consumerTag } = await run.channel.consume(
            this.topology.queue.name,
            (m) => this.deliver(run, m),
            { noAck: false },
          );
          run.consumerTag = consumerTag;
        } else if (!wanted && run.consumerTag) {
          const tag = run.consumerTag;
          run.consumerTag = undefined;
          await run.channel.cancel(tag);
        }
      } catch (error) {
        // The channel closed meanwhile; the next attach (reconnect) consumes again.
        this.options.logger.warn?.(
          `${this.stream}: consume/cancel failed: ${(error as Error).message}`,
        );
      }
    });
    return this.intake;
  }

  private deliver(run: ChannelRun, message: ConsumeMessage | null): void {
    if (message === null) {
      // RabbitMQ cancelled the consumer (the queue was deleted): declare again and consume.
      run.consumerTag = undefined;
      this.options.logger.warn?.(
        `${this.stream}: RabbitMQ cancelled the consumer; declaring the topology again`,
      );
      setTimeout(() => {
        if (!run.open) return;
        assertStreamTopology(run.channel, this.topology).then(
          () => this.reconcile(),
          (error: Error) =>
            this.options.logger.error(
              `${this.stream}: topology declaration failed: ${error.message}`,
            ),
        );
      }, 1_000).unref();
      return;
    }
    const headers = headersOf(message.properties);
    const raw: RmqRawMessage = {
      value: message.content,
      key: keyOf(message, headers, this.stream),
      headers,
      position: { topic: this.stream, partition: 0, offset: String(message.fields.deliveryTag) },
      // AMQP timestamps are in seconds; a producer may leave the property out.
      timestamp:
        typeof message.properties.timestamp === 'number'
          ? message.properties.timestamp * 1000
          : Date.now(),
      delivery: message,
    };
    run.pipeline.dispatch(raw);
  }
}
