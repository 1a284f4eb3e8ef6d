import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** Every throwaway database starts with this, so leftovers are easy to find and drop. */
export const THROWAWAY_DB_PREFIX = 'ep_test_';

/** A name for this test run's databases: `ep_test_<epoch ms>_<random>`; each of them starts with it. */
export function newRunPrefix(now = Date.now()): string {
  return `${THROWAWAY_DB_PREFIX}${now}_${randomBytes(3).toString('hex')}`;
}

/** `url` with its database replaced by `database`. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** The database named in a postgres URL. */
export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

async function withAdmin<T>(adminUrl: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates database `name` on the server of `adminUrl` and returns a URL for it. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  // PostgreSQL silently truncates identifiers beyond 63 bytes; a truncated name could collide.
  if (Buffer.byteLength(name) > 63) throw new Error(`database name too long (> 63 bytes): ${name}`);
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
  return withDatabase(adminUrl, name);
}

/** Drops the database of `url` (connecting to `adminUrl`), closing its sessions first; no error when absent. */
export async function dropDatabaseAt(adminUrl: string, url: string): Promise<void> {
  const name = databaseName(url);
  await withAdmin(adminUrl, (c) =>
    c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`),
  );
}

/** Drops every database whose name starts with `prefix`; returns the names dropped. */
export async function dropDatabasesWithPrefix(adminUrl: string, prefix: string): Promise<string[]> {
  if (!prefix.startsWith(THROWAWAY_DB_PREFIX)) {
    throw new Error(`refusing to drop databases outside ${THROWAWAY_DB_PREFIX}*: ${prefix}`);
  }
  return withAdmin(adminUrl, async (c) => {
    // left() rather than LIKE: '_' in the prefix would be a LIKE wildcard.
    const { rows } = await c.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE left(datname, length($1)) = $1',
      [prefix],
    );
    for (const { datname } of rows) {
      await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`);
    }
    return rows.map((r) => r.datname);
  });
}

/**
 * Drops throwaway databases of runs that started more than `maxAgeMs` ago (a run killed before
 * its teardown leaves them behind); younger ones may belong to a run still going.
 */
export async function dropStaleDatabases(adminUrl: string, maxAgeMs: number): Promise<string[]> {
  const cutoff = Date.now() - maxAgeMs;
  return withAdmin(adminUrl, async (c) => {
    const { rows } = await c.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE left(datname, length($1)) = $1',
      [THROWAWAY_DB_PREFIX],
    );
    const stale = rows
      .map((r) => r.datname)
      .filter((name) => {
        const started = Number(/^ep_test_(\d{13})_/.exec(name)?.[1]);
        return Number.isFinite(started) && started < cutoff;
      });
    for (const name of stale) {
      await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    }
    return stale;
  });
}
