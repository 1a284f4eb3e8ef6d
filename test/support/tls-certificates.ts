import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM files of a throwaway PKI: paths to read, and the directory to delete afterwards. */
export interface TestCertificates {
  readonly dir: string;
  /** The CA that signed `server` and `client`. */
  readonly caFile: string;
  /** A second, unrelated CA: verifying with it must fail. */
  readonly otherCaFile: string;
  /** Server certificate for `localhost` and 127.0.0.1, and its key. */
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  /** Server certificate for the same names, signed by the other CA: what a server that changed CA presents. */
  readonly otherServerCertFile: string;
  readonly otherServerKeyFile: string;
  /** Client certificate (CN `clientName`), and its key. */
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  remove(): void;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function createCa(dir: string, name: string): void {
  openssl(dir, 'ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`);
  openssl(
    dir,
    'req',
    '-x509',
    '-new',
    '-key',
    `${name}.key`,
    '-sha256',
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-out',
    `${name}.crt`,
  );
}

function issue(dir: string, name: string, subject: string, extensions: string, ca = 'ca'): void {
  openssl(dir, 'ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.ec.key`);
  // PKCS#8, the form every TLS stack reads.
  openssl(dir, 'pkcs8', '-topk8', '-nocrypt', '-in', `${name}.ec.key`, '-out', `${name}.key`);
  openssl(dir, 'req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-sha256',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.crt`,
  );
}

/** Generates a CA, a server certificate for localhost/127.0.0.1, a client certificate and an unrelated CA with `openssl`. */
export function createTestCertificates(clientName = 'postgres'): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'ep-tls-'));
  createCa(dir, 'ca');
  createCa(dir, 'other-ca');
  const serverExtensions =
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n';
  issue(dir, 'server', '/CN=localhost', serverExtensions);
  issue(dir, 'other-server', '/CN=localhost', serverExtensions, 'other-ca');
  issue(dir, 'client', `/CN=${clientName}`, 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    otherCaFile: join(dir, 'other-ca.crt'),
    serverCertFile: join(dir, 'server.crt'),
    serverKeyFile: join(dir, 'server.key'),
    otherServerCertFile: join(dir, 'other-server.crt'),
    otherServerKeyFile: join(dir, 'other-server.key'),
    clientCertFile: join(dir, 'client.crt'),
    clientKeyFile: join(dir, 'client.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
