import { tlsRefusalOf } from '@lib/config';

/**
 * Why PostgreSQL refuses this app, or undefined for any other error: a server certificate the
 * CA does not vouch for, a failed handshake, a server without TLS, a server that accepts only
 * encrypted connections, or a refused login (password, role, pg_hba.conf). None of these heals
 * without an operator, yet the app keeps trying rather than exiting. The text quotes no secret (drivers' messages name host,
 * user and database only).
 */
export function databaseRejection(error: unknown): string | undefined {
  // Duck-typed: errors made by Node's TLS layer may come from another realm (jest's VM, workers).
  if (typeof error !== 'object' || error === null || typeof (error as Error).message !== 'string')
    return undefined;
  const { code = '', message } = error as { code?: string; message: string };
  if (tlsRefusalOf(error)?.kind === 'untrusted-certificate')
    return `TLS: certificate verify failed (${message})`;
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))
    return `TLS: handshake failed (${message})`;
  if (message === 'The server does not support SSL connections') {
    return 'TLS: the server does not support SSL connections (DATABASE_SSL_MODE asks for TLS)';
  }
  // 28000 invalid_authorization_specification; pg_hba.conf names the missing encryption.
  if (code === '28000' && /no encryption/.test(message))
    return `TLS: required by the server (${message})`;
  // Class 28 (invalid authorization): a wrong password, an unknown role, no pg_hba.conf entry.
  // PostgreSQL's message names the user and database, never the password.
  if (code === '28P01' || code === '28000') return `login refused (${message})`;
  return undefined;
}

/** The readiness text of a database error: its rejection reason, else the driver's message. */
export function describeDatabaseError(error: unknown): string {
  return databaseRejection(error) ?? ((error as Error | undefined)?.message || String(error));
}
