import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import { newSessionId } from '../core/ids.js';
import type { DirectorConfig, ListenAddress, ListenKey, UnixListenConfig } from '../config/types.js';
import { endpointLogFields, Listener, type Endpoint, type HaproxyOptions } from '../net/listener.js';
import { NetworkSet } from '../net/networks.js';
import { PreloginLimits, type PreloginRefusal } from '../net/prelogin-limits.js';
import { ignoreSocketError } from '../net/ignore-error.js';
import { destroyAfterGrace } from '../net/close-grace.js';
import { claimSocketPath, ownSocketFile, removeSocketFile, type OwnedSocketFile } from '../net/unix-socket.js';
import { ClientSession, sessionLogger, type ClientTls, type SessionDeps } from '../session/session.js';
import type { FrontendDriver } from '../session/frontend.js';
import { FRONTEND_PROTOCOLS } from '../protocols/registry.js';
import { serveLmtp } from '../protocols/lmtp/driver.js';
import type { LmtpServerDeps } from '../protocols/lmtp/server.js';

/** Which driver serves a listen key, and whether TLS starts at connect. */
const FRONTENDS: ReadonlyArray<{ key: ListenKey; driver: FrontendDriver; implicitTls: boolean }> = FRONTEND_PROTOCOLS.flatMap((p) => [
  { key: p.listen.plain, driver: p.driver, implicitTls: false },
  ...(p.listen.implicitTls === undefined ? [] : [{ key: p.listen.implicitTls, driver: p.driver, implicitTls: true }]),
]);

const TLS_HANDSHAKE_TIMEOUT_MS = 30_000;

export interface FrontendsOptions {
  readonly listen: (key: ListenKey) => ListenAddress | undefined;
  /** haproxy_trusted_networks and haproxy_timeout, read per connection (SIGHUP applies them). */
  readonly director: () => DirectorConfig;
  readonly secureContext: () => SecureContext | undefined;
  readonly session: SessionDeps;
  /** The LMTP port's dependencies (passdb lookups, ring, placement); without them listen.lmtp is not opened. */
  readonly lmtp?: LmtpServerDeps | undefined;
  /** listen.lmtp_socket, as read when the process started (listen changes take a restart). */
  readonly lmtpSocket?: UnixListenConfig | undefined;
  /**
   * This process makes and removes the socket file (stale file, mode,
   * removal). False in a worker: node's cluster binds the socket in the
   * primary, which does that part (app/director.ts).
   */
  readonly ownsSocketFiles: boolean;
  readonly log: Logger;
}

/**
 * The mail ports of one process: accepts clients and hands each to its
 * protocol driver with a ClientSession. The single-process director and
 * every worker of a multi-worker one use it alike.
 */
export class Frontends {
  readonly #opts: FrontendsOptions;
  readonly #listeners: Listener[] = [];
  readonly #socketFiles: OwnedSocketFile[] = [];
  #draining = false;
  readonly #prelogin: PreloginLimits;
  /** Refusals are logged at most once a second: a flood must not become a flood of log lines. */
  #lastBusyLog = 0;
  #busySinceLog = 0;
  /** haproxy_trusted_networks as a set, rebuilt when a reload brings another list. */
  #haproxyTrusted: { readonly from: readonly string[]; readonly set: NetworkSet } | undefined;

