import type { Socket } from 'node:net';
import { parseProxyHeader, type ProxyHeader } from './proxy-protocol.js';

/** Why a connection that owed a PROXY header is closed; `message` is Dovecot's log text for it. */
export class ProxyHeaderError extends Error {
  /**
   * The peer closed before sending a byte: what a balancer's plain TCP
   * health check does every few seconds, not worth a warning each time.
   */
  readonly silent: boolean;

  constructor(message: string, silent = false) {
    super(message);
    this.name = 'ProxyHeaderError';
    this.silent = silent;
  }
}

/**
 * Read the PROXY header a load balancer sends first, however the network cut
 * it (the spec asks senders for one segment; a busy path splits anyway),
 * within `timeoutMs` (Dovecot's haproxy_timeout). Bytes after the header are
 * the client's: they are put back into the socket (unshift), so the protocol,
 * or the TLS layer of an implicit-TLS port, reads them first.
 * Rejects with ProxyHeaderError; the caller closes the socket.
 */
export function readProxyHeader(socket: Socket, timeoutMs: number): Promise<ProxyHeader> {
  return new Promise<ProxyHeader>((resolve, reject) => {
    let buffered: Buffer = Buffer.alloc(0);
    const done = (): void => {
      clearTimeout(timer);
      socket.off('readable', onReadable);
      socket.off('end', onGone);
      socket.off('close', onGone);
      socket.off('error', onError);
    };
    const failWith = (message: string, silent = false): void => {
      done();
      reject(new ProxyHeaderError(message, silent));
    };
    const onReadable = (): void => {
      for (;;) {
        const chunk: unknown = socket.read();
        if (chunk === null) return;
        const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), 'latin1');
        buffered = buffered.length === 0 ? bytes : Buffer.concat([buffered, bytes]);
        const parsed = parseProxyHeader(buffered);
        if (parsed.kind === 'incomplete') continue;
        done();
        if (parsed.kind === 'error') {
          reject(new ProxyHeaderError(parsed.message));
          return;
        }
        const rest = buffered.subarray(parsed.length);
        if (rest.length > 0) socket.unshift(rest);
        resolve(parsed.header);
        return;
      }
    };
    const onGone = (): void =>
      buffered.length === 0 ? failWith('Client disconnected', true) : failWith('Client disconnected: Failed to read full header');
    const onError = (err: Error): void => failWith(`Client disconnected: ${err.message}`);
    const timer = setTimeout(() => failWith('Client timed out'), timeoutMs);
    socket.on('readable', onReadable);
    socket.on('end', onGone);
    socket.on('close', onGone);
    socket.on('error', onError);
  });
}
