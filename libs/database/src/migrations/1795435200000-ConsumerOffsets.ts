import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Consumer offsets stored beside the data they produced (written in the same transaction), and the
 * event ids already applied, for de-duplication where the broker cannot give exactly-once.
 */
export class ConsumerOffsets1795435200000 implements MigrationInterface {
  name = 'ConsumerOffsets1795435200000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE consumer_offsets (
        group_id    text        NOT NULL,
        topic       text        NOT NULL,
        partition   integer     NOT NULL,
        next_offset bigint      NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (group_id, topic, partition)
      ) WITH (fillfactor = 70)`);
    await runner.query(`
      CREATE TABLE processed_events (
        group_id     text        NOT NULL,
        event_id     text        NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (group_id, event_id)
      )`);
    await runner.query(
      'CREATE INDEX processed_events_processed_at ON processed_events (processed_at)',
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE processed_events');
    await runner.query('DROP TABLE consumer_offsets');
  }
}