  constructor(opts: FrontendsOptions) {
    this.#opts = opts;
    this.#prelogin = new PreloginLimits(() => {
      const limits = opts.session.limits();
      return { total: limits.maxPreloginConnections, perIp: limits.maxPreloginPerIp };
    });
  }

  /** Connections not logged in yet, in this process. */
  get preloginConnections(): number {
    return this.#prelogin.total;
  }

  /** Over a pre-login cap: the protocol's "queue full" line, then close; relayed sessions go on untouched. */
  #refuseBusy(driver: FrontendDriver, socket: Socket, cap: PreloginRefusal, ip: string): void {
    socket.on('error', ignoreSocketError);
    socket.end(driver.busyText);
    destroyAfterGrace(socket);
    this.#busySinceLog++;
    const now = Date.now();
    if (now - this.#lastBusyLog >= 1000) {
      this.#opts.log.warn({ cap, rip: ip, refused: this.#busySinceLog }, 'pre-login connection cap reached: refusing connections');
      this.#lastBusyLog = now;
      this.#busySinceLog = 0;
    }
  }

  /** Opens every configured mail port; returns the bound ports by listen key. */
  async start(): Promise<Map<string, number>> {
    const bound = new Map<string, number>();
    for (const { key, driver, implicitTls } of FRONTENDS) {
      const address = this.#opts.listen(key);
      if (address === undefined) continue;
      const context = implicitTls ? this.#opts.secureContext() : undefined;
      if (implicitTls && context === undefined) throw new Error(`listen.${key} needs tls.cert and tls.key`);
      const listener = new Listener({
        host: address.host,
        port: address.port,
        implicitTls: context,
        handshakeTimeoutMs: TLS_HANDSHAKE_TIMEOUT_MS,
        haproxy: address.haproxy === true ? this.#haproxyOptions(key) : undefined,
        onConnection: (socket, endpoint) => this.#accept(driver, socket, endpoint, implicitTls),
        onError: (error) => this.#opts.log.error({ err: error, listen: key }, 'listener error'),
      });
      bound.set(key, await listener.listen());
      this.#listeners.push(listener);
    }
    const lmtpDeps = this.#opts.lmtp;
    if (lmtpDeps !== undefined) {
      // LMTP is no login front end: its connections go to their own handler, not a ClientSession.
      const onConnection = (socket: Socket, endpoint: Endpoint): void => {
        if (this.#draining) socket.destroy();
        else serveLmtp(socket, endpoint, lmtpDeps);
      };
      const lmtp = this.#opts.listen('lmtp');
      if (lmtp !== undefined) {
        const listener = this.#plainListener('lmtp', lmtp.host, lmtp.port, undefined, onConnection, lmtp.haproxy === true ? this.#haproxyOptions('lmtp') : undefined);
        bound.set('lmtp', await listener.listen());
        this.#listeners.push(listener);
      }
      const unix = this.#opts.lmtpSocket;
      if (unix !== undefined) {
        if (this.#opts.ownsSocketFiles) await claimSocketPath(unix.path);
        const listener = this.#plainListener('lmtp_socket', '', 0, unix.path, onConnection);
        await listener.listen();
        this.#listeners.push(listener);
        if (this.#opts.ownsSocketFiles) this.#socketFiles.push(await ownSocketFile(unix.path, unix.mode));
      }
    }
    return bound;
  }

  async stopAccepting(): Promise<void> {
    this.#draining = true;
    await Promise.all(this.#listeners.map((l) => l.stopAccepting()));
    // Nobody may connect to a socket file nobody accepts on any more: the MTA should see "no such file".
    await Promise.all(this.#socketFiles.splice(0).map(removeSocketFile));
  }

  #plainListener(
    key: string,
    host: string,
    port: number,
    path: string | undefined,
    onConnection: (socket: Socket, endpoint: Endpoint) => void,
    haproxy?: HaproxyOptions,
  ): Listener {
    return new Listener({
      host,
      port,
      path,
      implicitTls: undefined,
      handshakeTimeoutMs: TLS_HANDSHAKE_TIMEOUT_MS,
      haproxy,
      onConnection,
      onError: (error) => this.#opts.log.error({ err: error, listen: key }, 'listener error'),
    });
  }

  destroyAll(): void {
    for (const l of this.#listeners) l.destroyAll();
  }

  /** A listener marked haproxy: who may send the header, how long it may take, and the log line of a refusal. */
  #haproxyOptions(key: string): HaproxyOptions {
    return {
      trusted: (ip) => this.#haproxyNetworks().has(ip),
      timeoutMs: () => this.#opts.director().haproxyTimeoutMs,
      // Dovecot's "haproxy: ..." texts; a refusal is the balancer's (or an intruder's) doing, hence warn,
      // except a connection closed before its first byte: the balancer's TCP health check.
      onRefused: (endpoint, message, silent) => {
        const fields = { listen: key, rip: endpoint.remoteIp, rport: endpoint.remotePort };
        if (silent) this.#opts.log.debug(fields, `haproxy: ${message}`);
        else this.#opts.log.warn(fields, `haproxy: ${message}`);
      },
    };
  }

  #haproxyNetworks(): NetworkSet {
    const from = this.#opts.director().haproxyTrustedNetworks;
    if (this.#haproxyTrusted?.from !== from) this.#haproxyTrusted = { from, set: new NetworkSet(from) };
    return this.#haproxyTrusted.set;
  }

  #accept(driver: FrontendDriver, socket: Socket, endpoint: Endpoint, implicitTls: boolean): void {
    if (this.#draining) {
      socket.destroy();
      return;
    }
    const ip = endpoint.remoteIp;
    const refused = this.#prelogin.acquire(ip, this.#opts.session.trustedForPlaintext(ip));
    if (refused !== undefined) {
      this.#refuseBusy(driver, socket, refused, ip);
      return;
    }
    const sessionId = newSessionId();
    const session = new ClientSession(this.#opts.session, {
      protocol: driver.protocol,
      sessionId,
      client: endpoint,
      // A balancer that terminated the client's TLS (PP2_CLIENT_SSL): secured, as Dovecot's login-common counts it.
      implicitTls: implicitTls || endpoint.proxy?.tls?.ssl === true,
      tls: clientTls(socket, endpoint, implicitTls),
      secureContext: this.#opts.secureContext(),
      log: sessionLogger(this.#opts.log, { session: sessionId, protocol: driver.protocol, ...endpointLogFields(endpoint) }),
      onPreloginEnd: () => this.#prelogin.release(ip),
    });
    try {
      driver.handle(socket, session);
    } catch (error: unknown) {
      this.#opts.log.error({ err: error, session: sessionId }, 'protocol driver failed');
      socket.destroy();
    }
  }
}

/** TLS at connect, for the session line: this listener's own handshake, or a balancer's that terminated the client's TLS. */
function clientTls(socket: Socket, endpoint: Endpoint, implicitTls: boolean): ClientTls | undefined {
  if (implicitTls && socket instanceof TLSSocket) return { version: socket.getProtocol() ?? undefined };
  const proxied = endpoint.proxy?.tls;
  if (proxied?.ssl === true) return { version: proxied.version };
  return undefined;
}
