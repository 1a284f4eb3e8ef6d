import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_NAME } from '@lib/config';

/** The first 8 hex digits of the key's SHA-256: names who acted without revealing the key. */
export function keyFingerprint(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) return 'none';
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** Writes one audit line per admin action of this app: who (key fingerprint), what, and when. */
@Injectable()
export class AdminAudit {
  private readonly logger: Logger;

  constructor(@Inject(APP_NAME) private readonly service: string) {
    // Named after the app: Nest's logger is shared by the apps of one process (`npm start`).
    this.logger = new Logger(`${service} admin audit`);
  }

  /** Logs `action` by the holder of `key` on `details` (stream, ids, offsets…). */
  record(key: unknown, action: string, details: Record<string, unknown>): void {
    this.logger.log({
      msg: `admin ${action}`,
      audit: true,
      service: this.service,
      who: keyFingerprint(key),
      action,
      at: new Date().toISOString(),
      ...details,
    });
  }
}
