import type { MigrationInterface, QueryRunner } from 'typeorm';

const HOUR_MS = 3_600_000;
const GENERATION_MS = 6 * HOUR_MS;
const HOURS_AHEAD = 6;
/** Legacy ids dated further back than this get no partition (the default one takes them). */
const OLDEST_LEGACY_MS = 366 * 24 * HOUR_MS;

/** `processed_events` rows as `dedupe_ids` keys, the derivation work-queue's dedupe-keys.ts makes. */
const LEGACY_KEYS = `
  SELECT (CASE
    WHEN event_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' THEN
      substr(h, 1, 12)
      || lpad(to_hex((('x' || substr(h, 13, 4))::bit(16) # ('x' || substr(m, 1, 4))::bit(16))::int), 4, '0')
      || lpad(to_hex((('x' || substr(h, 17, 16))::bit(64) # ('x' || substr(m, 5, 16))::bit(64))::bigint), 16, '0')
    ELSE
      lpad(to_hex((floor(extract(epoch FROM processed_at) * 1000 / ${GENERATION_MS}) * ${GENERATION_MS})::bigint), 12, '0')
      || encode(set_byte(set_byte(t, 0, 128 | (get_byte(t, 0) & 15)), 2, 128 | (get_byte(t, 2) & 63)), 'hex')
    END)::uuid AS key
  FROM (
    SELECT event_id, processed_at, replace(event_id, '-', '') AS h,
           encode(set_byte(set_byte(ms, 0, get_byte(ms, 0) & 15), 2, get_byte(ms, 2) & 63), 'hex') AS m,
           substring(sha256(convert_to(group_id || E'\\n' || event_id, 'UTF8')) FROM 1 FOR 10) AS t
      FROM (SELECT *, substring(sha256(convert_to('dedupe-scope' || E'\\n' || group_id, 'UTF8')) FROM 1 FOR 10) AS ms
              FROM processed_events) scoped
  ) parts`;

function partitionName(hourMs: number): string {
  const iso = new Date(hourMs).toISOString();
  return `dedupe_ids_p${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}`;
}

function lowestKey(ms: number): string {
  return ms.toString(16).padStart(12, '0').padEnd(32, '0');
}

/**
 * Replaces `processed_events (group_id text, event_id text, processed_at)` (about 180 bytes per
 * id, expired by row DELETEs) with `dedupe_ids (key uuid)`, range-partitioned by hour on the key:
 * a UUIDv7 id keeps its own time in the key's first 48 bits (its other bits XORed with a mask of
 * the scope), any other id is a hash of scope and id under the start of a 6-hour generation.
 * Retention drops whole hour partitions. The partitions of the hours ahead are created here and
 * then by the work-queue's retention job; the default partition takes keys of hours without one.
 *
 * The ids stored so far are copied (keys computed here as the work queue computes them), so they
 * keep de-duplicating across the upgrade; the old table is dropped. `down()` brings back the old
 * table empty: keys cannot be turned back into ids.
 */
export class DedupeIds1795760000000 implements MigrationInterface {
  name = 'DedupeIds1795760000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE dedupe_ids (
        key uuid NOT NULL,
        CONSTRAINT dedupe_ids_pkey PRIMARY KEY (key)
      ) PARTITION BY RANGE (key)`);
    await runner.query('CREATE TABLE dedupe_ids_default PARTITION OF dedupe_ids DEFAULT');
    await runner.query(`CREATE TEMP TABLE dedupe_ids_legacy AS ${LEGACY_KEYS}`);

    const now = Date.now();
    const hours = new Set<number>();
    const firstHour = Math.floor(now / GENERATION_MS) * GENERATION_MS - GENERATION_MS;
    for (
      let h = firstHour;
      h <= Math.floor(now / HOUR_MS) * HOUR_MS + HOURS_AHEAD * HOUR_MS;
      h += HOUR_MS
    ) {
      hours.add(h);
    }
    const legacyHours: Array<{ hour: string }> = await runner.query(
      `SELECT DISTINCT (('x' || substr(replace(key::text, '-', ''), 1, 12))::bit(48)::bigint / ${HOUR_MS} * ${HOUR_MS})::text AS hour
         FROM dedupe_ids_legacy`,
    );
    for (const { hour } of legacyHours) {
      const h = Number(hour);
      if (h >= now - OLDEST_LEGACY_MS && h <= now + HOURS_AHEAD * HOUR_MS) hours.add(h);
    }
    for (const h of [...hours].sort((a, b) => a - b)) {
      await runner.query(
        `CREATE TABLE "${partitionName(h)}" PARTITION OF dedupe_ids
           FOR VALUES FROM ('${lowestKey(h)}') TO ('${lowestKey(h + HOUR_MS)}')`,
      );
    }
    await runner.query(
      'INSERT INTO dedupe_ids (key) SELECT key FROM dedupe_ids_legacy ORDER BY key ON CONFLICT DO NOTHING',
    );
    await runner.query('DROP TABLE dedupe_ids_legacy');
    await runner.query('DROP TABLE processed_events');
  }

  async down(runner: QueryRunner): Promise<void> {
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
    await runner.query('DROP TABLE dedupe_ids');
  }
}
