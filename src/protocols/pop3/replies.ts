import { kickReasonForClient, sanitizeReplyText } from '../../core/failure.js';
import type { LoginFailure } from '../../core/failure.js';

/** Dovecot 2.3 pop3-login texts, kept together so tests and drivers agree. */
export const POP3_TEXT = {
  greetingSuffix: 'ready.',
  unknownCommand: '-ERR Unknown command.',
  tooManyInvalid: '-ERR Too many invalid bad commands.',
  inputTooLong: '-ERR Input buffer full, aborting',
  inactivity: '-ERR Disconnected for inactivity.',
  loggingOut: '+OK Logging out',
  stlsBegin: '+OK Begin TLS negotiation now.',
  tlsAlreadyActive: '-ERR TLS is already active.',
  tlsNotEnabled: '-ERR TLS support isn\'t enabled.',
  noUsername: '-ERR No username given.',
  plaintextDisallowed: '-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.',
  unsupportedMechanism: '-ERR [AUTH] Unsupported authentication mechanism.',
  invalidBase64: '-ERR [AUTH] Invalid base64 in response',
  authAborted: '-ERR Authentication aborted by client.',
  apopNotEnabled: '-ERR APOP not enabled.',
  authFailed: '-ERR [AUTH] Authentication failed.',
  authTemp: '-ERR [SYS/TEMP] Temporary authentication failure.',
  unavailable: '-ERR [SYS/TEMP] Account is temporarily unavailable.',
  loggedIn: '+OK Logged in.',
  kicked: '-ERR [SYS/TEMP] Disconnected by proxy: Kicked by admin',
  // login-common/client-common.c, when the login process is at its client limit.
  queueFull: '-ERR Connection queue full',
  unexpectedProxyHeader: '-ERR Unexpected PROXY protocol header.',
} as const;

/** The -ERR line (RFC 2449 [SYS/TEMP]: try again later) a kicked relayed client gets, with CRLF. */
export function pop3KickText(reason: string): string {
  return `-ERR [SYS/TEMP] ${kickReasonForClient(reason, 'Disconnected by proxy: Kicked by admin')}\r\n`;
}

/** The reply line (without CRLF) for a login that did not reach the backend. */
export function renderFailure(failure: LoginFailure): string {
  switch (failure.kind) {
    case 'auth_failed':
    case 'backend_auth_failed':
    case 'invalid_input':
      // Never the backend's own text: a non-Dovecot backend could tell users apart.
      return POP3_TEXT.authFailed;
    case 'auth_temp':
      return POP3_TEXT.authTemp;
    case 'backend_unavailable':
    case 'proxy_loop':
      return POP3_TEXT.unavailable;
    case 'privacy_required':
      return POP3_TEXT.plaintextDisallowed;
    case 'nologin': {
      const text = sanitizeReplyText(failure.clientText ?? '');
      if (text === '') return POP3_TEXT.authFailed;
      // Dovecot leaves out [AUTH] when the reason brings its own response code.
      return text.startsWith('[') ? `-ERR ${text}` : `-ERR [AUTH] ${text}`;
    }
  }
}

/** Backend success line as shown to the client: Dovecot forwards it, we make sure it is harmless. */
export function renderBackendSuccess(backendLine: string | undefined): string {
  if (backendLine === undefined) return POP3_TEXT.loggedIn;
  const text = sanitizeReplyText(backendLine, 300);
  return text.startsWith('+OK') ? text : POP3_TEXT.loggedIn;
}
