import { isLoopbackHost } from '../adapters/grpc/security.js';
import { peerCertificateNames } from '../adapters/grpc/peer-certificate.js';
import type { CallWithAuth } from '../adapters/grpc/peer-certificate.js';

/**
 * Who may call the Admin service. With TLS the ring's CA signs directors
 * (and whatever else an operator issues from it), so a valid certificate
 * proves membership, not the right to administer: only certificates carrying
 * a name from `admins` (grpc_tls.admins) may call, read-only calls included.
 * Without TLS the port listens on loopback only, and every local client is
 * trusted as on Dovecot's doveadm socket.
 */
export interface AdminAccess {
  /** The admin port runs mTLS (fixed when the port is opened). */
  readonly tls: boolean;
  /** Per call, so a reloaded config's list applies at once. */
  readonly admins: () => readonly string[];
}

/** The identity of a plaintext caller in audit lines. */
export const LOOPBACK_PLAINTEXT = 'loopback-plaintext';

export type AdminVerdict =
  | { readonly allowed: true; readonly who: string }
  | { readonly allowed: false; readonly who: string; readonly reason: string };

/** The call's address as grpc-js gives it (`127.0.0.1:5000`, `::1:5000`), without the port. */
function peerHost(peer: string): string {
  const colon = peer.lastIndexOf(':');
  return colon < 0 ? peer : peer.slice(0, colon);
}

export function authoriseAdmin(call: CallWithAuth & { getPeer(): string }, access: AdminAccess): AdminVerdict {
  const names = peerCertificateNames(call);
  if (!access.tls) {
    // A plaintext server binds loopback only (serverCredentials); this checks the caller too.
    if (names === undefined && isLoopbackHost(peerHost(call.getPeer()))) return { allowed: true, who: LOOPBACK_PLAINTEXT };
    return { allowed: false, who: call.getPeer(), reason: 'permission denied: plaintext admin calls are taken from loopback only' };
  }
  if (names === undefined) {
    return { allowed: false, who: '(no certificate)', reason: 'permission denied: no verified client certificate; admin calls need one named in grpc_tls.admins' };
  }
  if (names.length === 0) {
    return { allowed: false, who: '(unnamed certificate)', reason: 'permission denied: the client certificate has no CN or DNS name to look up in grpc_tls.admins' };
  }
  const admins = access.admins();
  const listed = names.find((n) => admins.includes(n));
  if (listed !== undefined) return { allowed: true, who: listed };
  const [first = '', ...others] = names;
  const also = others.length === 0 ? '' : ` (also named ${others.join(', ')})`;
  return { allowed: false, who: first, reason: `permission denied: certificate "${first}"${also} is not in grpc_tls.admins` };
}
