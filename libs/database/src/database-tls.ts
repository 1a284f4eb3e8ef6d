import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type ConnectionOptions } from 'node:tls';
import { ConfigError } from '@lib/config';

/** The TLS modes, with libpq's meaning: `require` encrypts, `verify-full` also checks CA and host name. */
export const DATABASE_SSL_MODES = ['disable', 'require', 'verify-full'] as const;

/** One of {@link DATABASE_SSL_MODES}. */
export type DatabaseSslMode = (typeof DATABASE_SSL_MODES)[number];

/** The variables that decide how the app talks TLS to PostgreSQL. */
export interface DatabaseTlsSettings {
  DATABASE_URL?: string;
  DATABASE_SSL_MODE?: DatabaseSslMode;
  DATABASE_SSL_CA_FILE?: string;
  DATABASE_SSL_CERT_FILE?: string;
  DATABASE_SSL_KEY_FILE?: string;
}

/** The URL handed to `pg` (its TLS parameters removed) and the `ssl` option that replaces them. */
export interface DatabaseConnectionTarget {
  readonly url?: string;
  readonly mode: DatabaseSslMode;
  readonly ssl: false | ConnectionOptions;
}

type FileVariable = 'DATABASE_SSL_CA_FILE' | 'DATABASE_SSL_CERT_FILE' | 'DATABASE_SSL_KEY_FILE';

/** libpq's URL parameters and the variable each one stands for. */
const URL_FILE_PARAMETERS: ReadonlyArray<[string, FileVariable]> = [
  ['sslrootcert', 'DATABASE_SSL_CA_FILE'],
  ['sslcert', 'DATABASE_SSL_CERT_FILE'],
  ['sslkey', 'DATABASE_SSL_KEY_FILE'],
];

/**
 * Resolves the TLS settings into `pg`'s `ssl` option, reading the certificate files. A variable
 * wins over an absent URL parameter, and a URL parameter that says otherwise stops start-up: `pg`
 * would let the URL override the `ssl` option silently, so the URL keeps none of its TLS
 * parameters. Throws a ConfigError (one line, no secret) for any invalid combination.
 */
export function resolveDatabaseTls(settings: DatabaseTlsSettings): DatabaseConnectionTarget {
  const url = settings.DATABASE_URL ? new URL(settings.DATABASE_URL) : undefined;
  if (url?.searchParams.has('ssl')) {
    throw new ConfigError(
      'DATABASE_URL',
      redact(url),
      'use sslmode=disable, require or verify-full instead of ssl=',
    );
  }
  const mode = (pick('DATABASE_SSL_MODE', settings.DATABASE_SSL_MODE, url, 'sslmode') ??
    'disable') as DatabaseSslMode;
  if (!DATABASE_SSL_MODES.includes(mode)) {
    throw new ConfigError(
      'DATABASE_URL',
      redact(url!),
      'expected sslmode=disable, require or verify-full',
    );
  }
  const files = Object.fromEntries(
    URL_FILE_PARAMETERS.map(([parameter, variable]) => [
      variable,
      pick(variable, settings[variable], url, parameter),
    ]),
  ) as Record<FileVariable, string | undefined>;
  for (const parameter of ['sslmode', ...URL_FILE_PARAMETERS.map(([name]) => name)])
    url?.searchParams.delete(parameter);

  if (!url && mode !== 'disable') {
    throw new ConfigError(
      'DATABASE_SSL_MODE',
      mode,
      'needs DATABASE_URL: the embedded database has no TLS',
    );
  }
  if (mode === 'disable') {
    const set = (Object.keys(files) as FileVariable[]).find(
      (variable) => files[variable] !== undefined,
    );
    if (set)
      throw new ConfigError(
        set,
        files[set],
        'TLS is off: set DATABASE_SSL_MODE=verify-full or require',
      );
    return { url: url?.toString(), mode, ssl: false };
  }
  if (files.DATABASE_SSL_CERT_FILE && !files.DATABASE_SSL_KEY_FILE) {
    throw new ConfigError(
      'DATABASE_SSL_KEY_FILE',
      undefined,
      'required with DATABASE_SSL_CERT_FILE',
    );
  }
  if (files.DATABASE_SSL_KEY_FILE && !files.DATABASE_SSL_CERT_FILE) {
    throw new ConfigError(
      'DATABASE_SSL_CERT_FILE',
      undefined,
      'required with DATABASE_SSL_KEY_FILE',
    );
  }

  const ca = files.DATABASE_SSL_CA_FILE
    ? readCertificate('DATABASE_SSL_CA_FILE', files.DATABASE_SSL_CA_FILE)
    : undefined;
  const ssl: ConnectionOptions = { ...(ca && { ca }), ...readClientCertificate(files) };
  if (mode === 'verify-full')
    return { url: url!.toString(), mode, ssl: { ...ssl, rejectUnauthorized: true } };
  // libpq's `require` with a root certificate checks the chain but not the host name (verify-ca).
  const verifyChain = ca
    ? { rejectUnauthorized: true, checkServerIdentity: () => undefined }
    : { rejectUnauthorized: false };
  return { url: url!.toString(), mode, ssl: { ...ssl, ...verifyChain } };
}

/** The variable's value, or the URL parameter's when the variable is unset; both set and different is an error. */
function pick(
  variable: string,
  value: string | undefined,
  url: URL | undefined,
  parameter: string,
): string | undefined {
  const fromUrl = url?.searchParams.get(parameter) ?? undefined;
  if (value !== undefined && fromUrl !== undefined && value !== fromUrl) {
    throw new ConfigError(
      variable,
      value,
      `contradicts ${parameter}=${fromUrl} in DATABASE_URL; set only one of them`,
    );
  }
  return value ?? fromUrl;
}

function readFile(variable: FileVariable, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError(
      variable,
      path,
      `cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

function readCertificate(variable: FileVariable, path: string): Buffer {
  const pem = readFile(variable, path);
  try {
    new X509Certificate(pem);
  } catch {
    throw new ConfigError(variable, path, 'expected a PEM certificate');
  }
  return pem;
}

function readClientCertificate(
  files: Record<FileVariable, string | undefined>,
): Pick<ConnectionOptions, 'cert' | 'key'> {
  if (!files.DATABASE_SSL_CERT_FILE || !files.DATABASE_SSL_KEY_FILE) return {};
  const cert = readCertificate('DATABASE_SSL_CERT_FILE', files.DATABASE_SSL_CERT_FILE);
  const key = readFile('DATABASE_SSL_KEY_FILE', files.DATABASE_SSL_KEY_FILE);
  try {
    createSecureContext({ cert, key });
  } catch {
    // Node's message could quote the key's parser state; say only what is wrong.
    throw new ConfigError(
      'DATABASE_SSL_KEY_FILE',
      files.DATABASE_SSL_KEY_FILE,
      'expected an unencrypted PEM private key matching DATABASE_SSL_CERT_FILE',
    );
  }
  return { cert, key };
}

/** The URL without its password, for error messages. */
function redact(url: URL): string {
  const copy = new URL(url);
  if (copy.password) copy.password = '***';
  return copy.toString();
}
