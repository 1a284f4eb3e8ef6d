import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** A running embedded PostgreSQL (PGlite) reachable by the ordinary `pg` driver. */
export interface EmbeddedPostgres {
  /** `postgres://` URL of the socket server. */
  readonly url: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/**
 * Starts PGlite on `dataDir` behind a local socket server, so the same `pg` driver, SQL and
 * migrations run against it as against PostgreSQL. A data dir belongs to one process, which a
 * lock file enforces with a clear message.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  maxConnections: number,
): Promise<EmbeddedPostgres> {
  const dir = resolve(dataDir);
  await mkdir(dir, { recursive: true });
  const lockFile = join(dir, 'embedded.lock');
  await acquireLock(lockFile, dir);
  try {
    const db = await PGlite.create(dir);
    // pglite-socket keeps a transaction on the connection that began it and queues the others,
    // so it can take as many connections as the pool opens (its default is 1).
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections });
    await server.start();
    const url = `postgres://postgres@${server.getServerConn()}/postgres`;
    let stopped = false;
    return {
      url,
      dataDir: dir,
      async stop() {
        if (stopped) return;
        stopped = true;
        await server.stop();
        await db.close();
        await rm(lockFile, { force: true });
      },
    };
  } catch (error) {
    await rm(lockFile, { force: true });
    throw error;
  }
}

async function acquireLock(lockFile: string, dir: string): Promise<void> {
  const holder = Number(await readFile(lockFile, 'utf8').catch(() => ''));
  if (holder && holder !== process.pid && isAlive(holder)) {
    throw new Error(
      `The embedded database in ${dir} is in use by process ${holder}. ` +
        'Give each process its own DATA_DIR, or set DATABASE_URL to a shared PostgreSQL.',
    );
  }
  await writeFile(lockFile, String(process.pid));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
