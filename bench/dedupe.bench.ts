/**
 * `npm run bench -- dedupe [storedIds] [batches]`: claiming event ids for de-duplication with
 * `storedIds` (default 2 000 000) already stored, in one run on a throwaway PostgreSQL database
 * (TEST_PG_ADMIN_URL, default postgres://postgres@127.0.0.1:5432/postgres, dropped afterwards):
 * - baseline: the previous storage, `processed_events (group_id text, event_id text, processed_at)`
 *   with its primary key and `processed_at` index, and its claim (plain INSERT under a savepoint,
 *   `ON CONFLICT DO NOTHING` and an `xmin` look-up only after a unique violation);
 * - ours: `dedupe_ids (key uuid)` partitioned by hour (migration DedupeIds), claimed by
 *   `claimEventIds`.
 * Both are filled with the same UUIDv7 ids (20 per millisecond, i.e. 20 000 events/s, ending now),
 * then claim `batches` (default 40) flushes of 2 000 new UUIDv7 ids each, one transaction a flush,
 * alternating between the two so that both see the same server load; ids/s is ids over the time
 * of those transactions. Then one more round for ours with ids that are not UUIDv7 (a client's
 * own ids, stored by hash and looked up in the generations kept). Bytes per id:
 * `pg_total_relation_size` of the table (every partition, every index) over its ids.
 */
import 'reflect-metadata';
import { openDatabase, type OpenDatabase } from '@lib/database';
import { claimEventIds } from '@lib/work-queue';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import type { QueryRunner } from 'typeorm';
import { v7 as timeOrderedUuid } from 'uuid';
import { createBenchDatabase, printHeadline } from './support';

const SCOPE = 'bench/dedupe';
const BATCH = 2_000;
const PER_MS = 20;

const BASELINE_TABLE = `
  CREATE TABLE processed_events (
    group_id     text        NOT NULL,
    event_id     text        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, event_id)
  )`;

const BASELINE_INSERT =
  'INSERT INTO processed_events (group_id, event_id) SELECT $1, id FROM unnest($2::text[]) AS u(id)';

/** The previous claim, as it was. */
async function baselineClaim(
  runner: QueryRunner,
  scope: string,
  ids: string[],
): Promise<Set<string>> {
  await runner.query('SAVEPOINT claim_event_ids');
  try {
    await runner.query(BASELINE_INSERT, [scope, ids]);
    await runner.query('RELEASE SAVEPOINT claim_event_ids');
    return new Set();
  } catch (error) {
    if ((error as { code?: unknown }).code !== '23505') throw error;
    await runner.query('ROLLBACK TO SAVEPOINT claim_event_ids');
    await runner.query('RELEASE SAVEPOINT claim_event_ids');
  }
  const inserted = await runner.query(
    `${BASELINE_INSERT} ON CONFLICT DO NOTHING`,
    [scope, ids],
    true,
  );
  if ((inserted as { affected?: number }).affected === ids.length) return new Set();
  const rows: Array<{ event_id: string }> = await runner.query(
    `SELECT u.id AS event_id FROM unnest($2::text[]) AS u(id)
      WHERE NOT EXISTS (
        SELECT 1 FROM processed_events p
         WHERE p.group_id = $1 AND p.event_id = u.id AND p.xmin = pg_current_xact_id()::xid)`,
    [scope, ids],
  );
  return new Set(rows.map((row) => row.event_id));
}

type Claim = (runner: QueryRunner, scope: string, ids: string[]) => Promise<Set<string>>;

/** Claims `ids` in one transaction; returns its duration in ms. */
async function timedClaim(database: OpenDatabase, claim: Claim, ids: string[]): Promise<number> {
  const runner = database.dataSource.createQueryRunner();
  const started = performance.now();
  await runner.startTransaction();
  try {
    const duplicates = await claim(runner, SCOPE, ids);
    if (duplicates.size > 0) throw new Error(`${duplicates.size} unexpected duplicates`);
    await runner.commitTransaction();
    return performance.now() - started;
  } finally {
    await runner.release();
  }
}

/** UUIDv7 text of the `n`th of `count` ids ending now, `PER_MS` a millisecond (SQL). */
function storedIdSql(count: number): string {
  return `
    SELECT lpad(to_hex(end_ms - (${count} - n) / ${PER_MS}), 12, '0') AS t, md5(n::text) AS r
      FROM generate_series(1, ${count}) AS n, (SELECT (extract(epoch FROM now()) * 1000)::bigint AS end_ms) e`;
}

function asUuid(hex: string): string {
  // t (12 hex) + version 7 + 3 random + variant 8 + 15 random = 32 hex digits
  return `substr(${hex}.t, 1, 8) || '-' || substr(${hex}.t, 9, 4) || '-7' || substr(${hex}.r, 1, 3) || '-8' || substr(${hex}.r, 4, 3) || '-' || substr(${hex}.r, 7, 12)`;
}

