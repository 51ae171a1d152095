import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { normalizeIp } from './networks.js';
import type { ProxiedTls, ProxyHeader } from './proxy-protocol.js';
import { ProxyHeaderError, readProxyHeader } from './proxy-header-reader.js';

export interface Endpoint {
  readonly remoteIp: string;
  readonly remotePort: number;
  readonly localIp: string;
  readonly localPort: number;
  /**
   * Set for a unix socket listener: its path. The addresses are then empty
   * and the ports 0, since a unix socket peer has neither (what XCLIENT and
   * the logs make of that is the protocol's business).
   */
  readonly socketPath?: string;
  /** Set when a load balancer's PROXY header named the client (the addresses above are then its). */
  readonly proxy?: ProxiedVia;
}

/** The hop a PROXY header came over, and what it said besides the addresses. */
export interface ProxiedVia {
  readonly version: 1 | 2;
  /** The load balancer's address and port, as this socket saw them (Dovecot's real_rip, real_rport). */
  readonly realRemoteIp: string;
  readonly realRemotePort: number;
  /** PP2_TYPE_SSL: the balancer terminated the client's TLS. */
  readonly tls: ProxiedTls | undefined;
  /** PP2_TYPE_AUTHORITY: the name the client asked the balancer for. */
  readonly authority: string | undefined;
}

/** The endpoint a PROXY header describes: its addresses where it names them, the socket's otherwise. */
export function proxiedEndpoint(real: Endpoint, header: ProxyHeader): Endpoint {
  const a = header.addresses;
  return {
    remoteIp: a?.sourceIp ?? real.remoteIp,
    remotePort: a?.sourcePort ?? real.remotePort,
    localIp: a?.destIp ?? real.localIp,
    localPort: a?.destPort ?? real.localPort,
    proxy: { version: header.version, realRemoteIp: real.remoteIp, realRemotePort: real.remotePort, tls: header.tls, authority: header.authority },
  };
}

/** Log fields naming the client; when a PROXY header named it, the balancer too (Dovecot's real_rip, real_rport). */
export function endpointLogFields(endpoint: Endpoint): Record<string, string | number | boolean> {
  if (endpoint.socketPath !== undefined) return { socket: endpoint.socketPath };
  const fields: Record<string, string | number | boolean> = { rip: endpoint.remoteIp, rport: endpoint.remotePort };
  const proxy = endpoint.proxy;
  if (proxy !== undefined) {
    fields['real_rip'] = proxy.realRemoteIp;
    fields['real_rport'] = proxy.realRemotePort;
    if (proxy.tls?.ssl === true) fields['haproxy_tls'] = proxy.tls.version ?? true;
  }
  return fields;
}

/** A listener marked `haproxy`: its connections from trusted networks start with a PROXY header. */
export interface HaproxyOptions {
  /** haproxy_trusted_networks, asked with the socket's own peer address. */
  readonly trusted: (ip: string) => boolean;
  /** haproxy_timeout, read per connection (a SIGHUP'd value applies to the next one). */
  readonly timeoutMs: () => number;
  /**
   * The connection is closed: not trusted, or its header was late or bad
   * (Dovecot's text in `message`); `silent`: it closed before sending anything (a health check).
   */
  readonly onRefused: (endpoint: Endpoint, message: string, silent: boolean) => void;
}

/** The local side of an accepted socket, when the listener already knows it. */
interface LocalSide {
  readonly ip: string;
  readonly port: number;
}

/** `local`: a listener bound to one address knows it, which spares a getsockname per connection. */
export function endpointOf(socket: Socket, local?: LocalSide): Endpoint {
  return {
    remoteIp: normalizeIp(socket.remoteAddress ?? ''),
    remotePort: socket.remotePort ?? 0,
    localIp: local?.ip ?? normalizeIp(socket.localAddress ?? ''),
    localPort: local?.port ?? socket.localPort ?? 0,
  };
}

export interface ListenerOptions {
  readonly host: string;
  readonly port: number;
  /** A unix socket path: listen there instead of on host:port. */
  readonly path?: string | undefined;
  /** Set for implicit-TLS ports: the handshake completes before `onConnection`. */
  readonly implicitTls: SecureContext | undefined;
  /** How long an implicit-TLS handshake may take. */
  readonly handshakeTimeoutMs: number;
  /** Expect a PROXY header first (Dovecot's `haproxy = yes` on an inet_listener); it comes before any TLS. */
  readonly haproxy?: HaproxyOptions | undefined;
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
  /** Set once listening on one specific address (not a wildcard). */
  #local: LocalSide | undefined;
  /** Set once listening on a unix socket. */
  #unixEndpoint: Endpoint | undefined;

