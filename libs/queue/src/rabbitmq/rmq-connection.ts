import { Logger, type LoggerService } from '@nestjs/common';
import * as amqp from 'amqplib';
import type { ChannelModel } from 'amqplib';
import type { BrokerAccess } from '../broker-access';
import { BrokerConnectionError } from '../queue.errors';
import { rmqAccessRejection } from './rmq-access';
import type { RmqTlsOptions } from './rmq-tls.config';

/** How to reach RabbitMQ and how hard to try again. */
export interface RmqConnectionOptions {
  /** AMQP URL, vhost in the path. */
  readonly url: string;
  /** Shown in RabbitMQ's connection list, e.g. `pv-counter consumer`. */
  readonly name: string;
  /** Heartbeat, so a hung broker or a silent network partition is noticed (default 10 s). */
  readonly heartbeatSeconds?: number;
  /** Gives up on one connection attempt after this long (default 5 s). */
  readonly connectTimeoutMs?: number;
  /** A close the broker does not answer within this long destroys the socket instead (default 2 s). */
  readonly closeTimeoutMs?: number;
  /** First delay before reconnecting; doubled per failure up to `reconnectMaxMs` (defaults 250 ms, 10 s). */
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
  readonly logger?: LoggerService;
  /** TLS socket options for an `amqps://` URL (CA, client certificate, verification, SNI name). */
  readonly tls?: RmqTlsOptions;
  /** Told when RabbitMQ refuses the login or the TLS handshake fails, and when a connection succeeds. */
  readonly access?: BrokerAccess;
}

/** Runs on every (re)connection, before it counts as connected: open channels, declare, consume. */
export type RmqReadyHook = (model: ChannelModel) => Promise<void>;

/**
 * One AMQP connection that comes back by itself: after a loss it reconnects with exponential
 * backoff and jitter and runs the ready hooks again, so channels, topology and consumers are
 * restored. amqplib has no reconnection of its own, hence this small class.
 */
export class RmqConnection {
  private model?: ChannelModel;
  private ready = false;
  private blocked = false;
  private closed = false;
  private failures = 0;
  private timer?: NodeJS.Timeout;
  private connecting?: Promise<void>;
  private readonly readyHooks: RmqReadyHook[] = [];
  private readonly lostHooks: Array<(error?: Error) => void> = [];
  /** Errors of opening the socket (unreachable or refused), as opposed to the ready hooks failing. */
  private readonly openFailed = new WeakSet<object>();
  private readonly logger: LoggerService;

  constructor(private readonly options: RmqConnectionOptions) {
    this.logger = options.logger ?? new Logger(`RabbitMQ ${options.name}`);
  }

  /** Adds a hook run on every connection, in registration order. */
  onReady(hook: RmqReadyHook): void {
    this.readyHooks.push(hook);
  }

  /** Adds a listener told when the connection is lost (not when closed on purpose). */
  onLost(listener: (error?: Error) => void): void {
    this.lostHooks.push(listener);
  }

  /** True while connected, the ready hooks have run, and the broker does not block publishing. */
  get isConnected(): boolean {
    return this.ready && !this.blocked && !this.closed;
  }

  /** True once connected and ready hooks ran, even while RabbitMQ blocks publishers (resource alarm). */
  get isOpen(): boolean {
    return this.ready && !this.closed;
  }

  /** The live connection, if any. */
  get current(): ChannelModel | undefined {
    return this.ready ? this.model : undefined;
  }

  /** The connection attempt under way, if any (first connect or a reconnect). */
  get attempt(): Promise<void> | undefined {
    return this.connecting;
  }

