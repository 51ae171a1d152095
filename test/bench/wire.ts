/**
 * A minimal client connection for the load generator: write a command, wait
 * for a byte marker. Cheap on purpose (the load shares a core with the
 * backends): no parsing, chunks are searched as Buffers, bodies are only counted.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export class WireError extends Error {
  override readonly name = 'WireError';
}

const CRLF = Buffer.from('\r\n');
// Stream contents seen so far always start as if a line had just ended, so "\r\nTAG " also finds a tag at the very start.
const START = Buffer.from('\r\n');
const MAX_CARRY = 64 * 1024;

interface Waiter {
  readonly marker: Buffer;
  readonly terminal: boolean;
  readonly resolve: (line: string) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export interface ConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** PEM of the CA that issued the server certificates. */
  readonly ca?: Buffer;
  readonly timeoutMs: number;
}

export class Wire {
  readonly #socket: Socket;
  #buf: Buffer = START;
  #waiter: Waiter | undefined;
  #failure: Error | undefined;
  readonly #timeoutMs: number;

  private constructor(socket: Socket, timeoutMs: number) {
    this.#socket = socket;
    this.#timeoutMs = timeoutMs;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.#fail(new WireError(err.message)));
    socket.on('close', () => this.#fail(new WireError('connection closed')));
  }

  static connect(opts: ConnectOptions): Promise<Wire> {
    return new Promise((resolve, reject) => {
      const socket = opts.tls
        ? tlsConnect({ host: opts.host, port: opts.port, ...(opts.ca === undefined ? {} : { ca: opts.ca }) })
        : netConnect({ host: opts.host, port: opts.port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new WireError(`connect ${opts.host}:${opts.port} timed out`));
      }, opts.timeoutMs);
      const ok = (): void => {
        clearTimeout(timer);
        socket.removeListener('error', bad);
        resolve(new Wire(socket, opts.timeoutMs));
      };
      const bad = (err: Error): void => {
        clearTimeout(timer);
        reject(new WireError(err.message));
      };
      socket.once(opts.tls ? 'secureConnect' : 'connect', ok);
      socket.once('error', bad);
    });
  }

  get bytesRead(): number {
    return this.#socket.bytesRead;
  }

  send(line: string): void {
    this.#socket.write(`${line}\r\n`);
  }

  /** Raw bytes (pipelined commands, message text); resolves once the kernel has them. */
  write(bytes: Buffer): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#socket.write(bytes, (err) => (err === undefined || err === null ? resolve() : reject(new WireError(err.message))));
    });
  }

  /**
   * Wait for `marker` (which should begin with CRLF) and return the rest of
   * its line; with `terminal` the marker itself ends the reply (POP3's CRLF.CRLF) and '' is returned.
   */
  expect(marker: Buffer, terminal = false): Promise<string> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.#fail(new WireError(`timed out waiting for ${JSON.stringify(marker.toString('latin1'))}`)), this.#timeoutMs);
      this.#waiter = { marker, terminal, resolve, reject, timer };
      this.#check();
    });
  }

  close(): void {
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    if (this.#waiter !== undefined) this.#check();
    else if (this.#buf.length > MAX_CARRY) this.#buf = this.#buf.subarray(this.#buf.length - MAX_CARRY);
  }

  #check(): void {
    const w = this.#waiter;
    if (w === undefined) return;
    const buf = this.#buf;
    const at = buf.indexOf(w.marker);
    if (at < 0) {
      // Keep only what may still hold the start of the marker: bodies are counted, not kept.
      if (buf.length > w.marker.length) this.#buf = buf.subarray(buf.length - w.marker.length);
      return;
    }
    let line = '';
    let consumedTo: number;
    const afterMarker = at + w.marker.length;
    if (w.terminal) {
      consumedTo = afterMarker - 2;
    } else {
      const eol = buf.indexOf(CRLF, afterMarker);
      if (eol < 0) return;
      line = buf.toString('latin1', afterMarker, eol);
      consumedTo = eol;
    }
    // The remainder starts with the CRLF that ended this line.
    this.#buf = buf.subarray(consumedTo);
    this.#waiter = undefined;
    clearTimeout(w.timer);
    w.resolve(line);
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    const w = this.#waiter;
    if (w === undefined) return;
    this.#waiter = undefined;
    clearTimeout(w.timer);
    this.#socket.destroy();
    w.reject(err);
  }
}

const markers = new Map<string, Buffer>();

/** "\r\n" + text, cached (tags repeat across connections). */
export function lineMarker(text: string): Buffer {
  let m = markers.get(text);
  if (m === undefined) {
    m = Buffer.from(`\r\n${text}`, 'latin1');
    markers.set(text, m);
  }
  return m;
}
