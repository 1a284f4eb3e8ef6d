import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { z } from 'zod';

/**
 * A PEM file named by a variable and read once at start-up: a certificate (bundle) that must
 * parse, or a private key. Errors give the reason only, never the file's contents.
 */
export const pemFileVar = (kind: 'certificate' | 'key') =>
  z.string().transform((path, ctx): Buffer => {
    let pem: Buffer;
    try {
      pem = readFileSync(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      ctx.addIssue({ code: 'custom', message: `cannot read the file (${code})` });
      return z.NEVER;
    }
    if (kind === 'certificate' && !parsesAsCertificate(pem)) {
      ctx.addIssue({ code: 'custom', message: 'expected a PEM certificate' });
      return z.NEVER;
    }
    if (kind === 'key' && !pem.includes('-----BEGIN ')) {
      ctx.addIssue({ code: 'custom', message: 'expected a PEM private key' });
      return z.NEVER;
    }
    return pem;
  });

function parsesAsCertificate(pem: Buffer): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}

/** True when `key` is an unencrypted private key that belongs to `cert` (Node's message is not shown: it may quote parser state). */
export function isMatchingKeyPair(cert: Buffer, key: Buffer): boolean {
  try {
    createSecureContext({ cert, key });
    return true;
  } catch {
    return false;
  }
}
