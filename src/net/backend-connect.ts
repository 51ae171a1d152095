import { connect as netConnect, isIP } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import type { Deadline, DeadlineWatcher } from './deadline.js';
import { markSharedReads, sharedReadOptions } from './socket-reads.js';
import { ignoreSocketError } from './ignore-error.js';

export type BackendTls = 'no' | 'yes' | 'any-cert';

/** Why a backend connection could not be made; callers map every code to a temporary failure. */
export type BackendConnectErrorCode = 'refused' | 'timeout' | 'tls' | 'network';

export class BackendConnectError extends Error {
  readonly code: BackendConnectErrorCode;

  constructor(code: BackendConnectErrorCode, message: string) {
    super(message);
    this.name = 'BackendConnectError';
    this.code = code;
  }
}

export interface ClientTlsParams {
  /** 'yes' verifies the chain against `ca` and the host name (or IP) against the certificate. */
  readonly mode: 'yes' | 'any-cert';
  readonly host: string;
  /** SNI and name to verify; defaults to `host` unless `host` is an IP address. */
  readonly servername?: string | undefined;
  readonly ca?: Buffer | undefined;
  readonly cert?: Buffer | undefined;
  readonly key?: Buffer | undefined;
  /** Give up the handshake when this runs out (destroys the socket). */
  readonly deadline?: Deadline | undefined;
}

export interface ConnectBackendParams {
  readonly host: string;
  readonly port: number;
  readonly sourceIp: string | undefined;
  /** 'yes' / 'any-cert': implicit TLS right after connect. */
  readonly tls: BackendTls;
  readonly servername?: string | undefined;
  readonly ca?: Buffer | undefined;
  readonly cert?: Buffer | undefined;
  readonly key?: Buffer | undefined;
  /** One budget for TCP connect and TLS handshake. */
  readonly deadline: Deadline;
  /**
   * Read into our own reused buffers (socket-reads.ts) instead of a fresh one
   * per read. Only for a plain connection that stays plain (not with
   * STARTTLS): a TLS layer reads the socket itself.
   */
  readonly sharedReads?: boolean;
}

/**
 * Open a TCP connection to a backend (optionally bound to `sourceIp`) and,
 * for implicit TLS, finish the handshake. Rejects with BackendConnectError.
 * The returned socket has no listeners of ours attached.
 */
export async function connectBackend(params: ConnectBackendParams): Promise<Socket | TLSSocket> {
  const socket = await connectTcp(params);
  if (params.tls === 'no') return socket;
  return upgradeClientSocket(socket, {
    mode: params.tls,
    host: params.host,
    servername: params.servername,
    ca: params.ca,
    cert: params.cert,
    key: params.key,
    deadline: params.deadline,
  });
}

function connectTcp(params: ConnectBackendParams): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    if (params.deadline.expired) {
      reject(new BackendConnectError('timeout', `connect(${params.host}, ${params.port}) timed out`));
      return;
    }
    const shared = params.sharedReads === true && params.tls === 'no';
    const socket = netConnect({
      host: params.host,
      port: params.port,
      // The family of the bound address: a backend named by host name must resolve to one it can reach.
      ...(params.sourceIp !== undefined ? { localAddress: params.sourceIp, family: isIP(params.sourceIp) } : {}),
      ...(shared ? sharedReadOptions() : {}),
      // Login commands are small writes that wait for a reply: Nagle would only
      // delay them (and set at connect, the relay's setNoDelay costs no syscall).
      noDelay: true,
    });
    if (shared) markSharedReads(socket);
    new TcpConnect(socket, params, resolve, reject);
  });
}

const kConnect = Symbol('tcpConnect');

/**
 * One connect() in flight. The socket listeners are module functions that
 * find it on the socket: no closures per connection.
 */
class TcpConnect implements DeadlineWatcher {
  readonly #socket: Socket & { [kConnect]?: TcpConnect | undefined };
  readonly #params: ConnectBackendParams;
  readonly #resolve: (socket: Socket) => void;
  readonly #reject: (err: BackendConnectError) => void;

  constructor(socket: Socket, params: ConnectBackendParams, resolve: (socket: Socket) => void, reject: (err: BackendConnectError) => void) {
    this.#socket = socket;
    this.#params = params;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#socket[kConnect] = this;
    socket.on('connect', onTcpConnect);
    socket.on('error', onTcpError);
    params.deadline.watch(this);
  }

  connected(): void {
    this.#cleanup();
    this.#resolve(this.#socket);
  }

  failed(err: NodeJS.ErrnoException): void {
    this.#cleanup();
    this.#socket.destroy();
    const code: BackendConnectErrorCode = err.code === 'ECONNREFUSED' ? 'refused' : 'network';
    this.#reject(new BackendConnectError(code, `connect(${this.#params.host}, ${this.#params.port}) failed: ${err.code ?? err.message}`));
  }

  deadlineExpired(): void {
    this.#cleanup();
    this.#socket.on('error', ignoreSocketError);
    this.#socket.destroy();
    this.#reject(new BackendConnectError('timeout', `connect(${this.#params.host}, ${this.#params.port}) timed out`));
  }

  #cleanup(): void {
    this.#socket[kConnect] = undefined;
    this.#socket.off('connect', onTcpConnect);
    this.#socket.off('error', onTcpError);
    this.#params.deadline.unwatch(this);
  }
}

function onTcpConnect(this: Socket & { [kConnect]?: TcpConnect }): void {
  this[kConnect]?.connected();
}

function onTcpError(this: Socket & { [kConnect]?: TcpConnect }, err: NodeJS.ErrnoException): void {
  this[kConnect]?.failed(err);
}


