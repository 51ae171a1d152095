import { createServer, connect } from 'node:net';
import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { LimitsConfig } from '../../../src/config/types.js';
import type { BackendLogin, FrontendContext, LoginOutcome, LoginRequest } from '../../../src/session/frontend.js';
import type { BackendLoginSuccess } from '../../../src/session/backend-login.js';
import { LoginFailure } from '../../../src/core/failure.js';
import type { LoginFailureKind } from '../../../src/core/failure.js';
import type { Protocol } from '../../../src/core/protocol.js';

export const TEST_LIMITS: LimitsConfig = {
  maxLineLength: 1024,
  maxLiteralSize: 1024,
  maxInvalidCommands: 3,
  preloginTimeoutMs: 5_000,
  maxAuthAttempts: 3,
  authFailureDelayMs: 0,
  idleTimeoutMs: 60_000,
  proxyTimeoutMs: 5_000,
  maxLoginDelayMs: 1_000,
  maxDisconnectDelayMs: 0,
  moveWaitMs: 30_000,
  maxPreloginConnections: 10_000,
  maxPreloginPerIp: 100,
};

export interface RelayCall {
  readonly socket: Socket;
  readonly pending: Buffer;
  readonly kickText: (reason: string) => string;
  /** What the relay read from the client socket itself (bytes that arrived while paused). */
  readonly later: Buffer[];
}

/** How long the fake relay reads from the client before closing. */
const FAKE_RELAY_MS = 100;

export interface FakeOptions {
  /** The front end under test; default pop3. */
  readonly protocol?: Protocol;
  readonly trusted?: boolean;
  readonly implicitTls?: boolean;
  readonly secureContext?: SecureContext;
  readonly limits?: Partial<LimitsConfig>;
  readonly backendCapabilities?: ReadonlySet<string>;
  /** XOAUTH2 and OAUTHBEARER offered; default false. */
  readonly oauth2?: boolean;
  /** Decides each login; default: success. `backendLogin` is what the driver would log in to the backend with. */
  readonly login?: (request: LoginRequest, backendLogin: BackendLogin) => Promise<LoginOutcome> | LoginOutcome;
}

export interface Fake {
  readonly context: FrontendContext;
  readonly logins: LoginRequest[];
  readonly closed: string[];
  readonly relays: RelayCall[];
  readonly logs: string[];
}

export function success(user = 'alice'): LoginOutcome {
  const backend: BackendLoginSuccess = { socket: connectNowhere(), capabilities: [], pending: Buffer.alloc(0) };
  return { ok: true, user, destination: { host: '127.0.0.1', port: 110, backend: undefined }, backend };
}

export function failure(kind: LoginFailureKind, clientText?: string): LoginOutcome {
  return { ok: false, failure: new LoginFailure(kind, `test ${kind}`, clientText) };
}

/** A socket object that never connects anywhere useful; the relay fake only destroys it. */
function connectNowhere(): Socket {
  const socket = connect({ host: '127.0.0.1', port: 9 });
  socket.on('error', () => undefined);
  return socket;
}

export function fakeContext(options: FakeOptions = {}): Fake {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const log = pino({ level: 'trace' }, sink);
  const logins: LoginRequest[] = [];
  const closed: string[] = [];
  const relays: RelayCall[] = [];
  const context: FrontendContext = {
    protocol: options.protocol ?? 'pop3',
    sessionId: 'testsession',
    client: { remoteIp: '127.0.0.1', remotePort: 50000, localIp: '127.0.0.1', localPort: 110 },
    implicitTls: options.implicitTls ?? false,
    secureContext: options.secureContext,
    plaintextAllowed: (tlsActive) => tlsActive || (options.trusted ?? true),
    limits: { ...TEST_LIMITS, ...options.limits },
    imapIdRetain: false,
    oauth2: options.oauth2 ?? false,
    log,
    backendPreloginCapabilities: () => options.backendCapabilities,
    async login(request, backendLogin) {
      logins.push(request);
      return options.login === undefined ? success(request.user) : await options.login(request, backendLogin);
    },
    async relay(socket, outcome, pending, kickText) {
      const later: Buffer[] = [];
      relays.push({ socket, pending, kickText, later });
      outcome.backend.socket.destroy();
      socket.on('data', (chunk: Buffer) => later.push(chunk));
      socket.resume();
      await new Promise((resolve) => setTimeout(resolve, FAKE_RELAY_MS));
      socket.end();
    },
    tlsEstablished() {},
    closed(reason) {
      closed.push(reason);
    },
  };
  return { context, logins, closed, relays, logs };
}

/** A connected client/server socket pair over loopback. */
export async function socketPair(): Promise<{ client: Socket; server: Socket; close: () => void }> {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const address = listener.address();
  if (address === null || typeof address === 'string') throw new TypeError('no port');
  const accepted = new Promise<Socket>((resolve) => listener.once('connection', resolve));
  const client = connect({ host: '127.0.0.1', port: address.port });
  const server = await accepted;
  listener.close();
  return {
    client,
    server,
    close: () => {
      client.destroy();
      server.destroy();
    },
  };
}

/** Reads CRLF lines from a socket (plain or TLS) in order. */
export class LineReader {
  #buffer = '';
  #waiters: Array<(line: string | undefined) => void> = [];
  #ended = false;

  constructor(socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      this.#flush();
    });
    socket.on('close', () => {
      this.#ended = true;
      this.#flush();
    });
    socket.on('error', () => undefined);
  }

  /** The next line, or undefined once the socket closed. */
  next(timeoutMs = 2_000): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new LineTimeoutError(`no line within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
      this.#flush();
    });
  }

  async lines(count: number): Promise<Array<string | undefined>> {
    const out: Array<string | undefined> = [];
    for (let i = 0; i < count; i += 1) out.push(await this.next());
    return out;
  }

  get buffered(): string {
    return this.#buffer;
  }

  #flush(): void {
    while (this.#waiters.length > 0) {
      const index = this.#buffer.indexOf('\r\n');
      if (index < 0) {
        if (!this.#ended) return;
        this.#waiters.shift()?.(undefined);
        continue;
      }
      const line = this.#buffer.slice(0, index);
      this.#buffer = this.#buffer.slice(index + 2);
      this.#waiters.shift()?.(line);
    }
  }
}

class LineTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LineTimeout';
  }
}
