import { KICKED_BY_ADMIN, kickReasonForClient, sanitizeReplyText } from '../../core/failure.js';
import type { LoginFailure } from '../../core/failure.js';

/**
 * Dovecot's submission-login replies (lib-smtp smtp-server-*.c,
 * submission-login/client-authenticate.c, login-common texts), each a
 * whole line without CRLF, kept together so tests and commands agree.
 */
export const SMTP_TEXT = {
  ok: '250 2.0.0 OK',
  bye: '221 2.0.0 Bye',
  unknownCommand: '500 5.5.1 Unknown command',
  lineTooLong: '500 5.5.2 Line too long',
  invalidParameters: '501 5.5.4 Invalid parameters',
  // smtp-server-cmd-helo.c gives this one no enhanced code.
  missingHostname: '501 Missing hostname',
  authRequired: '530 5.7.0 Authentication required.',
  starttlsBegin: '220 2.0.0 Begin TLS negotiation now.',
  tlsAlreadyActive: '502 5.5.1 TLS is already active.',
  tlsNotEnabled: '502 5.5.1 TLS support is not enabled.',
  missingMechanism: '501 5.5.4 Missing SASL mechanism parameter',
  unsupportedMechanism: '504 5.5.4 Unsupported authentication mechanism.',
  // RFC 3207 §4 / RFC 4954 §6; Dovecot's client_auth_begin text for "TLS first".
  sslRequired: '530 5.7.0 Authentication not allowed until SSL/TLS is enabled.',
  invalidBase64Initial: '501 5.5.2 Invalid base64 data in initial response',
  invalidBase64: '501 5.5.2 Invalid base64 data in continued response',
  authAborted: '501 5.5.2 Authentication aborted by client.',
  authFailed: '535 5.7.8 Authentication failed.',
  authTemp: '454 4.7.0 Temporary authentication failure.',
  // Dovecot 2.4 submission-proxy.c: a backend that cannot be reached is a temporary failure.
  unavailable: '454 4.7.0 Account is temporarily unavailable.',
  loggedIn: '235 2.7.0 Logged in.',
} as const;

/** `421 <enhanced> <hostname> <text>`: how Dovecot's smtp_server_connection_terminate() says goodbye. */
export function terminateLine(enhancedCode: string, hostname: string, text: string): string {
  return `421 ${enhancedCode} ${hostname} ${text}`;
}

export const CLOSING = {
  inactivity: (host: string): string => terminateLine('4.4.2', host, 'Disconnected for inactivity'),
  tooManyInvalid: (host: string): string => terminateLine('4.7.0', host, 'Too many invalid commands.'),
  internalError: (host: string): string => terminateLine('4.0.0', host, 'Internal error occurred. Refer to server log for more information.'),
  kicked: (host: string, reason: string = KICKED_BY_ADMIN): string =>
    terminateLine('4.3.2', host, kickReasonForClient(reason, 'Disconnected by proxy: Kicked by admin')),
  // login-common/client-common.c, when the login process is at its client limit.
  queueFull: (host: string): string => terminateLine('4.0.0', host, 'Connection queue full'),
  unexpectedProxyHeader: (host: string): string => terminateLine('4.7.0', host, 'Unexpected PROXY protocol header.'),
} as const;

/** The reply line (without CRLF) to an AUTH whose login did not reach the backend. */
export function renderFailure(failure: LoginFailure): string {
  switch (failure.kind) {
    case 'auth_failed':
    case 'backend_auth_failed':
    case 'invalid_input':
      // Never the backend's own text: a non-Dovecot backend could tell users apart.
      return SMTP_TEXT.authFailed;
    case 'auth_temp':
      return SMTP_TEXT.authTemp;
    case 'backend_unavailable':
    case 'proxy_loop':
      return SMTP_TEXT.unavailable;
    case 'privacy_required':
      return SMTP_TEXT.sslRequired;
    case 'nologin': {
      const text = sanitizeReplyText(failure.clientText ?? '');
      return text === '' ? SMTP_TEXT.authFailed : `535 5.7.8 ${text}`;
    }
  }
}

/**
 * The success reply: Dovecot's proxy forwards the backend's 235 (RFC 4954
 * §4); a line that is not one, or is unsafe, becomes Dovecot's own.
 */
export function renderBackendSuccess(backendLine: string | undefined): string {
  if (backendLine === undefined) return SMTP_TEXT.loggedIn;
  const text = sanitizeReplyText(backendLine, 300);
  return /^235 /.test(text) ? text : SMTP_TEXT.loggedIn;
}
