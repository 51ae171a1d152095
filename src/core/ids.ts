import { randomBytes } from 'node:crypto';

/** Dovecot-style session id: 12 random bytes in base64 without padding. */
export function newSessionId(): string {
  return randomBytes(12).toString('base64').replace(/=+$/, '');
}
