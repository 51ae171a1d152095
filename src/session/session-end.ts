import { SHUTDOWN_REASON } from '../core/failure.js';
import type { RelayEnd } from '../relay/relay.js';

/**
 * Why a client connection was closed before (or instead of) a relay, in
 * Dovecot's login-common wording (client_destroy reasons in
 * src/login-common/client-common.c and the protocols' client.c). The text
 * goes to the session line as `reason`; the closed set below as `end`.
 */
export const CLOSE_REASONS = {
  Disconnected: 'client_closed',
  'Disconnected: Connection error': 'client_error',
  'Aborted login': 'logout',
  logout: 'logout',
  'Disconnected: Inactivity': 'prelogin_timeout',
  'Disconnected: TLS handshake failed': 'tls_failed',
  'Disconnected: Too many failed authentication attempts': 'auth_failures',
  'Disconnected: Too many invalid commands': 'protocol_error',
  'Disconnected: Input buffer full': 'protocol_error',
  'Disconnected: Literal size too large': 'protocol_error',
  'Disconnected: Invalid AUTHENTICATE continuation': 'protocol_error',
  'Disconnected: Unexpected PROXY header': 'protocol_error',
  'Internal error': 'error',
  'relay failed': 'error',
} as const satisfies Record<string, SessionEnd>;

export type CloseReason = keyof typeof CLOSE_REASONS;

/** The session line's `end`: one closed set for every protocol and both phases (docs/logging.md). */
export const SESSION_ENDS = [
  'client_closed',
  'client_error',
  'logout',
  'backend_closed',
  'backend_error',
  'idle_timeout',
  'prelogin_timeout',
  'kicked',
  'shutdown',
  'tls_failed',
  'auth_failures',
  'protocol_error',
  'error',
] as const;

export type SessionEnd = (typeof SESSION_ENDS)[number];

export function closeEnd(reason: CloseReason): SessionEnd {
  return CLOSE_REASONS[reason];
}

/** A relay's end; a kick with the drain's reason is the director shutting down, not an operator's kick. */
export function relayEnd(end: RelayEnd, kickReason: string | undefined): SessionEnd {
  if (end === 'kicked' && kickReason === SHUTDOWN_REASON) return 'shutdown';
  return end;
}
