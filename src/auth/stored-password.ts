import type { Logger } from 'pino';
import type { Secret } from '../core/secret.js';
import type { UserFields } from './fields.js';
import type { AuthResult } from './passdb.js';
import { verifyPassword, type CryptLimits } from './schemes.js';

/**
 * The password check of a passdb that read one stored password with the
 * user's fields (passwd-file, SQL), in Dovecot's order: `nopassword` lets
 * anything in, an empty password and a missing stored one fail, then the
 * stored scheme decides; a scheme we cannot verify is a temporary failure.
 */
export async function checkStoredPassword(
  fields: UserFields,
  stored: string | undefined,
  password: Secret,
  limits: CryptLimits | undefined,
  log: Logger,
  user: string,
): Promise<AuthResult> {
  if (fields.nopassword) return { kind: 'ok', fields };
  if (password.isEmpty) return { kind: 'fail', detail: 'empty password' };
  if (stored === undefined || stored.length === 0) return { kind: 'fail', detail: 'no password stored' };
  const verdict = await verifyPassword(stored, password, limits);
  if (verdict.kind === 'match') return { kind: 'ok', fields };
  if (verdict.kind === 'mismatch') return { kind: 'fail', detail: 'wrong password' };
  log.warn({ user, scheme: verdict.scheme, reason: verdict.reason }, 'cannot verify stored password');
  return { kind: 'tempfail', detail: `cannot verify ${verdict.scheme} password: ${verdict.reason}` };
}
