/**
 * What LHLO advertises (RFC 2033 §4.1): never more than every backend
 * offers, since a recipient's backend is only known at RCPT. PIPELINING
 * and ENHANCEDSTATUSCODES are the director's own doing; the others are
 * passed on from the backends' LHLO (the ring's `lmtp` probe).
 */

/** Keywords we pass on, in Dovecot's LHLO order; CHUNKING is left out: BDAT is not served. */
const PASSED_ON = ['8BITMIME', 'DSN', 'SIZE', 'SMTPUTF8'] as const;

/** Until a probe has seen the backends: what every Dovecot LMTP since 2.0 offers. */
const BASELINE: ReadonlySet<string> = new Set(['8BITMIME']);

/** The LHLO lines after the greeting line. `backends`: the common LHLO keywords (with parameters, `SIZE 1000`). */
export function lhloKeywords(backends: ReadonlySet<string> | undefined): string[] {
  const byKeyword = new Map<string, string>();
  for (const line of backends ?? BASELINE) {
    const keyword = (line.split(' ')[0] ?? '').toUpperCase();
    if (keyword !== '') byKeyword.set(keyword, line);
  }
  const out: string[] = [];
  const add = (keyword: string): void => {
    const line = byKeyword.get(keyword);
    if (line !== undefined) out.push(line);
  };
  add('8BITMIME');
  add('DSN');
  out.push('ENHANCEDSTATUSCODES');
  out.push('PIPELINING');
  for (const keyword of PASSED_ON.slice(2)) add(keyword);
  return out;
}
