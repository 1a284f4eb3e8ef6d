import { Logger, type LoggerService } from '@nestjs/common';
import type { ChannelModel, Options } from 'amqplib';
import type { PauseHolder, StreamConsumerStatus } from '../consumer-control';
import { BrokerConnectionError } from '../queue.errors';
import type { ConsumerBinding } from '../runtime/consumer-binding';
import type { ConsumerMetrics } from '../runtime/consumer-metrics';
import { QueueServer } from '../runtime/queue-server';
import { RmqConfirmSender } from './rmq-confirm-sender';
import { RmqConnection, type RmqConnectionOptions } from './rmq-connection';
import { RmqStreamConsumer } from './rmq-stream-consumer';

/** Options of {@link RmqQueueServer}. */
export interface RmqQueueServerOptions {
  /** AMQP URL, vhost in the path. */
  readonly url: string;
  /** The consumer group: the app's name; queues are `G.S`. */
  readonly group: string;
  /** Prefetch per consumed stream (CONSUMER_MAX_IN_FLIGHT). */
  readonly maxInFlight: number;
  readonly logger?: LoggerService;
  readonly metrics?: ConsumerMetrics;
  /** Reconnection backoff bounds (defaults 250 ms and 10 s). */
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
  /** TLS socket options (`amqps://`) and where a refused login or certificate is reported. */
  readonly tls?: RmqConnectionOptions['tls'];
  readonly access?: RmqConnectionOptions['access'];
}

/**
 * The RabbitMQ transport (a Nest custom transport strategy; Nest's own RMQ transport acks on
 * receipt, has no retry tiers or dead letters, and closes with work in flight).
 *
 * One connection per app for consuming: a channel per consumed stream (manual acks, prefetch =
 * CONSUMER_MAX_IN_FLIGHT) and one confirm channel that publishes retries and dead letters. The
 * topology of each stream is declared idempotently on every (re)connection; after a connection
 * loss it reconnects with backoff, unacked deliveries having gone back to their queues meanwhile.
 * Shutdown: cancel the consumers, let in-flight handlers finish, ack what finished, close the
 * channels, then the connection.
 */
export class RmqQueueServer extends QueueServer {
  readonly broker = 'rabbitmq';
  /** The consuming connection; the dead-letter admin opens its channels on it too. */
  readonly connection: RmqConnection;
  private readonly consumers = new Map<string, RmqStreamConsumer>();
  private readonly log: LoggerService;
  private sender?: RmqConfirmSender;
  private closed = false;

  constructor(private readonly options: RmqQueueServerOptions) {
    super();
    this.log = options.logger ?? new Logger(`RabbitMQ ${options.group}`);
    this.connection = new RmqConnection({
      url: options.url,
      name: `${options.group} consumer`,
      logger: this.log,
      reconnectMinMs: options.reconnectMinMs,
      reconnectMaxMs: options.reconnectMaxMs,
      tls: options.tls,
      access: options.access,
    });
    this.connection.onReady((model) => this.ready(model));
    this.connection.onLost(() => (this.sender = undefined));
  }

  /**
   * Consumes once connected: now when RabbitMQ is there, else in the background (an unreachable
   * or refusing broker is reported by readiness, not by a failed start); rejects only when the
   * topology clashes.
   */
  protected async start(bindings: readonly ConsumerBinding[]): Promise<void> {
    if (bindings.length === 0) return; // an app that only publishes needs no consumer connection
    for (const binding of bindings) {
      const consumer = new RmqStreamConsumer({
        binding,
        group: this.options.group,
        prefetch: this.options.maxInFlight,
        send: (queue, content, options) => this.confirmedSend(queue, content, options),
        logger: this.log,
        metrics: this.options.metrics,
      });
      this.consumers.set(binding.stream, consumer);
    }
    await this.connection.connectOrKeepTrying();
  }

  /** Runs on every (re)connection: the confirm channel for retries, then each stream's consumer. */
  private async ready(model: ChannelModel): Promise<void> {
    const channel = await model.createConfirmChannel();
    const sender = new RmqConfirmSender(channel);
    channel.on('error', (error: Error) =>
      this.log.warn?.(`retry/dead-letter channel error: ${error.message}`),
    );
    channel.on('close', () => {
      if (this.sender === sender) this.sender = undefined;
    });
    this.sender = sender;
    for (const consumer of this.consumers.values()) await consumer.attach(model);
  }

  /** Sends through the default exchange on the confirm channel; resolves once confirmed and routed. */
  private confirmedSend(queue: string, content: Buffer, options: Options.Publish): Promise<void> {
    const sender = this.sender;
    if (!sender) return Promise.reject(new BrokerConnectionError('RabbitMQ is not connected'));
    return sender.send(queue, content, options);
  }

  async stopIntake(): Promise<void> {
    await Promise.all([...this.consumers.values()].map((c) => c.stopIntake()));
  }

  async drain(): Promise<void> {
    await Promise.all([...this.consumers.values()].map((c) => c.drain()));
  }

  async flush(): Promise<void> {
    for (const consumer of this.consumers.values()) consumer.flush();
  }

  protected async shutdown(): Promise<void> {
    await this.stopIntake();
    await this.drain();
    await this.flush();
    this.closed = true;
    // Channels before the connection: a channel close follows the acks written before it.
    await Promise.all([...this.consumers.values()].map((c) => c.close()));
    const sender = this.sender;
    this.sender = undefined;
    await sender?.channel.close().catch(() => undefined);
    await this.connection.close();
  }

  pauseStream(stream: string, by: PauseHolder): void {
    void this.consumers.get(stream)?.pause(by);
  }

  resumeStream(stream: string, by: PauseHolder): void {
    void this.consumers.get(stream)?.resume(by);
  }

  isHealthy(): boolean {
    if (this.closed) return false;
    if (this.consumers.size === 0) return true;
    return this.connection.isOpen && [...this.consumers.values()].every((c) => c.healthy);
  }

  consumerStatus(): StreamConsumerStatus[] {
    return [...this.consumers.values()].map((c) => c.status());
  }
}
