/**
 * What the LDAP adapter can tell its callers. `unavailable` covers every
 * transport problem (refused, reset, deadline, all servers in backoff);
 * callers turn it into a temporary failure, never into "wrong password".
 */
export type LdapErrorKind =
  /** No server answered in time, or every server is in backoff. */
  | 'unavailable'
  /** The server answered with a result code we cannot act on (bad base, ACL, ...). */
  | 'server'
  /** A user lookup matched more than one entry. */
  | 'ambiguous'
  /** The service account (bind_dn) was refused: a configuration problem. */
  | 'service_bind';

export class LdapError extends Error {
  readonly kind: LdapErrorKind;
  readonly uri: string | undefined;
  /** LDAP result code when the server sent one. */
  readonly code: number | undefined;

  constructor(kind: LdapErrorKind, message: string, uri?: string, code?: number) {
    super(message);
    this.name = 'LdapError';
    this.kind = kind;
    this.uri = uri;
    this.code = code;
  }
}

/** Result codes after which another server may do better. */
const RETRYABLE_CODES = new Set([51 /* busy */, 52 /* unavailable */, 80 /* other */]);

export function isRetryableCode(code: number): boolean {
  return RETRYABLE_CODES.has(code);
}

/** ldapts result-code errors carry a numeric `code`; transport errors are plain Errors. */
export function resultCodeOf(err: unknown): number | undefined {
  if (err instanceof Error && 'code' in err && typeof err.code === 'number') return err.code;
  return undefined;
}
