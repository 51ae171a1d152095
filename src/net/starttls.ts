import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { SecureContext } from 'node:tls';
import { ignoreSocketError } from './ignore-error.js';

export interface UpgradeServerOptions {
  /** Give up on a handshake that has not finished after this long (destroys the socket). */
  readonly handshakeTimeoutMs?: number;
}

/**
 * Upgrade an accepted plaintext socket to TLS in place (STARTTLS / STLS).
 *
 * Call it in the same tick as writing the "begin TLS" reply, after removing
 * your own 'data' listeners: the TLS layer takes over the socket's handle, so
 * bytes the client sends from now on (its ClientHello) reach the TLS engine.
 * Bytes already read into the old socket's buffer are never seen again —
 * that is the injection defence: anything pipelined after STARTTLS is dropped.
 *
 * Resolves once the handshake completes; rejects (and destroys the socket) on
 * a handshake error, an early close or the timeout.
 */
export function upgradeServerSocket(
  socket: Socket,
  secureContext: SecureContext,
  options: UpgradeServerOptions = {},
): Promise<TLSSocket> {
  // Stop delivering what is already buffered in plaintext: it must not be parsed.
  socket.removeAllListeners('data');
  socket.removeAllListeners('readable');
  // Node feeds whatever sits in the old socket's read buffer to the TLS engine;
  // drop it so injected plaintext is neither parsed nor mistaken for a ClientHello.
  while (socket.read() !== null) {
    // discard
  }
  const tlsSocket = new TLSSocket(socket, { isServer: true, secureContext, requestCert: false });
  return new Promise<TLSSocket>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      tlsSocket.off('secure', onSecure);
      tlsSocket.off('error', onError);
      tlsSocket.off('close', onClose);
    };
    const onSecure = (): void => {
      cleanup();
      resolve(tlsSocket);
    };
    const fail = (err: Error): void => {
      cleanup();
      // Keep a listener so a late error on a dead socket cannot crash the process.
      tlsSocket.on('error', ignoreSocketError);
      tlsSocket.destroy();
      socket.destroy();
      reject(err);
    };
    const onError = (err: Error): void => fail(err);
    const onClose = (): void => fail(new TlsUpgradeError('connection closed during TLS handshake'));
    tlsSocket.once('secure', onSecure);
    tlsSocket.once('error', onError);
    tlsSocket.once('close', onClose);
    if (options.handshakeTimeoutMs !== undefined) {
      timer = setTimeout(() => fail(new TlsUpgradeError('TLS handshake timed out')), options.handshakeTimeoutMs);
      timer.unref();
    }
  });
}

export class TlsUpgradeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsUpgradeError';
  }
}
