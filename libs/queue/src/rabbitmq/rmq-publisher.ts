import { Logger, type LoggerService } from '@nestjs/common';
import type { ChannelModel, ConfirmChannel, Message } from 'amqplib';
import { HEADERS, type MessageHeaders } from '@lib/contracts';
import { EventPublisher } from '../event-publisher';
import type { OutgoingMessage } from '../outgoing-message';
import { PublishError } from '../queue.errors';
import { encodeMessage } from '../runtime/envelope';
import { RmqConnection, type RmqConnectionOptions } from './rmq-connection';
import { KEY_HEADER, publishOptions, routingKeyFor } from './rmq-message';
import { assertStreamExchange } from './rmq-topology';

/** Where and how the publisher sends. */
export interface RmqPublisherOptions {
  readonly url: string;
  /** The publishing app, shown in RabbitMQ's connection list and set as `appId`. */
  readonly appName: string;
  /** A publish that the broker has not confirmed within this long fails (default 5 s). */
  readonly confirmTimeoutMs?: number;
  readonly logger?: LoggerService;
  /** TLS socket options (`amqps://`) and where a refused login or certificate is reported. */
  readonly tls?: RmqConnectionOptions['tls'];
  readonly access?: RmqConnectionOptions['access'];
}

/**
 * Publishes to the stream exchanges over a confirm channel: `publish` resolves once RabbitMQ has
 * confirmed every message of the batch, and rejects with a PublishError when it nacks, the
 * channel or connection closes, or the confirms do not arrive in time. A batch is written in one
 * go and its confirms are awaited together, so it costs one round trip, not one per message.
 * While the broker is unreachable `publish` fails at once (the caller spools) and the connection
 * is re-established in the background.
 */
export class RmqEventPublisher extends EventPublisher {
  private readonly connection: RmqConnection;
  private readonly logger: LoggerService;
  private readonly confirmTimeoutMs: number;
  private channel?: ConfirmChannel;
  private readonly exchanges = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly unroutableWarned = new Set<string>();
  private closing?: Promise<void>;
  private reopening?: Promise<void>;
  private started = false;

  constructor(private readonly options: RmqPublisherOptions) {
    super();
    this.logger = options.logger ?? new Logger(`RabbitMQ publisher ${options.appName}`);
    this.confirmTimeoutMs = options.confirmTimeoutMs ?? 5_000;
    this.connection = new RmqConnection({
      url: options.url,
      name: `${options.appName} publisher`,
      logger: this.logger,
      tls: options.tls,
      access: options.access,
    });
    this.connection.onReady((model) => this.openChannel(model));
  }

  /** Connects now and keeps reconnecting in the background; publishing also starts it lazily. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.connection.connectInBackground();
  }

  /** Connects and waits for it; rejects with a BrokerConnectionError (reconnects continue). */
  async connect(): Promise<void> {
    this.started = true;
    try {
      await this.connection.connect();
    } catch (error) {
      this.connection.connectInBackground();
      throw error;
    }
  }

  isConnected(): boolean {
    return this.connection.isConnected && this.channel !== undefined;
  }

  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const work = this.send(messages);
    this.inFlight.add(work);
    try {
      await work;
    } finally {
      this.inFlight.delete(work);
    }
  }

  /** Waits for publishes under way (each bounded by the confirm timeout), then disconnects. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.inFlight]);
      await this.connection.close();
      this.channel = undefined;
    })();
    return this.closing;
  }

  private async send(messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.closing) throw new PublishError('RabbitMQ publisher is closed');
    this.start();
    try {
      const work = this.usableChannel().then((channel) => this.publishAll(channel, messages));
      await this.withTimeout(work, messages.length);
    } catch (error) {
      if (error instanceof PublishError) throw error;
      throw new PublishError(`RabbitMQ did not confirm the publish: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  private async publishAll(
    channel: ConfirmChannel,
    messages: readonly OutgoingMessage[],
  ): Promise<void> {
    for (const stream of new Set(messages.map((m) => m.stream)))
      await this.ensureExchange(channel, stream);
    const confirms: Array<Promise<void>> = [];
    for (const message of messages) {
      const encoded = encodeMessage(message);
      const headers: MessageHeaders = { ...encoded.headers, [KEY_HEADER]: encoded.key };
      const options = publishOptions(headers, {
        mandatory: true,
        messageId: headers[HEADERS.eventId],
        appId: this.options.appName,
      });
      let writable = true;
      confirms.push(
        new Promise<void>((resolve, reject) => {
          writable = channel.publish(
            encoded.stream,
            routingKeyFor(encoded.key),
            encoded.value,
            options,
            (err) =>
              err
                ? reject(err instanceof Error ? err : new Error('nacked by the broker'))
                : resolve(),
          );
        }),
      );
      // The socket buffer is full: wait until it drains rather than buffering a whole burst in memory.
      if (!writable) await new Promise<void>((resolve) => channel.once('drain', resolve));
    }
    await Promise.all(confirms);
  }

  private async withTimeout(work: Promise<void>, count: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new PublishError(
              `RabbitMQ did not confirm ${count} message(s) within ${this.confirmTimeoutMs} ms`,
            ),
          ),
        this.confirmTimeoutMs,
      );
    });
    try {
      await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async usableChannel(): Promise<ConfirmChannel> {
    if (this.channel && this.connection.isConnected) return this.channel;
    // Right after start (or during a reconnect) a publish waits for the attempt under way.
    await this.connection.attempt?.catch(() => undefined);
    if (this.channel && this.connection.isConnected) return this.channel;
    const model = this.connection.current;
    if (!model || !this.connection.isConnected) throw new PublishError('RabbitMQ is not connected');
    // The connection is up but a channel error (say an exchange of another type) closed the
    // channel: open another, once for all the publishes that find it closed.
    this.reopening ??= this.openChannel(model).finally(() => (this.reopening = undefined));
    await this.reopening.catch((error: Error) => {
      throw new PublishError(`RabbitMQ channel could not be opened: ${error.message}`, {
        cause: error,
      });
    });
    if (!this.channel) throw new PublishError('RabbitMQ channel closed');
    return this.channel;
  }

  private ensureExchange(channel: ConfirmChannel, stream: string): Promise<void> {
    let asserted = this.exchanges.get(stream);
    if (!asserted) {
      asserted = assertStreamExchange(channel, stream);
      this.exchanges.set(stream, asserted);
      asserted.catch(() => this.exchanges.delete(stream));
    }
    return asserted;
  }

  private async openChannel(model: ChannelModel): Promise<void> {
    const channel = await model.createConfirmChannel();
    channel.on('error', (error: Error) =>
      this.logger.warn?.(`publish channel error: ${error.message}`),
    );
    channel.on('close', () => {
      if (this.channel !== channel) return;
      this.channel = undefined;
      this.exchanges.clear();
    });
    channel.on('return', (message: Message) => this.unroutable(message));
    this.exchanges.clear();
    this.channel = channel;
  }

  /** A message no queue was bound for: no app consumes that stream yet. Logged once per stream. */
  private unroutable(message: Message): void {
    const stream = message.fields.exchange;
    if (this.unroutableWarned.has(stream)) return;
    this.unroutableWarned.add(stream);
    this.logger.warn?.(
      `stream ${stream}: no queue is bound yet, so RabbitMQ dropped the event (start its consumers first)`,
    );
  }
}
