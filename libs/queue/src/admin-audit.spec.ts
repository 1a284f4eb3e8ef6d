import { createHash } from 'node:crypto';
import { keyFingerprint } from './admin-audit';

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