async function bytesPerId(
  database: OpenDatabase,
  table: string,
  partitioned: boolean,
): Promise<{ bytes: number; ids: number }> {
  const [{ bytes, ids }] = await database.dataSource.query(
    partitioned
      ? `SELECT (SELECT sum(pg_total_relation_size(inhrelid))::bigint FROM pg_inherits WHERE inhparent = '${table}'::regclass)
                + pg_total_relation_size('${table}') AS bytes,
                (SELECT count(*) FROM ${table})::bigint AS ids`
      : `SELECT pg_total_relation_size('${table}') AS bytes, (SELECT count(*) FROM ${table})::bigint AS ids`,
  );
  return { bytes: Number(bytes), ids: Number(ids) };
}

/** Runs the benchmark; see the file's comment. */
export async function main(args: string[]): Promise<void> {
  const stored = Number(args[0] ?? 2_000_000);
  const batches = Number(args[1] ?? 40);
  const scratch = await createBenchDatabase('dedupe');
  const url = scratch.url;
  const database = await openDatabase({
    DATABASE_URL: url,
    DATA_DIR: tmpdir(),
    DATABASE_POOL_SIZE: 2,
  });
  try {
    await database.dataSource.query(BASELINE_TABLE);
    await database.dataSource.query(
      'CREATE INDEX processed_events_processed_at ON processed_events (processed_at)',
    );
    console.log(`storing ${stored.toLocaleString('en-US')} UUIDv7 ids in each table …`);
    await database.dataSource.query(
      `INSERT INTO processed_events (group_id, event_id) SELECT '${SCOPE}', ${asUuid('s')} FROM (${storedIdSql(stored)}) s ORDER BY 2`,
    );
    // The same ids as keys: the scope's XOR leaves the layout (time prefix, random rest) as it is.
    await database.dataSource.query(
      `INSERT INTO dedupe_ids (key) SELECT (${asUuid('s')})::uuid FROM (${storedIdSql(stored)}) s ORDER BY 1`,
    );
    await database.dataSource.query('VACUUM ANALYZE processed_events');
    await database.dataSource.query('VACUUM ANALYZE dedupe_ids');
    await database.dataSource.query('CHECKPOINT');

    const baselineSize = await bytesPerId(database, 'processed_events', false);
    const oursSize = await bytesPerId(database, 'dedupe_ids', true);

    const fresh = () => Array.from({ length: BATCH }, () => timeOrderedUuid()).sort();
    let baselineMs = 0;
    let oursMs = 0;
    for (let i = 0; i < batches + 4; i++) {
      const [b, o] = [
        await timedClaim(database, baselineClaim, fresh()),
        await timedClaim(database, claimEventIds, fresh()),
      ];
      if (i >= 4) {
        baselineMs += b; // the first rounds warm caches and plans
        oursMs += o;
      }
    }
    const ids = batches * BATCH;
    const baselineRate = ids / (baselineMs / 1000);
    const oursRate = ids / (oursMs / 1000);
    let namedMs = 0;
    for (let i = 0; i < Math.max(4, batches / 4); i++) {
      const named = Array.from(
        { length: BATCH },
        () => `client-${randomBytes(8).toString('hex')}`,
      ).sort();
      namedMs += await timedClaim(database, claimEventIds, named);
    }
    const namedRate = (Math.max(4, batches / 4) * BATCH) / (namedMs / 1000);
    const after = await bytesPerId(database, 'dedupe_ids', true);
    const partitions = await database.dataSource.query(
      "SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'dedupe_ids'::regclass",
    );

    const perId = (s: { bytes: number; ids: number }) => s.bytes / s.ids;
    console.log(
      `bytes per stored id at ${stored.toLocaleString('en-US')}: ours ${perId(oursSize).toFixed(1)} ` +
        `(${(oursSize.bytes / 1e6).toFixed(1)} MB, ${partitions[0].n} partitions), ` +
        `baseline ${perId(baselineSize).toFixed(1)} (${(baselineSize.bytes / 1e6).toFixed(1)} MB); ` +
        `${(perId(baselineSize) / perId(oursSize)).toFixed(1)}× less`,
    );
    console.log(`bytes per stored id after the claims below: ours ${perId(after).toFixed(1)}`);
    console.log(
      `claim of ${BATCH} new UUIDv7 ids a transaction, ${batches} each, alternating: ` +
        `ours ${(oursMs / batches).toFixed(1)} ms (${Math.round(oursRate)} ids/s), ` +
        `baseline ${(baselineMs / batches).toFixed(1)} ms (${Math.round(baselineRate)} ids/s)`,
    );
    console.log(`ours, ids that are not UUIDv7: ${Math.round(namedRate)} ids/s`);
    printHeadline('dedupe', oursRate, baselineRate);
  } finally {
    await database.close();
    await scratch.drop();
  }
}
