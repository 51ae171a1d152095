import type { OAuth2Config } from '../../config/types.js';
import { compileHashKey } from '../../ring/hash-key.js';
import type { Claims, TokenVerdict } from './verdict.js';

/**
 * The checks Dovecot's db-oauth2.c makes on a token's fields once they are
 * known (introspected, or a verified JWT's payload), in its order: the
 * account is active, the token names the user who logs in, its scope fits.
 */

/** A claim as Dovecot's JSON parser hands it on: strings as they are, numbers and booleans as text, lists space-joined. */
export function claimText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    const items = value.filter((v): v is string | number => typeof v === 'string' || typeof v === 'number');
    return items.map(String).join(' ');
  }
  return undefined;
}

function claim(claims: Claims, name: string): string | undefined {
  return Object.hasOwn(claims, name) ? claimText(claims[name]) : undefined;
}

const formats = new Map<string, (user: string) => string>();

function format(template: string, user: string): string {
  let fn = formats.get(template);
  if (fn === undefined) {
    fn = compileHashKey(template);
    formats.set(template, fn);
  }
  return fn(user);
}

export function checkClaims(config: OAuth2Config, claims: Claims, user: string): TokenVerdict {
  // db_oauth2_user_is_enabled: only a present attribute with another value refuses.
  if (config.activeAttribute !== '') {
    const active = claim(claims, config.activeAttribute);
    if (active !== undefined && active !== config.activeValue) return { kind: 'invalid', detail: 'token is not active' };
  }
  // db_oauth2_validate_username: both names through username_format, then compared.
  const named = claim(claims, config.usernameAttribute);
  if (named === undefined || named === '') {
    // Dovecot calls this an internal failure; a token without a user can never succeed, so the client hears a failed login.
    return { kind: 'invalid', detail: `token has no ${config.usernameAttribute}` };
  }
  if (format(config.usernameFormat, named) !== format(config.usernameFormat, user)) {
    return { kind: 'invalid', detail: 'token belongs to another user' };
  }
  // db_oauth2_token_in_scope: `scope`, else `aud`, must hold one of the wanted ones.
  if (config.scope.length > 0) {
    const granted = (claim(claims, 'scope') ?? claim(claims, 'aud') ?? '').split(' ');
    if (!config.scope.some((s) => granted.includes(s))) return { kind: 'invalid', detail: `token is not valid for scope '${config.scope.join(' ')}'` };
  }
  return { kind: 'valid', user };
}
