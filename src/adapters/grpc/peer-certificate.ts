import type { PeerCertificate } from 'node:tls';
import type { ServerUnaryCall } from '@grpc/grpc-js';

/** The part of a server call (unary or stream alike) that tells who is on the other end. */
export type CallWithAuth = Pick<ServerUnaryCall<unknown, unknown>, 'getAuthContext'>;

/** The names a certificate is issued to: its CN(s) first, then its DNS subject alt names. */
export function certificateNames(cert: PeerCertificate): string[] {
  const names: string[] = [];
  const cn: unknown = cert.subject?.CN;
  if (typeof cn === 'string') names.push(cn);
  else if (Array.isArray(cn)) names.push(...cn.filter((n): n is string => typeof n === 'string'));
  for (const part of (cert.subjectaltname ?? '').split(',')) {
    const entry = part.trim();
    if (entry.startsWith('DNS:')) names.push(entry.slice(4));
  }
  return names;
}

/**
 * The names of the verified client certificate behind a call, or undefined
 * when there is none: a plaintext (loopback-only) link. grpc-js reports an
 * unverified TLS peer the same way, which a server that requires client
 * certificates (serverCredentials) never lets through the handshake.
 */
export function peerCertificateNames(call: CallWithAuth): string[] | undefined {
  const cert = call.getAuthContext().sslPeerCertificate;
  if (cert === undefined || cert.subject === undefined) return undefined;
  return certificateNames(cert);
}
