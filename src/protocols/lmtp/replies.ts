/**
 * The replies the director gives an MTA itself, with the texts of Dovecot
 * 2.3's LMTP server (src/lib-smtp/smtp-server-cmd-*.c, src/lmtp/lmtp-proxy.c),
 * so an MTA's logs read the same as behind Dovecot's lmtp_proxy.
 */
export const LMTP_TEXT = {
  ok: '250 2.0.0 OK',
  mailOk: '250 2.1.0 OK',
  dataGo: '354 OK',
  bye: '221 2.0.0 Bye',
  unknownCommand: '500 5.5.1 Unknown command',
  invalidSyntax: '500 5.5.2 Invalid command syntax',
  lineTooLong: '500 5.5.2 Line too long',
  invalidParameters: '501 5.5.4 Invalid parameters',
  missingHostname: '501 Missing hostname',
  mailAlreadyGiven: '503 5.5.0 MAIL already given',
  mailNeeded: '503 5.5.0 MAIL needed first',
  // RFC 2033 §4.2: DATA without a successful RCPT must fail with 503.
  noValidRecipients: '503 5.5.0 No valid recipients',
  tooManyRecipients: '451 4.5.3 Too many recipients',
  // BDAT: CHUNKING is not advertised (smtp-server-cmd-data.c answers so when it is off).
  unsupportedCommand: '502 5.5.1 Unsupported command',
} as const;

export function greeting(hostname: string): string {
  return `220 ${hostname} mail-director LMTP ready.`;
}

export function tooManyInvalid(hostname: string): string {
  return `421 4.7.0 ${hostname} Too many invalid commands.`;
}

/** A PROXY header on the LMTP port where none is taken (net/proxy-protocol.ts). */
export function unexpectedProxyHeader(hostname: string): string {
  return `421 4.7.0 ${hostname} Unexpected PROXY protocol header.`;
}

export function idleTimeout(hostname: string): string {
  return `421 4.4.2 ${hostname} Disconnected for inactivity`;
}

export function shuttingDown(hostname: string): string {
  return `421 4.3.2 ${hostname} Shutting down`;
}

export function invalidPath(which: 'FROM' | 'TO', why: string): string {
  return `501 5.5.4 Invalid ${which}: ${why}`;
}

export function unsupportedParameter(which: 'MAIL' | 'RCPT', keyword: string): string {
  return `555 5.5.4 Unsupported ${which} parameter: ${keyword}`;
}

/** A recipient's own refusals (lmtp-proxy.c lmtp_proxy_rcpt); `address` as the MTA wrote it. */
export const RCPT_TEXT = {
  unknownUser: (address: string) => `550 5.1.1 <${address}> User doesn't exist`,
  lookupTempfail: (address: string) => `451 4.3.0 <${address}> Temporary user lookup failure`,
  loops: (address: string) => `554 5.4.6 <${address}> Proxying loops to itself`,
  ttlZero: (address: string) => `554 5.4.6 <${address}> Proxying appears to be looping (TTL=0)`,
  // Not Dovecot's (its LMTP has no ring): a temporary failure, so the MTA retries.
  noBackend: (address: string) => `451 4.4.0 <${address}> No backend available for the user`,
  moving: (address: string) => `451 4.2.0 <${address}> Mailbox is being moved, try again later`,
  invalidUser: (address: string) => `550 5.3.5 <${address}> Internal user lookup failure`,
} as const;

/** Why a backend could not answer, in lmtp-proxy.c's words (lmtp_proxy_handle_reply). */
export type BackendTrouble = 'connect' | 'connection lost' | 'timed out' | 'bad reply';

export function remoteNotAnswering(trouble: BackendTrouble): string {
  return `451 4.4.0 Remote server not answering (${trouble})`;
}
