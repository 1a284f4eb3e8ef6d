import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Delivery results (aggregator): one append-only row per status change of a message. The
 * identity `id` is receipt order (the last tie-break of a history); `event_id` is unique so a
 * redelivered or retried status change is stored once (`ON CONFLICT DO NOTHING`).
 *
 * Lookups: a message's history by `(message_id, occurred_at, id)`, and a request's messages by
 * `(request_id, message_id)` (partial: most status changes after `accepted` carry no request id).
 * Both ids use the "C" collation: a request's messages are paged by message id (keyset), which needs
 * a plain code-point order that the index serves, not a locale's (which ignores '-' and '/').
 * Rows are never updated, so no fillfactor or HOT considerations apply.
 */
export class DeliveryResults1795720000000 implements MigrationInterface {
  name = 'DeliveryResults1795720000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE delivery_results (
        id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_id    text        NOT NULL,
        message_id  text        COLLATE "C" NOT NULL,
        request_id  text        COLLATE "C",
        channel     text        NOT NULL,
        status      text        NOT NULL
                    CHECK (status IN ('accepted', 'sent', 'delivered', 'failed', 'expired')),
        detail      text,
        occurred_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT delivery_results_event_id UNIQUE (event_id)
      )`);
    await runner.query(
      'CREATE INDEX delivery_results_message ON delivery_results (message_id, occurred_at, id)',
    );
    await runner.query(
      'CREATE INDEX delivery_results_request ON delivery_results (request_id, message_id) ' +
        'WHERE request_id IS NOT NULL',
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE delivery_results');
  }
}
