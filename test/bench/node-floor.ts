/**
 * The least any Node proxy does for a proxied login: accept the client,
 * connect to the backend, move bytes both ways. No parsing, no LDAP, no
 * logging, no timers. Run by test/bench/floor-bench.ts as its own process
 * (compiled to plain JavaScript, no loader), so its CPU is measured exactly
 * like mail-director's.
 *
 *   node node-floor.js --listen 127.0.0.3:10143 --backend 127.0.0.11:10143 --mode pipe|data|line
 *
 * Modes:
 *   pipe  client.pipe(backend) and backend.pipe(client) (node's stream machinery)
 *   data  'data' listeners that write to the other side, pause on a full
 *         buffer and resume on 'drain', as src/relay/relay.ts does
 *   line  a login exchange first, then as `data`: our own IMAP greeting to the
 *         client, read the client's first line, only then connect to the
 *         backend, swallow its greeting, write the client's line to it
 *         (the reply reaches the client through the relay)
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export type FloorMode = 'pipe' | 'data' | 'line';
export const FLOOR_MODES: readonly FloorMode[] = ['pipe', 'data', 'line'];

const GREETING = Buffer.from('* OK [CAPABILITY IMAP4rev1] node floor ready\r\n');
const LF = 0x0a;
/** A client that sends this much without a line end is dropped (line mode). */
const MAX_LINE = 8192;

interface Endpoint {
  readonly host: string;
  readonly port: number;
}

// The peer lives on the socket and the listeners are module-level functions
// (`this` is the emitter): no closures per connection, as in src/relay/relay.ts.
const kPeer = Symbol('peer');
const kLogin = Symbol('login');

interface FloorSocket extends Socket {
  [kPeer]?: FloorSocket;
  [kLogin]?: LoginState;
}

/** Line mode, before the relay starts. */
interface LoginState {
  /** What the client sent so far (its first line, maybe more). */
  pending: Buffer;
  backendGreeted: boolean;
}

function onData(this: FloorSocket, chunk: Buffer): void {
  const peer = this[kPeer];
  if (peer !== undefined && !peer.write(chunk)) this.pause();
}

function onDrain(this: FloorSocket): void {
  this[kPeer]?.resume();
}

function onEnd(this: FloorSocket): void {
  this[kPeer]?.end();
}

/** A side is gone: the other goes too, unless it is already flushing its end. */
function onClose(this: FloorSocket): void {
  const peer = this[kPeer];
  if (peer !== undefined && !peer.writableEnded) peer.destroy();
}

function onError(this: FloorSocket): void {
  this.destroy();
}

function relay(a: FloorSocket, b: FloorSocket): void {
  a[kPeer] = b;
  b[kPeer] = a;
  for (const s of [a, b]) {
    s.on('data', onData);
    s.on('drain', onDrain);
    s.on('end', onEnd);
    s.on('close', onClose);
  }
}

function pipeBoth(client: FloorSocket, backend: FloorSocket): void {
  client[kPeer] = backend;
  backend[kPeer] = client;
  client.pipe(backend);
  backend.pipe(client);
  // pipe() ends the destination on 'end' but does nothing on an abrupt close.
  client.on('close', onClose);
  backend.on('close', onClose);
}

function dial(backend: Endpoint): FloorSocket {
  const socket: FloorSocket = connect({ host: backend.host, port: backend.port });
  socket.setNoDelay(true);
  socket.on('error', onError);
  return socket;
}

// ---------------------------------------------------------------- line mode

let lineBackend: Endpoint = { host: '127.0.0.1', port: 0 };

function onClientLine(this: FloorSocket, chunk: Buffer): void {
  const state = this[kLogin];
  if (state === undefined) return;
  state.pending = state.pending.length === 0 ? chunk : Buffer.concat([state.pending, chunk]);
  if (state.pending.indexOf(LF) < 0) {
    if (state.pending.length > MAX_LINE) this.destroy();
    return;
  }
  // A whole line: stop reading the client until the backend has it.
  this.removeListener('data', onClientLine);
  this.pause();
  const backend = dial(lineBackend);
  backend[kPeer] = this;
  backend[kLogin] = state;
  backend.on('data', onBackendGreeting);
  // Until the relay starts, a client that leaves takes the backend with it.
  this[kPeer] = backend;
  this.on('close', onClose);
  backend.on('close', onClose);
}

function onBackendGreeting(this: FloorSocket, chunk: Buffer): void {
  const state = this[kLogin];
  const client = this[kPeer];
  if (state === undefined || client === undefined || state.backendGreeted) return;
  const eol = chunk.indexOf(LF);
  // The greeting comes in one segment on loopback; anything after it is passed on.
  if (eol < 0) return;
  state.backendGreeted = true;
  this.removeListener('data', onBackendGreeting);
  this[kLogin] = undefined;
  client[kLogin] = undefined;
  this.write(state.pending);
  const rest = chunk.subarray(eol + 1);
  if (rest.length > 0) client.write(rest);
  // Relay from now on (close listeners are already there).
  for (const s of [client, this]) {
    s.on('data', onData);
    s.on('drain', onDrain);
    s.on('end', onEnd);
  }
  client.resume();
}

// ---------------------------------------------------------------- server

function onConnection(mode: FloorMode, backend: Endpoint, client: FloorSocket): void {
  client.setNoDelay(true);
  client.on('error', onError);
  switch (mode) {
    case 'pipe':
      pipeBoth(client, dial(backend));
      return;
    case 'data':
      relay(client, dial(backend));
      return;
    case 'line':
      client[kLogin] = { pending: Buffer.alloc(0), backendGreeted: false };
      client.on('data', onClientLine);
      client.write(GREETING);
      return;
  }
}

export function startFloor(mode: FloorMode, listen: Endpoint, backend: Endpoint): Promise<Server> {
  lineBackend = backend;
  const server = createServer((socket) => onConnection(mode, backend, socket));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: listen.host, port: listen.port, backlog: 1024 }, () => resolve(server));
  });
}

function endpoint(text: string | undefined, what: string): Endpoint {
  const m = /^(.+):(\d+)$/.exec(text ?? '');
  if (m === null) throw new TypeError(`${what} must be host:port, not ${String(text)}`);
  return { host: m[1] ?? '', port: Number(m[2]) };
}

function argValue(argv: readonly string[], key: string): string | undefined {
  const i = argv.indexOf(key);
  return i < 0 ? undefined : argv[i + 1];
}

async function main(argv: readonly string[]): Promise<void> {
  const mode = argValue(argv, '--mode') as FloorMode | undefined;
  if (mode === undefined || !FLOOR_MODES.includes(mode)) throw new TypeError(`--mode must be one of ${FLOOR_MODES.join(', ')}`);
  await startFloor(mode, endpoint(argValue(argv, '--listen'), '--listen'), endpoint(argValue(argv, '--backend'), '--backend'));
  process.on('SIGTERM', () => process.exit(0));
}

// Only when run as a program (floor-bench imports FLOOR_MODES).
if (process.argv[1] !== undefined && /node-floor\.[cm]?[jt]s$/.test(process.argv[1])) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`node-floor: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  });
}
