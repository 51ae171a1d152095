export const DEFAULT_MAX_USERNAME_LENGTH = 255;

export type UsernameCheck =
  | { readonly ok: true; readonly user: string }
  | { readonly ok: false; readonly reason: 'empty' | 'too_long' | 'control_character' | 'whitespace' | 'not_printable' };

// C0, DEL and C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
const WHITESPACE = /\s/u;
// Format characters (zero-width, bidi overrides), unassigned and private-use code points, lone surrogates.
const NOT_PRINTABLE = /[\p{Cf}\p{Cn}\p{Co}\p{Cs}\p{Zl}\p{Zp}]/u;

/**
 * Checked before any lookup, so a hostile name never reaches LDAP or a log line
 * unfiltered. Length counts UTF-8 bytes, as Dovecot and LDAP servers do.
 */
export function checkUsername(user: string, maxLength: number = DEFAULT_MAX_USERNAME_LENGTH): UsernameCheck {
  if (user.length === 0) return { ok: false, reason: 'empty' };
  if (Buffer.byteLength(user, 'utf8') > maxLength) return { ok: false, reason: 'too_long' };
  if (CONTROL.test(user)) return { ok: false, reason: 'control_character' };
  if (WHITESPACE.test(user)) return { ok: false, reason: 'whitespace' };
  if (NOT_PRINTABLE.test(user)) return { ok: false, reason: 'not_printable' };
  return { ok: true, user };
}
