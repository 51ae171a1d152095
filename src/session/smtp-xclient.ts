import type { BackendLoginParams } from './backend-login.js';
import { unmappedAddress, xclientForward } from './xclient-fields.js';

/** Longer XCLIENT commands are split, as Dovecot 2.4's submission-proxy.c does (RFC 5321 §4.5.3.1.4: 512). */
const MAX_XCLIENT_LINE = 512;

/**
 * RFC 3461 §4 xtext: `+`, `=`, controls, space and non-ASCII as `+HH` (Postfix XCLIENT_README).
 * `encoding` 'latin1' for text that holds raw bytes (an LMTP address as received).
 */
export function xtext(value: string, encoding: BufferEncoding = 'utf8'): string {
  let out = '';
  for (const byte of Buffer.from(value, encoding)) {
    out += byte < 0x21 || byte > 0x7e || byte === 0x2b || byte === 0x3d ? `+${byte.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(byte);
  }
  return out;
}

function xclientAddress(ip: string): string {
  const plain = unmappedAddress(ip);
  // Postfix and Dovecot take IPv6 addresses with this prefix.
  return plain.includes(':') ? `IPV6:${plain}` : plain;
}

/** The login parameters XCLIENT carries (an LMTP delivery has no password, so not the whole BackendLoginParams). */
export type XclientParams = Pick<BackendLoginParams, 'clientHelo' | 'user' | 'ttl' | 'client' | 'sessionId' | 'forward'>;

/** What XCLIENT needs beyond the login parameters. */
export interface XclientInput {
  /** Attribute names the backend listed after XCLIENT in its EHLO. */
  readonly offered: readonly string[];
  /** Send LOGIN= (proxy_noauth: the backend trusts us with the user's identity). */
  readonly login: boolean;
  /** PROTO= (Postfix XCLIENT_README: SMTP, ESMTP; Dovecot's lmtp-proxy.c sends LMTP); left out when undefined. */
  readonly proto?: string | undefined;
}

/**
 * The XCLIENT command lines (without CRLF) for what the backend offered, in
 * Dovecot 2.4's order: HELO, LOGIN, TTL, PORT, ADDR, SESSION, (PROTO), FORWARD.
 * Empty when it offered none of them.
 */
export function xclientLines(params: XclientParams, input: XclientInput): string[] {
  const offered = new Set(input.offered.map((name) => name.toUpperCase()));
  const fields: string[] = [];
  const add = (name: string, value: string): void => {
    if (offered.has(name)) fields.push(`${name}=${xtext(value)}`);
  };
  add('HELO', params.clientHelo ?? '[UNAVAILABLE]');
  if (input.login) add('LOGIN', params.user);
  add('TTL', String(params.ttl));
  // A client on a unix socket has no address or port: both are left out, as
  // Dovecot's lmtp_proxy does when its source IP is unknown (the backend then
  // sees this director's own address).
  if (params.client.remotePort !== 0) add('PORT', String(params.client.remotePort));
  if (params.client.remoteIp !== '') add('ADDR', xclientAddress(params.client.remoteIp));
  add('SESSION', params.sessionId);
  if (input.proto !== undefined) add('PROTO', input.proto);
  const forward = xclientForward(params);
  if (forward !== undefined) add('FORWARD', forward);

  const lines: string[] = [];
  let line = 'XCLIENT';
  for (const field of fields) {
    if (line !== 'XCLIENT' && line.length + 1 + field.length > MAX_XCLIENT_LINE) {
      lines.push(line);
      line = 'XCLIENT';
    }
    line += ` ${field}`;
  }
  if (line !== 'XCLIENT') lines.push(line);
  return lines;
}
