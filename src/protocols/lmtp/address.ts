/**
 * A recipient address taken apart: local part, `+detail`, domain
 * (Dovecot's recipient_delimiter), and the passdb user it names
 * (config `lmtp.user`: `%u` the address without detail, `%n` its local
 * part, `%d` its domain, `%L` before one lower-cases it).
 */

export interface RecipientAddress {
  /** The local part without its detail (quotes kept as written). */
  readonly local: string;
  /** The text after the delimiter, '' when none. */
  readonly detail: string;
  /** The delimiter found ('' when none): the backend address uses the same one. */
  readonly delimiter: string;
  /** '' for a bare local part (`<postmaster>`). */
  readonly domain: string;
}

/** Split `path`; undefined when there is no local part. */
export function parseRecipient(path: string, delimiters: string): RecipientAddress | undefined {
  const at = path.lastIndexOf('@');
  const localFull = at < 0 ? path : path.slice(0, at);
  const domain = at < 0 ? '' : path.slice(at + 1);
  if (localFull === '' || (at >= 0 && domain === '')) return undefined;
  // RFC 5321 §4.1.2: a source route (<@a,@b:user@c>) is old syntax; nothing here uses it.
  if (localFull.startsWith('@')) return undefined;
  let cut = -1;
  let delimiter = '';
  if (!localFull.startsWith('"')) {
    for (const d of delimiters) {
      const i = localFull.indexOf(d);
      if (i > 0 && (cut < 0 || i < cut)) {
        cut = i;
        delimiter = d;
      }
    }
  }
  return cut < 0
    ? { local: localFull, detail: '', delimiter: '', domain }
    : { local: localFull.slice(0, cut), detail: localFull.slice(cut + 1), delimiter, domain };
}

/** The address without its detail. */
export function baseAddress(a: RecipientAddress): string {
  return a.domain === '' ? a.local : `${a.local}@${a.domain}`;
}

/** The passdb user for an address by the `lmtp.user` template. */
export function userFromAddress(template: string, a: RecipientAddress): string {
  const values: Readonly<Record<string, string>> = { u: baseAddress(a), n: a.local, d: a.domain };
  return template.replace(/%(L?)([und%])/g, (_m, lower: string, name: string) => {
    if (name === '%') return lower === '' ? '%' : '%L%';
    const value = values[name] ?? '';
    return lower === '' ? value : value.toLowerCase();
  });
}

/**
 * The address the backend gets when the passdb names another user
 * (`destuser`, or a `user` field that differs): that user, its detail
 * kept (lmtp-proxy.c). A user without a domain keeps the recipient's
 * domain, so a backend that wants addresses still gets one.
 */
export function rewrittenAddress(user: string, original: RecipientAddress): string {
  const at = user.lastIndexOf('@');
  const local = at < 0 ? user : user.slice(0, at);
  const domain = at < 0 ? original.domain : user.slice(at + 1);
  const withDetail = original.detail === '' ? local : `${local}${original.delimiter}${original.detail}`;
  return domain === '' ? withDetail : `${withDetail}@${domain}`;
}
