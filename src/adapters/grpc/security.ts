import { isIP } from 'node:net';
import { ChannelCredentials, ServerCredentials } from '@grpc/grpc-js';
import { GrpcServerError } from './errors.js';

/** PEM material for mutual TLS: our certificate and key, and the CA that signs the peers. */
export interface MutualTls {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
}

/**
 * Keepalive on both ends: grpc-js sends no pings by default, so a dead link
 * under a long call or stream would go unnoticed (docs/libraries.md).
 */
export const KEEPALIVE_OPTIONS = Object.freeze({
  'grpc.keepalive_time_ms': 20_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
});

export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare === 'localhost') return true;
  switch (isIP(bare)) {
    case 4:
      return bare.startsWith('127.');
    case 6:
      return bare === '::1' || /^::ffff:127\./i.test(bare);
    default:
      return false;
  }
}

/** `host:port` with IPv6 literals bracketed, as gRPC targets want. */
export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * mTLS when material is given (clients without a certificate from `ca` are
 * refused); plaintext only on loopback, where every peer is already local.
 */
export function serverCredentials(host: string, port: number, tls: MutualTls | undefined): ServerCredentials {
  if (tls !== undefined) {
    return ServerCredentials.createSsl(tls.ca, [{ private_key: tls.key, cert_chain: tls.cert }], true);
  }
  if (!isLoopbackHost(host)) {
    throw new GrpcServerError(
      'insecure_non_loopback',
      formatHostPort(host, port),
      'refusing plaintext admin gRPC on a non-loopback address; configure TLS certificates',
    );
  }
  return ServerCredentials.createInsecure();
}

export function channelCredentials(tls: MutualTls | undefined): ChannelCredentials {
  return tls === undefined ? ChannelCredentials.createInsecure() : ChannelCredentials.createSsl(tls.ca, tls.key, tls.cert);
}
