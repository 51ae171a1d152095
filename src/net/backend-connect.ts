import { connect as netConnect, isIP } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { TLSSocket } from 'node:tls';

export type BackendTls = 'no' | 'yes' | 'any-cert';

/** Why a backend connection could not be made; callers map every code to a temporary failure. */
export type BackendConnectErrorCode = 'refused' | 'timeout' | 'tls' | 'network' | 'aborted';

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
  /** Abort the handshake when this fires (destroys the socket). */
  readonly signal?: AbortSignal | undefined;
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
  /** One budget for TCP connect and TLS handshake; fire it to give up. */
  readonly signal: AbortSignal;
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
    signal: params.signal,
  });
}

function connectTcp(params: ConnectBackendParams): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    if (params.signal.aborted) {
      reject(new BackendConnectError('aborted', `connect(${params.host}, ${params.port}) aborted`));
      return;
    }
    const socket = netConnect({
      host: params.host,
      port: params.port,
      ...(params.sourceIp !== undefined ? { localAddress: params.sourceIp } : {}),
    });
    const cleanup = (): void => {
      socket.off('connect', onConnect);
      socket.off('error', onError);
      params.signal.removeEventListener('abort', onAbort);
    };
    const onConnect = (): void => {
      cleanup();
      resolve(socket);
    };
    const onError = (err: NodeJS.ErrnoException): void => {
      cleanup();
      socket.destroy();
      const code: BackendConnectErrorCode = err.code === 'ECONNREFUSED' ? 'refused' : 'network';
      reject(new BackendConnectError(code, `connect(${params.host}, ${params.port}) failed: ${err.code ?? err.message}`));
    };
    const onAbort = (): void => {
      cleanup();
      socket.on('error', () => undefined);
      socket.destroy();
      reject(new BackendConnectError('timeout', `connect(${params.host}, ${params.port}) timed out`));
    };
    socket.once('connect', onConnect);
    socket.once('error', onError);
    params.signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Start TLS as a client on a connected socket (implicit TLS, or after the
 * backend accepted STARTTLS). The caller must have removed its own data
 * listeners and must not have unread plaintext it still needs.
 */
export function upgradeClientSocket(socket: Socket, params: ClientTlsParams): Promise<TLSSocket> {
  return new Promise<TLSSocket>((resolve, reject) => {
    if (params.signal?.aborted === true) {
      socket.destroy();
      reject(new BackendConnectError('timeout', `TLS handshake with ${params.host} aborted`));
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
      params.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (err: BackendConnectError): void => {
      cleanup();
      tlsSocket.on('error', () => undefined);
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
    const onAbort = (): void => fail(new BackendConnectError('timeout', `TLS handshake with ${params.host} timed out`));
    tlsSocket.once('secureConnect', onSecure);
    tlsSocket.once('error', onError);
    tlsSocket.once('close', onClose);
    params.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
