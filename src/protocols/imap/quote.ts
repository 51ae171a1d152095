/**
 * IMAP string arguments for commands we send to a backend: a quoted string
 * when the value is plain 7-bit text, else a literal (RFC 3501 §4.3).
 */
export type ImapStringPart =
  | { readonly kind: 'text'; readonly text: string }
  /** `{n}` or `{n+}` header plus data; a synchronizing one waits for `+`. */
  | { readonly kind: 'literal'; readonly data: Buffer };

export function needsLiteral(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return true;
  }
  return false;
}

/** `"..."` with `\` and `"` escaped; only for values where needsLiteral() is false. */
export function quoteString(value: string): string {
  // Most values (user names, addresses, ports) need no escape: skip the regex.
  if (!value.includes('"') && !value.includes('\\')) return `"${value}"`;
  return `"${value.replace(QUOTED_SPECIALS, '\\$&')}"`;
}

const QUOTED_SPECIALS = /[\\"]/g;

/** Quoted string or NIL, for ID parameters (values there are short and 7-bit after cleaning). */
export function quoteNString(value: string | null): string {
  if (value === null) return 'NIL';
  // ID values are informational: drop what a quoted string cannot carry instead of sending a literal.
  // eslint-disable-next-line no-control-regex
  return quoteString(value.replace(/[\x00-\x1f\x7f-\uffff]/g, '?'));
}

export function imapString(value: string): ImapStringPart {
  return needsLiteral(value) ? { kind: 'literal', data: Buffer.from(value, 'utf8') } : { kind: 'text', text: quoteString(value) };
}