/**
 * Start TLS as a client on a connected socket (implicit TLS, or after the
 * backend accepted STARTTLS). The caller must have removed its own data
 * listeners and must not have unread plaintext it still needs.
 */
export function upgradeClientSocket(socket: Socket, params: ClientTlsParams): Promise<TLSSocket> {
  return new Promise<TLSSocket>((resolve, reject) => {
    if (params.deadline?.expired === true) {
      socket.destroy();
      reject(new BackendConnectError('timeout', `TLS handshake with ${params.host} timed out`));
      return;
    }
    const servername = params.servername ?? (isIP(params.host) === 0 ? params.host : undefined);
    const tlsSocket = tlsConnect({
      socket,
      host: params.host,
      ...(servername !== undefined ? { servername } : {}),
      rejectUnauthorized: params.mode === 'yes',
      ...(params.ca !== undefined ? { ca: params.ca } : {}),
      ...(params.cert !== undefined ? { cert: params.cert } : {}),
      ...(params.key !== undefined ? { key: params.key } : {}),
    });
    const cleanup = (): void => {
      tlsSocket.off('secureConnect', onSecure);
      tlsSocket.off('error', onError);
      tlsSocket.off('close', onClose);
      params.deadline?.unwatch(watcher);
    };
    const fail = (err: BackendConnectError): void => {
      cleanup();
      tlsSocket.on('error', ignoreSocketError);
      tlsSocket.destroy();
      socket.destroy();
      reject(err);
    };
    const onSecure = (): void => {
      cleanup();
      resolve(tlsSocket);
    };
    const onError = (err: Error): void => fail(new BackendConnectError('tls', `TLS with ${params.host} failed: ${err.message}`));
    const onClose = (): void => fail(new BackendConnectError('tls', `TLS with ${params.host}: connection closed during handshake`));
    const watcher: DeadlineWatcher = {
      deadlineExpired: () => fail(new BackendConnectError('timeout', `TLS handshake with ${params.host} timed out`)),
    };
    tlsSocket.once('secureConnect', onSecure);
    tlsSocket.once('error', onError);
    tlsSocket.once('close', onClose);
    params.deadline?.watch(watcher);
  });
}

/**
 * Dovecot's reconnect rule (src/login-common/login-proxy.c,
 * proxy_try_reconnect): after a failed connect, try again up to
 * `login_proxy_max_reconnects` (3) times, PROXY_CONNECT_RETRY_MSECS (1 s)
 * apart, but only while more than PROXY_CONNECT_RETRY_MIN_MSECS (the pause
 * plus 100 ms) of the proxy timeout remain.
 */
export const DEFAULT_MAX_RECONNECTS = 3;
export const DEFAULT_RECONNECT_DELAY_MS = 1_000;
const RECONNECT_MIN_EXTRA_MS = 100;

/**
 * The pause the backend logins use: shorter than Dovecot's second, because
 * a refused port is usually a backend restarting and the ring's probes
 * handle real outages, and I3 (docs/invariants.md) wants a quick temporary failure.
 */
export const LOGIN_RECONNECT_DELAY_MS = 200;

export interface ReconnectPolicy {
  /** Reconnects after the first attempt. */
  readonly maxReconnects?: number | undefined;
  /** Pause before each reconnect; a reconnect needs this plus 100 ms of the deadline left. */
  readonly delayMs?: number | undefined;
  /** Told before each pause (for a debug log). */
  readonly onRetry?: ((reconnect: number, err: BackendConnectError) => void) | undefined;
}

/** Errors worth another connect: nothing listened, or the network failed. Not TLS, not the deadline. */
function reconnectable(err: unknown): err is BackendConnectError {
  return err instanceof BackendConnectError && (err.code === 'refused' || err.code === 'network');
}

/** How one connect attempt of a login or delivery ended: 'ok' or a BackendConnectErrorCode. */
export type ConnectAttemptObserver = (seconds: number, result: 'ok' | BackendConnectErrorCode) => void;

let connectObserver: ConnectAttemptObserver | undefined;

/**
 * The process's connect-time metric. One per process, set by the
 * composition root: the protocol drivers that connect do not carry
 * metrics (and probes, which call connectBackend directly, are not counted).
 */
export function observeBackendConnects(observer: ConnectAttemptObserver | undefined): void {
  connectObserver = observer;
}

/** connectBackend, reconnecting by Dovecot's rule within `params.deadline`. Rejects with BackendConnectError. */
export async function connectBackendWithRetry(params: ConnectBackendParams, policy: ReconnectPolicy = {}): Promise<Socket | TLSSocket> {
  const maxReconnects = policy.maxReconnects ?? DEFAULT_MAX_RECONNECTS;
  const delayMs = policy.delayMs ?? DEFAULT_RECONNECT_DELAY_MS;
  for (let reconnects = 0; ; reconnects++) {
    const started = connectObserver === undefined ? 0 : performance.now();
    try {
      const socket = await connectBackend(params);
      connectObserver?.((performance.now() - started) / 1000, 'ok');
      return socket;
    } catch (err: unknown) {
      connectObserver?.((performance.now() - started) / 1000, err instanceof BackendConnectError ? err.code : 'network');
      if (!reconnectable(err) || reconnects >= maxReconnects) throw err;
      if (params.deadline.remainingMs() <= delayMs + RECONNECT_MIN_EXTRA_MS) throw err;
      policy.onRetry?.(reconnects + 1, err);
      if (!(await params.deadline.pause(delayMs))) {
        throw new BackendConnectError('timeout', `connect(${params.host}, ${params.port}) timed out`);
      }
    }
  }
}
