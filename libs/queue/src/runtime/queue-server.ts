import { Server } from '@nestjs/microservices';
import { ConsumerControl, type PauseHolder, type StreamConsumerStatus } from '../consumer-control';
import { bindingsOf, type ConsumerBinding } from './consumer-binding';
import {
  OffsetResetRefusedError,
  type OffsetResetPlan,
  type OffsetResetTarget,
} from '../offset-reset';

/**
 * Base of the queue transports (Nest custom transport strategies): turns the handlers Nest
 * registered for `@EventPattern(stream)` into {@link ConsumerBinding}s on `listen`, reports start-up
 * errors through the listen callback, makes `close()` idempotent, and names the shutdown steps the
 * QueueModule runs in the ShutdownCoordinator's phases:
 * {@link stopIntake} → {@link drain} → {@link flush} → {@link close}.
 *
 * A transport with no handlers (an app that only publishes) starts nothing and just idles.
 * Subclasses implement the broker: `start`, the steps, and the consumer control methods, which
 * {@link control} exposes as the app's {@link ConsumerControl} (Nest's `Server` already has a
 * `status` member of its own, so the server cannot be the ConsumerControl itself).
 */
export abstract class QueueServer extends Server {
  /** 'memory', 'kafka', 'rabbitmq'. */
  abstract readonly broker: string;
  /** This transport as the app's {@link ConsumerControl}. */
  readonly control: ConsumerControl = new QueueServerControl(this);
  private bound: ConsumerBinding[] = [];
  private closing?: Promise<void>;

  /** The streams this transport consumes (known once listening). */
  streams(): string[] {
    return this.bound.map((b) => b.stream);
  }

  /** The consumer bindings (known once listening). */
  protected get bindings(): readonly ConsumerBinding[] {
    return this.bound;
  }

  /** Nest calls this from `startAllMicroservices()`, after the handlers were registered. */
  listen(callback: (error?: unknown) => void): void {
    let bindings: ConsumerBinding[];
    try {
      bindings = bindingsOf(this.getHandlers());
    } catch (error) {
      callback(error);
      return;
    }
    this.bound = bindings;
    this.start(bindings).then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  /** Stops, drains, commits and disconnects, once; later calls wait for the first. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Queue transports emit no events; Nest's `on` is not supported. */
  on(): never {
    throw new Error(`the ${this.broker} queue transport does not emit events`);
  }

  /** The broker client is private to the transport. */
  unwrap<T>(): T {
    throw new Error(`the ${this.broker} queue transport does not expose its broker client`);
  }

  /** Connects and starts consuming `bindings` (possibly none). */
  protected abstract start(bindings: readonly ConsumerBinding[]): Promise<void>;

  /** Stop intake: stop fetching; records already read still finish. */
  abstract stopIntake(): Promise<void> | void;

  /** Drain: resolves once no handler is running or waiting for a flush. */
  abstract drain(): Promise<void>;

  /** Flush: commits the offsets (acks) of every finished record. */
  abstract flush(): Promise<void>;

  /** The whole close: the three steps above, then the connections. Called once by {@link close}. */
  protected abstract shutdown(): Promise<void>;

  /**
   * Moves the stream's offsets to `to` (an operator's reset) or, with `dryRun`, only says where
   * each partition would move. Only Kafka has offsets an operator can move; other brokers refuse.
   */
  resetOffsets(
    _stream: string,
    _to: OffsetResetTarget,
    _dryRun: boolean,
  ): Promise<OffsetResetPlan> {
    return Promise.reject(
      new OffsetResetRefusedError(
        `the ${this.broker} broker keeps no offsets an operator can move; offset resets need BROKER=kafka`,
      ),
    );
  }

  /** See {@link ConsumerControl.pause}. */
  abstract pauseStream(stream: string, by: PauseHolder): void;
  /** See {@link ConsumerControl.resume}. */
  abstract resumeStream(stream: string, by: PauseHolder): void;
  /** See {@link ConsumerControl.isHealthy}; true for a transport without handlers that is not closed. */
  abstract isHealthy(): boolean;
  /** See {@link ConsumerControl.status}. */
  abstract consumerStatus(): StreamConsumerStatus[];
}

/** A {@link QueueServer} seen as a {@link ConsumerControl}. */
class QueueServerControl extends ConsumerControl {
  constructor(private readonly server: QueueServer) {
    super();
  }

  pause(stream: string, by: PauseHolder): void {
    this.server.pauseStream(stream, by);
  }

  resume(stream: string, by: PauseHolder): void {
    this.server.resumeStream(stream, by);
  }

  isHealthy(): boolean {
    return this.server.isHealthy();
  }

  status(): StreamConsumerStatus[] {
    return this.server.consumerStatus();
  }
}
