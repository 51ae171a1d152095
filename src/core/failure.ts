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

/** The reason of an operator's kick that gave none (Dovecot's KILLED_BY_ADMIN_REASON, login-common/login-proxy.c). */
export const KICKED_BY_ADMIN = 'Kicked by admin';
/** Sessions ended because the director shuts down (Dovecot's KILLED_BY_SHUTDOWN_REASON after LOGIN_PROXY_KILL_PREFIX). */
export const SHUTDOWN_REASON = 'Disconnected by proxy: Process shutting down';
/** Longest kick reason a client is told: one short line in every protocol. */
export const MAX_KICK_REASON = 160;

/**
 * A kick reason as a client may be told it: printable ASCII only (the
 * reason goes into an IMAP BYE, a POP3 -ERR, an SMTP reply and a
 * ManageSieve string, none of which may carry CR, LF or 8-bit bytes there),
 * runs of anything else as one space, no leading `[` (an IMAP client would
 * read a response code), at most MAX_KICK_REASON characters.
 */
export function sanitizeKickReason(text: string): string {
  const cleaned = text
    .replace(/[^\x20-\x7e]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim()
    .replace(/^\[+\s*/, '');
  return cleaned.length > MAX_KICK_REASON ? cleaned.slice(0, MAX_KICK_REASON).trimEnd() : cleaned;
}

/**
 * What a kicked client is told: the reason, sanitised, or the protocol's own
 * kick text when the operator gave no reason (or nothing printable is left).
 */
export function kickReasonForClient(reason: string, protocolDefault: string): string {
  if (reason === KICKED_BY_ADMIN) return protocolDefault;
  return sanitizeKickReason(reason) || protocolDefault;
}

/** Strip control characters and cap length before operator or backend text reaches a client. */
export function sanitizeReplyText(text: string, maxLength = 200): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = text.replace(/[\x00-\x1f\x7f]/g, ' ').trim();
  return cleaned.length > maxLength ? cleaned.slice(0, maxLength) : cleaned;
}
