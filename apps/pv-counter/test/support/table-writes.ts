import type { DataSource, QueryRunner } from 'typeorm';

/** What one transaction did to a table, from PostgreSQL's per-table statistics. */
export interface TableWrites {
  readonly seqScans: number;
  readonly inserted: number;
  readonly updated: number;
  readonly hotUpdated: number;
  /** Row versions written: inserted + updated. */
  readonly versions: number;
}

/**
 * Runs `work` in a transaction and returns what it did to `table`. The counters are the backend's
 * not yet reported ones, which include earlier transactions of the same connection: the figures
 * are the difference between before and after `work`.
 */
export async function tableWritesDuring(
  dataSource: DataSource,
  table: string,
  work: (runner: QueryRunner) => Promise<unknown>,
): Promise<TableWrites> {
  return dataSource.transaction(async (manager) => {
    const runner = manager.queryRunner!;
    const counters = async () => {
      const [row] = (await runner.query(
        `SELECT seq_scan, n_tup_ins, n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = $1`,
        [table],
      )) as Array<{
        seq_scan: string;
        n_tup_ins: string;
        n_tup_upd: string;
        n_tup_hot_upd: string;
      }>;
      return {
        seqScans: Number(row?.seq_scan ?? 0),
        inserted: Number(row?.n_tup_ins ?? 0),
        updated: Number(row?.n_tup_upd ?? 0),
        hotUpdated: Number(row?.n_tup_hot_upd ?? 0),
      };
    };
    const before = await counters();
    await work(runner);
    const after = await counters();
    const inserted = after.inserted - before.inserted;
    const updated = after.updated - before.updated;
    return {
      seqScans: after.seqScans - before.seqScans,
      inserted,
      updated,
      hotUpdated: after.hotUpdated - before.hotUpdated,
      versions: inserted + updated,
    };
  });
}
