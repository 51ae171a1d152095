import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { normalizeIp } from './networks.js';

export interface Endpoint {
  readonly remoteIp: string;
  readonly remotePort: number;
  readonly localIp: string;
  readonly localPort: number;
}

export function endpointOf(socket: Socket): Endpoint {
  return {
    remoteIp: normalizeIp(socket.remoteAddress ?? ''),
    remotePort: socket.remotePort ?? 0,
    localIp: normalizeIp(socket.localAddress ?? ''),
    localPort: socket.localPort ?? 0,
  };
}

export interface ListenerOptions {
  readonly host: string;
  readonly port: number;
  /** Set for implicit-TLS ports: the handshake completes before `onConnection`. */
  readonly implicitTls: SecureContext | undefined;
  /** How long an implicit-TLS handshake may take. */
  readonly handshakeTimeoutMs: number;
  readonly onConnection: (socket: Socket, endpoint: Endpoint) => void;
  readonly onError: (error: Error) => void;
}

/**
 * A listening port. Every accepted socket is tracked so shutdown can stop
 * accepting, then drain, then force-close what is left.
 */
export class Listener {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #options: ListenerOptions;

  constructor(options: ListenerOptions) {
    this.#options = options;
    this.#server = createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 }, (raw) => this.#accept(raw));
    this.#server.on('error', options.onError);
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ host: this.#options.host, port: this.#options.port, backlog: 4096 }, () => {
        this.#server.off('error', reject);
        const address = this.#server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : this.#options.port);
      });
    });
  }

  get connections(): number {
    return this.#sockets.size;
  }

  /**
   * Stop accepting; existing connections go on. Resolves once the port is
   * closed: close()'s own callback would wait for every connection to end,
   * which would hold a drain until its sessions leave on their own.
   */
  stopAccepting(): Promise<void> {
    if (this.#server.listening) this.#server.close();
    return Promise.resolve();
  }

  destroyAll(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  #accept(raw: Socket): void {
    this.#sockets.add(raw);
    raw.once('close', () => this.#sockets.delete(raw));
    raw.on('error', () => raw.destroy());
    const endpoint = endpointOf(raw);
    const secureContext = this.#options.implicitTls;
    if (secureContext === undefined) {
      this.#options.onConnection(raw, endpoint);
      return;
    }
    const tls = new TLSSocket(raw, { isServer: true, secureContext });
    const timer = setTimeout(() => tls.destroy(), this.#options.handshakeTimeoutMs);
    tls.once('secure', () => {
      clearTimeout(timer);
      this.#options.onConnection(tls, endpoint);
    });
    tls.on('error', () => {
      clearTimeout(timer);
      tls.destroy();
    });
  }
}
