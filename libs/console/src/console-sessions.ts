import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { CONSOLE_SESSION_TTL_MS } from './console.constants';

interface Session {
  readonly key: string | undefined;
  readonly expiresAt: number;
}

/**
 * Short-lived tokens for `/console/events` (an EventSource cannot send `x-api-key`): each stands for
 * the admin key that created it, held in memory only, and expires.
 */
@Injectable()
export class ConsoleSessions {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly ttlMs: number = CONSOLE_SESSION_TTL_MS) {}

  /** Opens a session for an admin key (undefined where admin routes are open); returns its token. */
  open(key: string | undefined, now = Date.now()): { token: string; expiresAt: number } {
    this.sweep(now);
    const token = randomBytes(24).toString('base64url');
    const expiresAt = now + this.ttlMs;
    this.sessions.set(token, { key, expiresAt });
    return { token, expiresAt };
  }

  /** The session of a token, or undefined when unknown or expired. */
  find(token: unknown, now = Date.now()): Session | undefined {
    if (typeof token !== 'string') return undefined;
    const session = this.sessions.get(token);
    if (!session || session.expiresAt <= now) {
      this.sessions.delete(token as string);
      return undefined;
    }
    return session;
  }

  private sweep(now: number): void {
    for (const [token, session] of this.sessions) {
      if (session.expiresAt <= now) this.sessions.delete(token);
    }
  }
}
