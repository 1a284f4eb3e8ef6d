import { Injectable } from '@nestjs/common';
import type { IncomingEvent } from '@lib/queue';
import { WorkQueueRegistry, type BatchingWorkQueue } from '@lib/work-queue';
import type { DeliveryResultPayload } from './delivery-result-payload';
import { writeDeliveryResults } from './delivery-results.writer';

/** Name of the work queue (metrics label, readiness key `work-queue:delivery-results`). */
export const DELIVERY_RESULTS_QUEUE = 'delivery-results';

/**
 * The append queue in front of `delivery_results`: status changes are buffered and written every
 * flush interval as one insert, in one transaction with the Kafka offsets.
 */
@Injectable()
export class DeliveryResultsQueue {
  readonly queue: BatchingWorkQueue<DeliveryResultPayload, DeliveryResultPayload>;

  constructor(registry: WorkQueueRegistry) {
    this.queue = registry.append<DeliveryResultPayload, DeliveryResultPayload>({
      name: DELIVERY_RESULTS_QUEUE,
      rowOf: (event: IncomingEvent<DeliveryResultPayload>) => event.payload,
      write: writeDeliveryResults,
      // The table's unique event_id de-duplicates for good (processed_events only remembers ids
      // for DEDUPE_RETENTION_HOURS), so claiming every id there too would only add a write.
      dedupe: false,
    });
  }
}
