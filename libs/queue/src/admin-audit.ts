import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';

const logger = new Logger('admin audit');

/** The first 8 hex digits of the key's SHA-256: names who acted without revealing the key. */
export function keyFingerprint(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) return 'none';
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** Writes one audit line for an admin action: who (key fingerprint), what, and when. */
export function auditAdminAction(
  key: unknown,
  action: string,
  details: Record<string, unknown>,
): void {
  logger.log({
    msg: `admin ${action}`,
    audit: true,
    who: keyFingerprint(key),
    action,
    at: new Date().toISOString(),
    ...details,
  });
}
