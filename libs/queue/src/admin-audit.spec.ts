import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { AdminAudit, keyFingerprint } from './admin-audit';

describe('keyFingerprint', () => {
  it('is the first 8 hex digits of the SHA-256 and never contains the key', () => {
    const key = 'operator-secret-key';
    const fingerprint = keyFingerprint(key);
    expect(fingerprint).toBe(createHash('sha256').update(key).digest('hex').slice(0, 8));
    expect(fingerprint).toMatch(/^[0-9a-f]{8}$/);
    expect(fingerprint).not.toContain(key.slice(0, 4));
  });

  it('names a missing key', () => {
    expect(keyFingerprint(undefined)).toBe('none');
    expect(keyFingerprint(['a'])).toBe('none');
  });
});

describe('AdminAudit', () => {
  it("writes one line in the app's own context with the action and a fingerprint, never the key", () => {
    const lines: Array<{ context: string; message: Record<string, unknown> }> = [];
    const spy = jest.spyOn(Logger.prototype, 'log').mockImplementation(function (
      this: Logger,
      message: unknown,
    ) {
      const { context } = this as unknown as { context: string };
      lines.push({ context, message: message as Record<string, unknown> });
    });
    try {
      new AdminAudit('pv-counter').record('operator-secret-key', 'purge', {
        stream: 'page-views',
        purged: 3,
      });
    } finally {
      spy.mockRestore();
    }
    expect(lines).toHaveLength(1);
    expect(lines[0].context).toBe('pv-counter admin audit');
    expect(lines[0].message).toMatchObject({
      msg: 'admin purge',
      audit: true,
      service: 'pv-counter',
      who: keyFingerprint('operator-secret-key'),
      action: 'purge',
      stream: 'page-views',
      purged: 3,
    });
    expect(JSON.stringify(lines)).not.toContain('operator-secret-key');
  });
});
