/** Minimal LDIF writer (RFC 2849): values that are not SAFE-STRINGs are base64. */

export type LdifValue = string | readonly string[];

function isSafe(value: string): boolean {
  // SAFE-INIT-CHAR excludes space, ':' and '<'; no NUL, CR, LF anywhere; ASCII only; no trailing space.
  return /^(?![ :<])[\x01-\x09\x0b\x0c\x0e-\x7f]*$/.test(value) && !value.endsWith(' ');
}

export function ldifLine(attr: string, value: string): string {
  return isSafe(value) ? `${attr}: ${value}` : `${attr}:: ${Buffer.from(value, 'utf8').toString('base64')}`;
}

export function ldifEntry(dn: string, attrs: Record<string, LdifValue>): string {
  const lines = [ldifLine('dn', dn)];
  for (const [attr, value] of Object.entries(attrs)) {
    for (const v of typeof value === 'string' ? [value] : value) lines.push(ldifLine(attr, v));
  }
  return `${lines.join('\n')}\n`;
}
