/**
 * The closed set of reasons a login does not reach a relayed session.
 * Protocol drivers render each kind in their own words (Dovecot's texts);
 * code that detects a failure only picks the kind, never the reply text.
 */
export type LoginFailureKind =
  /** Wrong password or unknown user: indistinguishable on purpose. */
  | 'auth_failed'
  /** Passdb could not answer (LDAP down, slow, broken). Never "wrong password". */
  | 'auth_temp'
  /** Plaintext credentials before TLS from an untrusted network. */
  | 'privacy_required'
  /** `nologin` with an operator-supplied reason (already sanitized). */
  | 'nologin'
  /** Destination is this director (or its ring) with `proxy`: would loop. */
  | 'proxy_loop'
  /** No backend can take the user now (empty ring, unreachable, timed out). */
  | 'backend_unavailable'
  /** Backend refused the forwarded credentials. */
  | 'backend_auth_failed'
  /** Username or input rejected before any lookup. */
  | 'invalid_input';

export class LoginFailure extends Error {
  readonly kind: LoginFailureKind;
  /** Safe to show to the client (only used for `nologin`). */
  readonly clientText: string | undefined;

  constructor(kind: LoginFailureKind, detail: string, clientText?: string) {
    super(detail);
    this.name = 'LoginFailure';
    this.kind = kind;
    this.clientText = clientText;
  }
}

/** Strip control characters and cap length before operator or backend text reaches a client. */
export function sanitizeReplyText(text: string, maxLength = 200): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = text.replace(/[\x00-\x1f\x7f]/g, ' ').trim();
  return cleaned.length > maxLength ? cleaned.slice(0, maxLength) : cleaned;
}
