import type { Env } from '@lib/config';
import type { MessageHeaders } from '@lib/contracts';
import type { EventPublisher, QueueModuleOptions } from '@lib/queue';

/**
 * What the queue contract suite needs from one broker; each runner (`<broker>.contract.e2e-spec.ts`)
 * builds one and passes a factory for it to `describeQueueContract`.
 */
export interface ContractBroker {
  /** Environment of an app on this broker: `BROKER` and its address, e.g. `{ BROKER: 'kafka', KAFKA_BROKERS }`. */
  env(): Env;
  /** Extra QueueModule options every app of the run gets (e.g. the shared `memoryBroker`). */
  queueOptions?(): Pick<QueueModuleOptions, 'memoryBroker'>;
  /** Publishes bytes as they are to a stream (for malformed payloads the publisher would never write). */
  publishRaw(stream: string, key: string, value: Buffer, headers?: MessageHeaders): Promise<void>;
  /**
   * A publisher whose connection the test can cut, e.g. through a TcpProxy: once cut, its
   * `publish` must reject with PublishError instead of resolving.
   */
  cuttablePublisher(): Promise<CuttablePublisher>;
  /** Frees what the factory started. */
  close?(): Promise<void>;
}

/** A publisher and the switch that takes its broker away. */
export interface CuttablePublisher {
  readonly publisher: EventPublisher;
  /** Makes the broker unreachable for this publisher. */
  cut(): void | Promise<void>;
  close(): Promise<void>;
}
