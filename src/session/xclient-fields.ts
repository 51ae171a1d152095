import type { BackendLoginParams } from './backend-login.js';

/**
 * Values every protocol's XCLIENT carries to a trusted backend (Dovecot's
 * pop3-proxy.c, submission-proxy.c, lmtp-proxy.c), built once here.
 */

/** Dovecot's str_tabescape: forward fields travel as tab-separated key=value. */
export function tabEscape(text: string): string {
  return text.replace(/[\x00\x01\t\r\n]/g, (c) => {
    switch (c) {
      case '\x00':
        return '\x010';
      case '\x01':
        return '\x011';
      case '\t':
        return '\x01t';
      case '\r':
        return '\x01r';
      default:
        return '\x01n';
    }
  });
}

/** The passdb's forward_* fields as XCLIENT FORWARD's base64 value; undefined when there are none. */
export function xclientForward(params: Pick<BackendLoginParams, 'forward'>): string | undefined {
  const forward = Object.entries(params.forward).map(([key, value]) => tabEscape(`${key}=${value}`));
  return forward.length === 0 ? undefined : Buffer.from(forward.join('\t'), 'utf8').toString('base64');
}

/** An IPv4-mapped IPv6 client address as the IPv4 address the backend's logs and ACLs expect. */
export function unmappedAddress(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice('::ffff:'.length) : ip;
}

/** `XCLIENT ADDR= PORT= SESSION= TTL= [FORWARD=]`, as Dovecot's pop3-proxy.c and Pigeonhole's managesieve-proxy.c send it. */
export function xclientLine(params: BackendLoginParams): string {
  let line =
    `XCLIENT ADDR=${unmappedAddress(params.client.remoteIp)} PORT=${params.client.remotePort}` +
    ` SESSION=${params.sessionId} TTL=${params.ttl}`;
  const forward = xclientForward(params);
  if (forward !== undefined) line += ` FORWARD=${forward}`;
  return line;
}
