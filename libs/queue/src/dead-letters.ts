import type { MessageHeaders } from '@lib/contracts';
import { pageOfListing, type DeadLetterPage, type DeadLetterQuery } from './dead-letter-page';

/** The most letters a broker without an offset-addressed log lists for paging (RabbitMQ, memory). */
const LISTING_PAGE_SOURCE = 1_000;

/** A dead letter as listed by `GET /admin/dead-letters` (docs/contract.md). */
export interface DeadLetter {
  /** Opaque id used by replay: Kafka `<partition>:<offset>` of the dead-letter topic. */
  readonly id: string;
  readonly stream: string;
  readonly attempts: number;
  readonly error: { readonly class: string; readonly message: string };
  readonly firstFailedAt: string;
  readonly lastFailedAt: string;
  readonly payload: unknown;
  readonly source: { readonly topic: string; readonly partition: number; readonly offset: string };
  readonly headers: MessageHeaders;
}

/** Lists, replays and purges one app's dead letters on the configured broker. */
export abstract class DeadLetterAdmin {
  abstract list(stream: string, limit: number): Promise<DeadLetter[]>;
  /**
   * One page of the stream's letters, filtered. This default pages over {@link list} by position
   * (at most the first 1,000 letters); Kafka overrides it with offsets per partition.
   */
  async page(stream: string, query: DeadLetterQuery): Promise<DeadLetterPage> {
    return pageOfListing(await this.list(stream, LISTING_PAGE_SOURCE), query);
  }
  /** One letter by id, with payload and headers; undefined when there is none. */
  async get(stream: string, id: string): Promise<DeadLetter | undefined> {
    return (await this.list(stream, LISTING_PAGE_SOURCE)).find((letter) => letter.id === id);
  }
  /** Republishes to the main stream with attempts reset; no ids means all. Returns how many. */
  abstract replay(stream: string, ids?: readonly string[]): Promise<number>;
  /** Deletes every dead letter of the stream; returns how many. */
  abstract purge(stream: string): Promise<number>;
  /**
   * How many dead letters the stream holds, from one cheap broker call (for metrics): RabbitMQ
   * the failed queue's message count; Kafka the dead-letter topic's end offsets minus its low
   * watermarks, which also counts replay markers and replayed letters not yet deleted.
   */
  abstract depth(stream: string): Promise<number>;
}
