/**
 * ManageSieve strings we write (RFC 5804 §4): quoted when short plain
 * text, else a literal. Pigeonhole's managesieve_quote_append_string makes
 * the same choice (lib-managesieve/managesieve-quote.c).
 */

/** RFC 5804 §4: a quoted string holds at most 1024 octets. */
const MAX_QUOTED = 1024;

function needsLiteral(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\r\n\0]/.test(text) || Buffer.byteLength(text, 'utf8') > MAX_QUOTED;
}

/** `"..."` with `\` and `"` escaped, or a literal. `toServer` literals are non-synchronizing `{n+}` (literal-c2s). */
export function sieveString(text: string, toServer = false): string {
  if (needsLiteral(text)) return `{${Buffer.byteLength(text, 'utf8')}${toServer ? '+' : ''}}\r\n${text}`;
  if (!text.includes('"') && !text.includes('\\')) return `"${text}"`;
  return `"${text.replace(/[\\"]/g, '\\$&')}"`;
}
