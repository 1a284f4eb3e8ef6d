import { unnestUpsert } from '@lib/work-queue';
import type { QueryRunner } from 'typeorm';
import type { DeliveryResultPayload } from './delivery-result-payload';

/** The table (migration DeliveryResults). */
export const DELIVERY_RESULTS_TABLE = 'delivery_results';

/**
 * One row per status change. `ON CONFLICT (event_id) DO NOTHING` makes the table itself the
 * de-duplication: a RabbitMQ redelivery, a spool replay or a client retry with the same `eventId`
 * never adds a second history row, however long after the first it comes.
 */
const insertResults = unnestUpsert<DeliveryResultPayload>({
  table: DELIVERY_RESULTS_TABLE,
  columns: [
    { name: 'event_id', type: 'text', value: (row) => row.eventId },
    { name: 'message_id', type: 'text', value: (row) => row.messageId },
    { name: 'request_id', type: 'text', value: (row) => row.requestId },
    { name: 'channel', type: 'text', value: (row) => row.channel },
    { name: 'status', type: 'text', value: (row) => row.status },
    { name: 'detail', type: 'text', value: (row) => row.detail },
    { name: 'occurred_at', type: 'timestamptz', value: (row) => row.occurredAt },
    { name: 'received_at', type: 'timestamptz', value: (row) => row.receivedAt },
  ],
  conflict: ['event_id'],
});

/**
 * Writes one flush inside its transaction (the work queue's BatchWriter): one multi-row insert in
 * arrival order, so the identity column keeps receipt order for the last tie-break of a history.
 */
export function writeDeliveryResults(
  runner: QueryRunner,
  batch: readonly DeliveryResultPayload[],
): Promise<void> {
  return insertResults.run(runner, batch);
}
