import { Injectable } from '@nestjs/common';
import { EventPublisher, type OutgoingMessage } from '@lib/queue';
import {
  POPULAR_PRODUCTS_STREAM,
  popularProductsEventId,
  type PopularProductsMessage,
} from './popular-products.snapshot';
import type { StoredSnapshot } from './popular-products.store';

/** What was published for one store: the content and the id it went out under. */
export interface PublishedSnapshot {
  readonly storeId: string;
  readonly contentHash: string;
  readonly eventId: string;
}

/** The message for a stored snapshot: built from the stored row only, so a republish is identical. */
export function popularProductsMessage(snapshot: StoredSnapshot): PopularProductsMessage {
  return {
    storeId: snapshot.storeId,
    date: snapshot.date,
    generatedAt: snapshot.generatedAt,
    products: snapshot.products,
    eventId: popularProductsEventId(snapshot.date, snapshot.storeId, snapshot.contentHash),
  };
}

/**
 * Publishes snapshots to `popular-products` (key `storeId`, header `x-event-id` = the payload's
 * `eventId`) in one broker round trip; resolves once the broker acknowledged all of them.
 */
@Injectable()
export class PopularProductsPublisher {
  constructor(private readonly publisher: EventPublisher) {}

  async publish(snapshots: readonly StoredSnapshot[]): Promise<PublishedSnapshot[]> {
    const messages: OutgoingMessage[] = [];
    const published: PublishedSnapshot[] = [];
    for (const snapshot of snapshots) {
      const value = popularProductsMessage(snapshot);
      messages.push({ stream: POPULAR_PRODUCTS_STREAM, key: snapshot.storeId, value });
      published.push({
        storeId: snapshot.storeId,
        contentHash: snapshot.contentHash,
        eventId: value.eventId,
      });
    }
    await this.publisher.publish(messages);
    return published;
  }
}
