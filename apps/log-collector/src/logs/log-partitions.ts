import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  DEFAULT_PARTITION,
  LOG_TABLE,
  dayOfPartition,
  partitionName,
  startOfDay,
  addDays,
  type DayKey,
} from './day-partitions';

/** pg_advisory_xact_lock key: collector instances change partitions one at a time. */
const PARTITION_LOCK_KEY = 727_171_201;

/**
 * Creates and drops the day partitions of `app_logs`, remembering which exist so that the insert
 * path asks the database only for days it has not seen. DDL runs in its own short transaction,
 * never inside a flush's transaction (a rolled-back flush would leave the cache wrong).
 */
@Injectable()
export class LogPartitions {
  private readonly known = new Set<DayKey>();
  private loading?: Promise<void>;

  constructor(private readonly dataSource: DataSource) {}

  /** Makes sure each of `days` has its partition; only days not known yet cost a round trip. */
  async ensure(days: Iterable<DayKey>): Promise<DayKey[]> {
    this.loading ??= this.refresh().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    await this.loading;
    const created: DayKey[] = [];
    for (const day of new Set(days)) {
      if (!this.known.has(day) && (await this.create(day))) created.push(day);
    }
    return created;
  }

  /** The days that have a partition, oldest first, read from the catalogue (and cached). */
  async list(): Promise<DayKey[]> {
    await this.refresh();
    return [...this.known].sort();
  }

  /**
   * Drops the partitions of days before `firstKept` and deletes default-partition rows older than
   * it; returns the days dropped and the number of default rows deleted.
   */
  async dropBefore(firstKept: DayKey): Promise<{ dropped: DayKey[]; defaultRowsDeleted: number }> {
    const dropped: DayKey[] = [];
    for (const day of await this.list()) {
      if (day >= firstKept) continue;
      await this.locked((manager) => manager.query(`DROP TABLE IF EXISTS "${partitionName(day)}"`));
      this.known.delete(day);
      dropped.push(day);
    }
    const [{ deleted }] = await this.dataSource.query(
      `WITH gone AS (DELETE FROM ${DEFAULT_PARTITION} WHERE occurred_at < $1 RETURNING 1)
       SELECT count(*)::int AS deleted FROM gone`,
      [startOfDay(firstKept).toISOString()],
    );
    return { dropped, defaultRowsDeleted: deleted };
  }

  private async refresh(): Promise<void> {
    const rows: Array<{ name: string }> = await this.dataSource.query(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = $1::regclass`,
      [LOG_TABLE],
    );
    this.known.clear();
    for (const { name } of rows) {
      const day = dayOfPartition(name);
      if (day) this.known.add(day);
    }
  }

  /** Creates `day`'s partition unless another instance did; true when this call created it. */
  private async create(day: DayKey): Promise<boolean> {
    const name = partitionName(day);
    const from = startOfDay(day).toISOString();
    const to = startOfDay(addDays(day, 1)).toISOString();
    const created = await this.locked(async (manager) => {
      const [{ present }] = await manager.query('SELECT to_regclass($1) IS NOT NULL AS present', [
        name,
      ]);
      if (present) return false;
      // Rows of this day may already sit in the default partition (they arrived while the day was
      // outside the window); PostgreSQL refuses the new partition until they are moved out.
      const [{ waiting }] = await manager.query(
        `SELECT EXISTS (SELECT 1 FROM ${DEFAULT_PARTITION} WHERE occurred_at >= $1 AND occurred_at < $2) AS waiting`,
        [from, to],
      );
      if (waiting) {
        await manager.query(`CREATE TEMP TABLE app_logs_moving (LIKE ${LOG_TABLE}) ON COMMIT DROP`);
        await manager.query(
          `WITH moved AS (DELETE FROM ${DEFAULT_PARTITION} WHERE occurred_at >= $1 AND occurred_at < $2 RETURNING *)
           INSERT INTO app_logs_moving SELECT * FROM moved`,
          [from, to],
        );
      }
      // Bounds come from a validated day key, never from input text: DDL takes no parameters.
      await manager.query(
        `CREATE TABLE "${name}" PARTITION OF ${LOG_TABLE} FOR VALUES FROM ('${from}') TO ('${to}')`,
      );
      if (waiting) await manager.query(`INSERT INTO ${LOG_TABLE} SELECT * FROM app_logs_moving`);
      return true;
    });
    this.known.add(day);
    return created;
  }

  private locked<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK_KEY]);
      return work(manager);
    });
  }
}