  constructor(options: ListenerOptions) {
    this.#options = options;
    this.#server = createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 }, (raw) => this.#accept(raw));
    this.#server.on('error', options.onError);
  }

  listen(): Promise<number> {
    const path = this.#options.path;
    if (path !== undefined) {
      // Every connection on a unix socket has the same endpoint: one object for all.
      this.#unixEndpoint = Object.freeze({ remoteIp: '', remotePort: 0, localIp: '', localPort: 0, socketPath: path });
      return new Promise((resolve, reject) => {
        this.#server.once('error', reject);
        this.#server.listen({ path, backlog: 4096 }, () => {
          this.#server.off('error', reject);
          resolve(0);
        });
      });
    }
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ host: this.#options.host, port: this.#options.port, backlog: 4096 }, () => {
        this.#server.off('error', reject);
        const address = this.#server.address();
        if (typeof address === 'object' && address !== null && !isWildcard(address.address)) {
          this.#local = { ip: normalizeIp(address.address), port: address.port };
        }
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
    // Module-level listeners that find their listener on the socket: no closures per connection.
    (raw as TrackedSocket)[kListener] = this;
    raw.on('close', onRawClose);
    raw.on('error', onRawError);
    const endpoint = this.#unixEndpoint ?? endpointOf(raw, this.#local);
    const haproxy = this.#options.haproxy;
    if (haproxy === undefined) {
      this.#connected(raw, endpoint);
      return;
    }
    // As Dovecot's master-service-haproxy.c: on such a listener only the balancer may connect.
    if (!haproxy.trusted(endpoint.remoteIp)) {
      haproxy.onRefused(endpoint, 'Client not trusted', false);
      raw.destroy();
      return;
    }
    readProxyHeader(raw, haproxy.timeoutMs()).then(
      (header) => {
        if (!raw.destroyed) this.#connected(raw, proxiedEndpoint(endpoint, header));
      },
      (err: unknown) => {
        haproxy.onRefused(endpoint, err instanceof ProxyHeaderError ? err.message : String(err), err instanceof ProxyHeaderError && err.silent);
        raw.destroy();
      },
    );
  }

  /** The connection's endpoint is known (after the PROXY header, if any): TLS at connect, or the protocol. */
  #connected(raw: Socket, endpoint: Endpoint): void {
    const secureContext = this.#options.implicitTls;
    if (secureContext === undefined) {
      this.#options.onConnection(raw, endpoint);
      return;
    }
    const tls = new TLSSocket(raw, { isServer: true, secureContext }) as PendingTls;
    tls[kHandshake] = { listener: this, endpoint, timer: setTimeout(destroyTls, this.#options.handshakeTimeoutMs, tls) };
    tls.once('secure', onTlsSecure);
    tls.on('error', onTlsError);
  }

  /** A socket of this listener closed. */
  forget(raw: Socket): void {
    this.#sockets.delete(raw);
  }

  /** An implicit-TLS handshake completed. */
  handshakeDone(tls: TLSSocket, endpoint: Endpoint): void {
    this.#options.onConnection(tls, endpoint);
  }
}

/** Addresses a socket can be bound to that accept on every local address. */
function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '';
}

const kListener = Symbol('listener');
const kHandshake = Symbol('handshake');

interface TrackedSocket extends Socket {
  [kListener]?: Listener;
}

interface PendingTls extends TLSSocket {
  [kHandshake]?: { listener: Listener; endpoint: Endpoint; timer: NodeJS.Timeout } | undefined;
}

function onRawClose(this: TrackedSocket): void {
  this[kListener]?.forget(this);
}

function onRawError(this: Socket): void {
  this.destroy();
}

function destroyTls(tls: TLSSocket): void {
  tls.destroy();
}

function onTlsSecure(this: PendingTls): void {
  const handshake = this[kHandshake];
  // Nothing of the handshake (timer, endpoint) stays with the session.
  this[kHandshake] = undefined;
  if (handshake === undefined) return;
  clearTimeout(handshake.timer);
  handshake.listener.handshakeDone(this, handshake.endpoint);
}

function onTlsError(this: PendingTls): void {
  const handshake = this[kHandshake];
  if (handshake !== undefined) clearTimeout(handshake.timer);
  this.destroy();
}
