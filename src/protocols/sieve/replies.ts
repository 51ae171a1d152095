import { kickReasonForClient, sanitizeReplyText } from '../../core/failure.js';
import type { LoginFailure } from '../../core/failure.js';
import { sieveString } from './quote.js';

/**
 * Pigeonhole managesieve-login texts (managesieve-login/client.c,
 * client-authenticate.c, managesieve-proxy.c; the rest from Dovecot's
 * login-common), kept together so tests and commands agree.
 */
export const SIEVE_TEXT = {
  greeting: 'mail-director ready.',
  implementation: 'mail-director',
  capabilityDone: 'Capability completed.',
  noopDone: 'NOOP Completed',
  noopTagDone: 'Done',
  invalidEchoTag: 'Invalid echo tag.',
  logoutDone: 'Logout completed.',
  starttlsBegin: 'Begin TLS negotiation now.',
  starttlsDone: 'TLS negotiation successful.',
  starttlsAlready: 'TLS is already active.',
  starttlsUnavailable: 'TLS support isn\'t enabled.',
  badCommand: 'Error in MANAGESIEVE command received by server.',
  tooManyInvalid: 'Too many invalid MANAGESIEVE commands.',
  tooManyAuth: 'Too many invalid commands.',
  inactivity: 'Disconnected for inactivity.',
  inputTooLong: 'Input buffer full, aborting',
  literalTooBig: 'Literal size too large',
  internalError: 'Internal login failure. Refer to server log for more information.',
  // login-common/client-common.c, when the login process is at its client limit.
  queueFull: 'Connection queue full',
  unexpectedProxyHeader: 'Unexpected PROXY protocol header.',
  unsupportedMech: 'Unsupported authentication mechanism.',
  plaintextDisabled: 'Plaintext authentication disabled.',
  privacy: 'Plaintext authentication disallowed on non-secure (SSL/TLS) connections.',
  invalidInitialBase64: 'Invalid base64 data in initial response',
  invalidContinuedBase64: 'Invalid base64 in response',
  invalidInitialResponse: 'Invalid AUTHENTICATE initial response.',
  invalidResponse: 'Invalid AUTHENTICATE client response.',
  emptyResponse: 'Received empty AUTHENTICATE client response line.',
  authAborted: 'Authentication aborted by client.',
  authFailed: 'Authentication failed.',
  authTemp: 'Temporary authentication failure.',
  unavailable: 'Account is temporarily unavailable.',
  loggedIn: 'Logged in.',
  kick: 'Disconnected for administrative reasons.',
} as const;

/** `OK|NO|BYE [(code)] "text"` with CRLF (Pigeonhole's client_send_reply_code). */
export function reply(status: 'OK' | 'NO' | 'BYE', text: string, code?: string): string {
  return code === undefined ? `${status} ${sieveString(text)}\r\n` : `${status} (${code}) ${sieveString(text)}\r\n`;
}

/** Written to a relayed client when an operator kicks it (RFC 5804 §1.3: BYE may come at any time). */
export const SIEVE_KICK_TEXT = reply('BYE', SIEVE_TEXT.kick);

/** The BYE a kicked relayed client gets: the kick's reason as a quoted string, or Pigeonhole's text. */
export function sieveKickText(reason: string): string {
  return reply('BYE', kickReasonForClient(reason, SIEVE_TEXT.kick));
}

/** The reply to an AUTHENTICATE that did not reach a relayed session (client-authenticate.c, managesieve-proxy.c). */
export function renderFailure(failure: LoginFailure): string {
  switch (failure.kind) {
    case 'auth_failed':
    case 'backend_auth_failed':
    case 'invalid_input':
      // Never the backend's own text: the proxy sends its own so users cannot be told apart.
      return reply('NO', SIEVE_TEXT.authFailed);
    case 'auth_temp':
      return reply('NO', SIEVE_TEXT.authTemp, 'TRYLATER');
    case 'backend_unavailable':
    case 'proxy_loop':
      return reply('NO', SIEVE_TEXT.unavailable, 'TRYLATER');
    case 'privacy_required':
      return reply('NO', SIEVE_TEXT.privacy, 'ENCRYPT-NEEDED');
    case 'nologin': {
      // A passdb `reason` is shown as the NO text (CLIENT_AUTH_RESULT_AUTHFAILED_REASON).
      const text = sanitizeReplyText(failure.clientText ?? '');
      return reply('NO', text.length > 0 ? text : SIEVE_TEXT.authFailed);
    }
  }
}

/**
 * Like Pigeonhole's proxy, the client sees the backend's own OK line to
 * AUTHENTICATE; a line that is not a plain OK is replaced by ours.
 */
export function renderLoginSuccess(backendLine: string | undefined): string {
  if (backendLine === undefined) return reply('OK', SIEVE_TEXT.loggedIn);
  const line = sanitizeReplyText(backendLine, 300);
  return /^OK( |$)/i.test(line) ? `${line}\r\n` : reply('OK', SIEVE_TEXT.loggedIn);
}
