import type { QueryRunner } from 'typeorm';
import { sendNow } from '../flush/send-now';
import { claimKeys, type ClaimKeys } from './claim-keys';
import {
  GENERATION_MS,
  GENERATION_OVERLAP_MS,
  generationOf,
  isTimeOrderedId,
  lowestKey,
  namedKey,
  namedTail,
  scopeMask,
  timeOrderedKey,
  timePrefix,
} from './dedupe-keys';
import {
  DEDUPE_TABLE,
  LIST_HOURS,
  listHours,
  oldestHour,
  type Queryable,
} from './dedupe-partitions';

/** The savepoint the optimistic claim runs under. */
export const CLAIM_SAVEPOINT = 'claim_event_ids';

/** Inserts the keys ($1: 32-hex-digit keys in the order of the sorted ids, the lock order), naming the new ones. */
const INSERT_NEW_KEYS =
  'INSERT INTO dedupe_ids (key) SELECT unnest($1::uuid[]) ON CONFLICT DO NOTHING RETURNING key::text';

/**
 * The optimistic claim's one message: the savepoint, the keys inserted (the literal written out:
 * a simple-protocol message takes several statements, not parameters, and it holds only hex
 * digits and commas), then the savepoint released when that settles the claim, or else the
 * partitions' names for the look-up of the named ids. A failing INSERT skips the rest.
 */
function optimisticClaim(keys: ClaimKeys): string {
  const insert = `INSERT INTO dedupe_ids (key) SELECT unnest('${keys.literal}'::uuid[])`;
  const then =
    keys.named.length > 0
      ? LIST_HOURS.replace('$1', `'${DEDUPE_TABLE}'`)
      : `RELEASE SAVEPOINT ${CLAIM_SAVEPOINT}`;
  return `SAVEPOINT ${CLAIM_SAVEPOINT}; ${insert}; ${then}`;
}

/** PostgreSQL's unique_violation. */
const UNIQUE_VIOLATION = '23505';

/** An id's stored keys, and what a named id must look up in older generations. */
interface Planned {
  /** Keys (32 hex digits) in the order of the ids: the same order in every transaction, so no deadlock. */
  readonly keys: string[];
  /** The id each key stands for, index for index. */
  readonly owners: string[];
  /** Named ids and their key tails. */
  readonly named: Array<{ id: string; tail: string }>;
  /** The oldest generation named ids were inserted under; older ones are looked up. */
  readonly oldestInserted: number;
}

/**
 * Records event ids as processed, in the caller's transaction, and returns those that were not
 * new: the duplicates, almost always none. Ids already present (an earlier batch, another
 * instance) are not applied again; an id another transaction is inserting right now waits for
 * it, so two instances never both apply one event. `ids` must be distinct and sorted (lock
 * order); `now` is the claim's clock.
 *
 * Each id becomes one 16-byte key in `dedupe_ids`, partitioned by the hour of the key's first 48
 * bits. A canonical UUIDv7 (ingest stamps them) keeps its own time there, its other bits XORed
 * with the scope's mask. Any other id is a hash of scope and id under the start of the current
 * 6-hour generation (and, in a generation's first minutes, under the previous one too), and is
 * also looked up under every older generation still kept.
 *
 * The common path ({@link claimAllNew}) is a plain INSERT under a savepoint: about 30 % less
 * PostgreSQL time than `ON CONFLICT DO NOTHING`. Only when it meets a key already there (unique
 * violation, nothing of it kept) does {@link claimWithConflicts} run. The keys travel as one
 * `uuid[]` literal built in a single pass over the ids (claimKeys).
 */
export async function claimEventIds(
  runner: QueryRunner,
  scope: string,
  ids: readonly string[],
  now = Date.now(),
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  if (await claimAllNew(runner, scope, ids, now)) return new Set();
  await runner.query(
    `ROLLBACK TO SAVEPOINT ${CLAIM_SAVEPOINT}; RELEASE SAVEPOINT ${CLAIM_SAVEPOINT}`,
  );
  return claimWithConflicts(runner, scope, ids, now);
}

/**
 * The optimistic claim: takes the savepoint CLAIM_SAVEPOINT, inserts every key with a plain INSERT
 * and looks the named ids up in the older generations. Resolves true when every id was new (the
 * savepoint released, so what the caller writes next belongs to its transaction itself); false
 * when one was not, in which case the caller must roll back to the savepoint (the transaction is
 * aborted, or holds keys of a duplicate) and use {@link claimWithConflicts}. Its first message
 * is on the wire when this returns (sendNow), so the caller can build its rows while PostgreSQL
 * inserts the keys, as long as it sends nothing on the runner before this settles.
 */
export async function claimAllNew(
  runner: QueryRunner,
  scope: string,
  ids: readonly string[],
  now: number,
): Promise<boolean> {
  if (ids.length === 0) return true;
  const keys = claimKeys(scope, ids, now);
  let hours: Array<{ name: string }>;
  try {
    hours = (await sendNow(runner, optimisticClaim(keys))) as Array<{ name: string }>;
  } catch (error) {
    // TypeORM's QueryFailedError carries the driver error's SQLSTATE as `code`.
    if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION) throw error;
    return false;
  }
  if (keys.named.length === 0) return true;
  if ((await namedInOlderGenerations(runner, keys, hours)).length > 0) return false;
  await runner.query(`RELEASE SAVEPOINT ${CLAIM_SAVEPOINT}`);
  return true;
}

/**
 * The claim after {@link claimAllNew} found an id claimed before: inserts the new keys with
 * `ON CONFLICT DO NOTHING RETURNING`, the keys not returned naming the duplicates, and adds the
 * named ids found in older generations.
 */
