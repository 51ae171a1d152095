import { randomBytes } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';

/** How a multi-worker director's primary hands its ticket keys to the workers. */
export const TICKET_KEYS_ENV = 'MAIL_DIRECTOR_TLS_TICKET_KEYS';

/**
 * TLS session-ticket keys (48 bytes) for client connections. One set per
 * director, not per secure context: tickets stay valid across SIGHUP
 * reloads and across worker processes (a resuming client may land on
 * another worker), so clients resume instead of paying a full handshake.
 */
const ticketKeys: Buffer = (() => {
  const given = process.env[TICKET_KEYS_ENV];
  if (given !== undefined && /^[0-9a-f]{96}$/.test(given)) return Buffer.from(given, 'hex');
  return randomBytes(48);
})();

export function ticketKeysHex(): string {
  return ticketKeys.toString('hex');
}

/** The secure context for client-facing TLS (implicit and STARTTLS), or undefined without tls.cert/key. */
export function clientTlsContext(tls: { readonly cert: Buffer | string; readonly key: Buffer | string } | undefined): SecureContext | undefined {
  if (tls === undefined) return undefined;
  return createSecureContext({ cert: tls.cert, key: tls.key, ticketKeys });
}