  /** Connects once; rejects with a BrokerConnectionError. Losses after that reconnect in the background. */
  connect(): Promise<void> {
    if (this.closed)
      return Promise.reject(new BrokerConnectionError(`${this.options.name}: connection closed`));
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Connects, and keeps trying in the background if the broker is not there yet. */
  connectInBackground(): void {
    this.connect().catch((error: Error) => this.scheduleReconnect(error));
  }

  /**
   * Connects now when RabbitMQ is there; when it is unreachable or refuses our credentials, keeps
   * trying in the background (the ready hooks run once it accepts) instead of failing, so an app
   * starts and reports the outage or the refusal through readiness. A failure of the ready hooks
   * (e.g. a topology that clashes with existing queues) still rejects: retrying cannot fix it.
   */
  async connectOrKeepTrying(): Promise<void> {
    try {
      await this.connect();
    } catch (error) {
      if (!(error instanceof BrokerConnectionError) || !this.openFailed.has(error)) throw error;
      this.scheduleReconnect(error);
    }
  }

  /** Closes for good: stops reconnecting and closes the connection (its channels with it). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    await this.connecting?.catch(() => undefined);
    const model = this.model;
    this.model = undefined;
    this.ready = false;
    if (model) await closeWithin(model, this.options.closeTimeoutMs ?? 2_000);
  }

  private async open(): Promise<void> {
    let model: ChannelModel;
    try {
      model = await amqp.connect(this.connectUrl(), {
        ...this.options.tls,
        timeout: this.options.connectTimeoutMs ?? 5_000,
        clientProperties: { connection_name: this.options.name },
      });
    } catch (error) {
      const rejection = rmqAccessRejection(error);
      if (rejection) this.options.access?.rejected(rejection);
      const failure = rejection
        ? new BrokerConnectionError(
            `RabbitMQ refused access (${this.options.name}): ${rejection}`,
            {
              cause: error,
            },
          )
        : new BrokerConnectionError(
            `RabbitMQ unreachable (${this.options.name}): ${(error as Error).message}`,
            { cause: error },
          );
      this.openFailed.add(failure);
      throw failure;
    }
    this.options.access?.accepted();
    if (this.closed) {
      await model.close().catch(() => undefined);
      throw new BrokerConnectionError(`${this.options.name}: connection closed`);
    }
    this.model = model;
    this.blocked = false;
    // amqplib emits 'error' before 'close'; without a listener an error event would crash the process.
    model.on('error', (error: Error) => this.logger.warn?.(`connection error: ${error.message}`));
    model.on('close', (error?: Error) => this.lost(model, error));
    model.on('blocked', (reason: string) => {
      this.blocked = true;
      this.logger.warn?.(`RabbitMQ blocks publishing: ${reason}`);
    });
    model.on('unblocked', () => (this.blocked = false));
    try {
      for (const hook of this.readyHooks) await hook(model);
    } catch (error) {
      this.model = undefined;
      model.removeAllListeners('close');
      await closeWithin(model, this.options.closeTimeoutMs ?? 2_000);
      if (error instanceof BrokerConnectionError) throw error;
      const why = (error as Error).message;
      throw new BrokerConnectionError(`RabbitMQ set-up failed (${this.options.name}): ${why}`, {
        cause: error,
      });
    }
    this.ready = true;
    if (this.failures > 0) this.logger.log(`reconnected after ${this.failures} failed attempt(s)`);
    this.failures = 0;
  }

  private lost(model: ChannelModel, error?: Error): void {
    if (this.model !== model) return;
    this.model = undefined;
    this.ready = false;
    if (this.closed) return;
    this.logger.warn?.(`connection lost${error ? `: ${error.message}` : ''}; reconnecting`);
    for (const listener of this.lostHooks) listener(error);
    this.scheduleReconnect(error);
  }

  private scheduleReconnect(error?: Error): void {
    if (this.closed || this.timer) return;
    const min = this.options.reconnectMinMs ?? 250;
    const max = this.options.reconnectMaxMs ?? 10_000;
    const base = Math.min(max, min * 2 ** Math.min(this.failures, 16));
    // Jitter keeps many instances from reconnecting in lockstep after a broker restart.
    const delay = Math.round(base / 2 + Math.random() * (base / 2));
    this.failures++;
    if (this.failures === 1 || this.failures % 10 === 0) {
      this.logger.warn?.(
        `not connected (${error?.message ?? 'unknown reason'}); retrying in ${delay} ms`,
      );
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.connect().catch((e: Error) => this.scheduleReconnect(e));
    }, delay);
    this.timer.unref();
  }

  private connectUrl(): string {
    const url = new URL(this.options.url);
    if (!url.searchParams.has('heartbeat'))
      url.searchParams.set('heartbeat', String(this.options.heartbeatSeconds ?? 10));
    return url.toString();
  }
}

/**
 * Closes a connection gracefully, or destroys its socket when the broker does not answer the
 * close handshake in time (a hung broker or partition would otherwise keep close() pending).
 */
async function closeWithin(model: ChannelModel, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>(
    (resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)),
  );
  const outcome = await Promise.race([model.close().catch(() => undefined), timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    // amqplib keeps the socket as `connection.stream` and has no public way to abort. Destroying it
    // with an error is what makes amqplib tear the connection down (and stop its heartbeat timers).
    const stream = (model.connection as unknown as { stream?: { destroy(error?: Error): void } })
      .stream;
    stream?.destroy(new Error(`no answer to connection.close within ${timeoutMs} ms`));
  }
}
