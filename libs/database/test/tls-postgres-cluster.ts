import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  copyFileSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@test/support';

/** A PostgreSQL cluster of the test's own, accepting only TLS over TCP. */
/** A role that logs in with a password (scram-sha-256), for tests of a refused login. */
export const PASSWORD_USER = 'pwuser';
export const PASSWORD_USER_PASSWORD = 'right-password-1';

export interface TlsPostgresCluster {
  readonly port: number;
  /** Installs another server certificate and key, and reloads (new connections see it). */
  useServerCertificate(certFile: string, keyFile: string): void;
  /** Runs SQL as the superuser over the cluster's Unix socket. */
  psql(sql: string): string;
  stop(): void;
}

/** The newest installed PostgreSQL's bin directory. */
function postgresBin(): string {
  const versions = readdirSync('/usr/lib/postgresql')
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql');
  return join('/usr/lib/postgresql', versions[0], 'bin');
}

/**
 * Starts a throwaway cluster as the `postgres` OS user on 127.0.0.1 (and .2) and a free port: `ssl=on`
 * with the given server certificate, `hostssl` rules only (trust, and `cert` for `certUser`),
 * so a connection without TLS is refused. Never the machine's own cluster.
 */
export async function startTlsPostgresCluster(options: {
  serverCertFile: string;
  serverKeyFile: string;
  caFile: string;
  certUser: string;
}): Promise<TlsPostgresCluster> {
  const bin = postgresBin();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ep-pg-tls-'));
  const data = join(dir, 'data');
  const asPostgres = (command: string, ...args: string[]) =>
    execFileSync('runuser', ['-u', 'postgres', '--', join(bin, command), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
  const postgresUser = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const postgresGroup = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  chownSync(dir, postgresUser, postgresGroup);
  const install = (from: string, name: string) => {
    copyFileSync(from, join(data, name));
    chownSync(join(data, name), postgresUser, postgresGroup);
    chmodSync(join(data, name), 0o600);
  };

  asPostgres(
    'initdb',
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-sync',
    '--no-instructions',
  );
  install(options.serverCertFile, 'server.crt');
  install(options.serverKeyFile, 'server.key');
  install(options.caFile, 'root.crt');
  appendFileSync(
    join(data, 'postgresql.conf'),
    [
      // 127.0.0.2 is a loopback address the server certificate does not name.
      `listen_addresses = '127.0.0.1,127.0.0.2'`,
      `port = ${port}`,
      `unix_socket_directories = '${dir}'`,
      `ssl = on`,
      `ssl_cert_file = 'server.crt'`,
      `ssl_key_file = 'server.key'`,
      `ssl_ca_file = 'root.crt'`,
      `fsync = off`,
      `shared_buffers = '16MB'`,
      `max_connections = 30`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(data, 'pg_hba.conf'),
    [
      'local all all trust',
      `hostssl all ${options.certUser} 127.0.0.0/8 cert`,
      `hostssl all ${PASSWORD_USER} 127.0.0.0/8 scram-sha-256`,
      'hostssl all all 127.0.0.0/8 trust',
      '',
    ].join('\n'),
  );
  const stop = () => {
    try {
      asPostgres('pg_ctl', '-D', data, '-m', 'immediate', '-w', 'stop');
    } catch {
      // not running (start failed): nothing to stop
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    asPostgres('pg_ctl', '-D', data, '-l', join(dir, 'log'), '-w', '-t', '20', 'start');
  } catch (error) {
    stop();
    throw error;
  }
  const psql = (sql: string) =>
    asPostgres(
      'psql',
      '-h',
      dir,
      '-p',
      String(port),
      '-U',
      'postgres',
      '-d',
      'postgres',
      '-XAtc',
      sql,
    );
  psql(`CREATE ROLE ${options.certUser} LOGIN SUPERUSER`);
  psql(`CREATE ROLE ${PASSWORD_USER} LOGIN SUPERUSER PASSWORD '${PASSWORD_USER_PASSWORD}'`);
  return {
    port,
    psql,
    useServerCertificate(certFile, keyFile) {
      install(certFile, 'server.crt');
      install(keyFile, 'server.key');
      asPostgres('pg_ctl', '-D', data, 'reload');
      // pg_ctl reload only signals; wait until the postmaster has re-read the files.
      psql('SELECT pg_sleep(0.3)');
    },
    stop,
  };
}
