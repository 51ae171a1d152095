import { kickReasonForClient, sanitizeReplyText } from '../../core/failure.js';
import type { LoginFailure } from '../../core/failure.js';
import { capabilityText } from './capabilities.js';

/** Dovecot imap-login texts, kept together so tests and drivers agree. */
export const IMAP_TEXT = {
  greeting: 'mail-director ready.',
  capabilityDone: 'Pre-login capabilities listed, post-login capabilities have more.',
  noopDone: 'NOOP completed.',
  logoutBye: 'Logging out',
  logoutDone: 'Logout completed.',
  enableIgnored: 'ENABLE ignored in non-authenticated state.',
  starttlsBegin: 'Begin TLS negotiation now.',
  starttlsAlready: 'TLS is already active.',
  starttlsUnavailable: 'TLS support isn\'t enabled.',
  badCommand: 'Error in IMAP command received by server.',
  tagIsLogin:
    "First parameter in line is IMAP's command tag, not the command name. Add that before the command, like: a login user pass",
  tooManyInvalid: 'Too many invalid IMAP commands.',
  inactivity: 'Disconnected for inactivity.',
  inputTooLong: 'Input buffer full, aborting',
  literalTooBig: 'Literal size too large',
  authAborted: 'Authentication aborted by client.',
  authFailed: 'Authentication failed.',
  authTemp: 'Temporary authentication failure.',
  unavailable: 'Account is temporarily unavailable.',
  privacy: 'Plaintext authentication disallowed on non-secure (SSL/TLS) connections.',
  unsupportedMech: 'Unsupported authentication mechanism.',
  invalidBase64: 'Invalid base64 data in continued response',
  tooManyAuth: 'Too many invalid commands.',
  loggedIn: 'Logged in',
  kick: 'Disconnected for administrative reasons.',
  shutdown: 'Server shutting down.',
  // login-common/client-common.c, when the login process is at its client limit.
  queueFull: 'Connection queue full',
  // No Dovecot text: its login processes close such a connection without a word.
  unexpectedProxyHeader: 'Unexpected PROXY protocol header.',
} as const;

/** Operators kick sessions with this line (Dovecot's doveadm kick text). */
export const IMAP_KICK_TEXT = `* BYE ${IMAP_TEXT.kick}\r\n`;

/** The untagged BYE (RFC 9051 §7.1.5) a kicked relayed client gets: the kick's reason, or Dovecot's text. */
export function imapKickText(reason: string): string {
  return `* BYE ${kickReasonForClient(reason, IMAP_TEXT.kick)}\r\n`;
}

export function tagged(tag: string, status: 'OK' | 'NO' | 'BAD', text: string, code?: string): string {
  const prefix = tag.length > 0 ? tag : '*';
  return code === undefined ? `${prefix} ${status} ${text}\r\n` : `${prefix} ${status} [${code}] ${text}\r\n`;
}

export function bye(text: string, code?: string): string {
  return code === undefined ? `* BYE ${text}\r\n` : `* BYE [${code}] ${text}\r\n`;
}

/** The tagged reply for a login that did not reach a relayed session. */
export function renderFailure(tag: string, failure: LoginFailure): string {
  switch (failure.kind) {
    case 'auth_failed':
    case 'backend_auth_failed':
    case 'invalid_input':
      return tagged(tag, 'NO', IMAP_TEXT.authFailed, 'AUTHENTICATIONFAILED');
    case 'auth_temp':
      return tagged(tag, 'NO', IMAP_TEXT.authTemp, 'UNAVAILABLE');
    case 'backend_unavailable':
    case 'proxy_loop':
      // Dovecot answers a proxy loop with its generic proxy failure text too.
      return tagged(tag, 'NO', IMAP_TEXT.unavailable, 'UNAVAILABLE');
    case 'privacy_required':
      return tagged(tag, 'NO', IMAP_TEXT.privacy, 'PRIVACYREQUIRED');
    case 'nologin': {
      // Dovecot: a passdb `reason` is shown as an alert; ours is sanitized first.
      const text = sanitizeReplyText(failure.clientText ?? '');
      return text.length > 0 ? tagged(tag, 'NO', text, 'ALERT') : tagged(tag, 'NO', IMAP_TEXT.authFailed, 'AUTHENTICATIONFAILED');
    }
  }
}

/**
 * Dovecot's client_send_login_reply: the backend's capabilities go in the
 * tagged OK, unless the client asked CAPABILITY before login (it showed it
 * ignores the resp-code), in which case they come as an untagged reply.
 */
export function renderLoginSuccess(tag: string, capabilities: readonly string[], clientAskedCapability: boolean): string {
  const caps = capabilityText(capabilities);
  if (caps.length === 0) return tagged(tag, 'OK', IMAP_TEXT.loggedIn);
  if (clientAskedCapability) return `* CAPABILITY ${caps}\r\n${tagged(tag, 'OK', IMAP_TEXT.loggedIn)}`;
  return tagged(tag, 'OK', IMAP_TEXT.loggedIn, `CAPABILITY ${caps}`);
}