export async function claimWithConflicts(
  runner: QueryRunner,
  scope: string,
  ids: readonly string[],
  now: number,
): Promise<Set<string>> {
  const plan = planKeys(scope, ids, now);
  const { keys, owners } = plan;
  const rows = (await runner.query(INSERT_NEW_KEYS, [keys])) as Array<{ key: string }>;
  const inserted = new Set(rows.map((r) => r.key.replaceAll('-', '')));
  const duplicates = new Set<string>();
  for (let i = 0; i < keys.length; i++) if (!inserted.has(keys[i])) duplicates.add(owners[i]);
  if (plan.named.length > 0) {
    const hours = (await runner.query(LIST_HOURS, [DEDUPE_TABLE])) as Array<{ name: string }>;
    for (const id of await namedInOlderGenerations(runner, plan, hours)) duplicates.add(id);
  }
  return duplicates;
}

function planKeys(scope: string, ids: readonly string[], now: number): Planned {
  const keys: string[] = [];
  const owners: string[] = [];
  const named: Array<{ id: string; tail: string }> = [];
  const generation = generationOf(now);
  const overlap = now - generation < GENERATION_OVERLAP_MS;
  let mask: readonly number[] | undefined;
  for (const id of ids) {
    if (isTimeOrderedId(id)) {
      keys.push(timeOrderedKey(id, (mask ??= scopeMask(scope))));
      owners.push(id);
      continue;
    }
    const tail = namedTail(scope, id);
    named.push({ id, tail });
    keys.push(namedKey(tail, generation));
    owners.push(id);
    if (overlap) {
      keys.push(namedKey(tail, generation - GENERATION_MS));
      owners.push(id);
    }
  }
  return { keys, owners, named, oldestInserted: overlap ? generation - GENERATION_MS : generation };
}

/**
 * The named ids claimed under an older generation that is still kept: every generation from the
 * oldest hour partition on (keys of a generation without a partition are in the default one).
 * One branch per generation, its key range written out so that PostgreSQL plans it against the
 * one partition holding it, and skipped after a single index probe when that generation holds no
 * named key at all (its named keys are exactly those of its millisecond with version 8).
 */
async function namedInOlderGenerations(
  runner: QueryRunner,
  keys: Pick<ClaimKeys, 'named' | 'oldestInserted'>,
  hours: ReadonlyArray<{ name: string }>,
): Promise<string[]> {
  const oldest = oldestHour(hours);
  if (oldest === undefined) return [];
  const branches: string[] = [];
  for (let g = generationOf(oldest); g < keys.oldestInserted; g += GENERATION_MS) {
    // Bounds come from a number, never from input text.
    const from = namedKeyBound(g, '8');
    const to = namedKeyBound(g, '9');
    branches.push(
      `SELECT t.tail FROM unnest($1::text[]) AS t(tail)
        WHERE EXISTS (SELECT 1 FROM dedupe_ids WHERE key >= '${from}' AND key < '${to}')
          AND EXISTS (SELECT 1 FROM dedupe_ids d
                       WHERE d.key = ('${timePrefix(g)}' || t.tail)::uuid AND d.key >= '${from}' AND d.key < '${to}')`,
    );
  }
  if (branches.length === 0) return [];
  // Only the tails travel (hex digits: a literal needs no escaping); they name their ids here.
  const idOf = new Map(keys.named.map((n) => [n.tail, n.id]));
  const rows = (await runner.query(branches.join(' UNION '), [
    `{${keys.named.map((n) => n.tail).join(',')}}`,
  ])) as Array<{ tail: string }>;
  return rows.map((r) => idOf.get(r.tail)!);
}

/** The lowest key of generation `g` whose 13th hex digit (the version) is `version`. */
function namedKeyBound(g: number, version: string): string {
  const lowest = lowestKey(g);
  return lowest.slice(0, 14) + version + lowest.slice(15);
}

/**
 * Which of `ids` are claimed in `scope` now (committed, or by this transaction when given its
 * runner): for tests and an operator's look-up, since keys name neither scope nor id.
 */
export async function claimedEventIds(
  runner: Queryable,
  scope: string,
  ids: readonly string[],
): Promise<Set<string>> {
  const now = Date.now();
  const plan = planKeys(scope, ids, now);
  const hours = await listHours(runner);
  const prefixes: string[] = [];
  if (hours.length > 0) {
    for (let g = generationOf(hours[0]); g <= generationOf(now); g += GENERATION_MS) {
      prefixes.push(timePrefix(g));
    }
  }
  const v7 = plan.keys
    .map((key, i) => [key, plan.owners[i]] as const)
    .filter(([, id]) => isTimeOrderedId(id));
  const rows = (await runner.query(
    `SELECT t.id FROM unnest($1::text[], $2::uuid[]) AS t(id, key)
      WHERE EXISTS (SELECT 1 FROM dedupe_ids d WHERE d.key = t.key)
     UNION
     SELECT t.id FROM unnest($3::text[], $4::text[]) AS t(id, tail)
      WHERE EXISTS (
        SELECT 1 FROM unnest($5::text[]) AS g(prefix)
          JOIN dedupe_ids d ON d.key = (g.prefix || t.tail)::uuid)`,
    [
      v7.map(([, id]) => id),
      v7.map(([key]) => key),
      plan.named.map((n) => n.id),
      plan.named.map((n) => n.tail),
      prefixes,
    ],
  )) as Array<{ id: string }>;
  return new Set(rows.map((r) => r.id));
}
