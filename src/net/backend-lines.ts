import type { Socket } from 'node:net';
import type { Deadline, DeadlineWatcher } from './deadline.js';
import { ignoreSocketError } from './ignore-error.js';
import { readInto, stopReading, type ReadSink } from './socket-reads.js';

/**
 * Longest backend line accepted before login is done, CRLF not counted.
 * Dovecot's proxy reads with a 4 KiB buffer; an IMAP CAPABILITY of a
 * backend with many extensions or a long ID reply fits in 64 KiB with room.
 */
export const MAX_BACKEND_LINE = 64 * 1024;

export type BackendLineErrorCode = 'timeout' | 'closed' | 'too-long' | 'socket';

/** Why no further line can be read; login code maps it to a LoginFailure (backend-failure.ts). */
export class BackendLineError extends Error {
  readonly code: BackendLineErrorCode;

  constructor(code: BackendLineErrorCode, message: string) {
    super(message);
    this.name = 'BackendLineError';
    this.code = code;
  }
}

const EMPTY = Buffer.alloc(0);
const LF = 0x0a;
const CR = 0x0d;

/**
 * Reads CRLF (or bare LF) lines from a backend socket while the director
 * logs in there or probes it. Lines come as latin1 strings: each byte is one
 * character, so nothing is replaced or lost (UTF-8 decoding would turn a
 * stray byte into U+FFFD), the ASCII that the state machines look at
 * (`* OK`, `+OK`, tags, capability atoms) reads as itself, and
 * `Buffer.from(line, 'latin1')` gives back the exact bytes when a line is
 * forwarded (decode it as UTF-8 then).
 *
 * Bytes come through socket-reads.ts (`readInto`), so a plain backend
 * connection reads into the shared buffers from its first byte. `detach()`
 * stops reading and returns what arrived but was not consumed: the relay
 * sends it on (BackendLoginSuccess.pending).
 */
export class BackendLines implements ReadSink, DeadlineWatcher {
  readonly #socket: Socket;
  #deadline: Deadline;
  #buffer: Buffer = EMPTY;
  /** Bytes at the start of #buffer known to hold no LF: a line trickling in is scanned once. */
  #scanned = 0;
  #error: BackendLineError | undefined;
  #waiting: (() => void) | undefined;

  constructor(socket: Socket, deadline: Deadline) {
    this.#socket = socket;
    this.#deadline = deadline;
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onEnd);
    socket.on('error', this.#onError);
    deadline.watch(this);
    readInto(socket, this);
  }

  /**
   * A line already received, without waiting (undefined if none): a login
   * reply usually brings several lines in one read, and each await costs.
   */
  buffered(): string | undefined {
    const buffer = this.#buffer;
    const lf = buffer.indexOf(LF, this.#scanned);
    if (lf < 0) {
      this.#scanned = buffer.length;
      // A CR may still be followed by its LF: one byte more before giving up.
      if (buffer.length > MAX_BACKEND_LINE + 1) this.#tooLong();
      return undefined;
    }
    const end = lf > 0 && buffer[lf - 1] === CR ? lf - 1 : lf;
    if (end > MAX_BACKEND_LINE) {
      this.#tooLong();
      return undefined;
    }
    const line = buffer.toString('latin1', 0, end);
    this.#buffer = lf + 1 === buffer.length ? EMPTY : buffer.subarray(lf + 1);
    this.#scanned = 0;
    return line;
  }

  /** The next line without its line end (one caller at a time). Rejects with BackendLineError. */
  async next(): Promise<string> {
    for (;;) {
      const line = this.buffered();
      if (line !== undefined) return line;
      if (this.#error !== undefined) throw this.#error;
      await new Promise<void>((resolve) => {
        this.#waiting = resolve;
      });
    }
  }

  /**
   * Watch `deadline` instead of the current one: a connection that stays
   * open across commands (an LMTP delivery) gives each reply its own budget.
   * A deadline that already expired still fails the reader.
   */
  useDeadline(deadline: Deadline): void {
    this.#deadline.unwatch(this);
    this.#deadline = deadline;
    deadline.watch(this);
  }

  /** Stop reading; the caller owns the socket and these unconsumed bytes. */
  detach(): Buffer {
    stopReading(this.#socket);
    this.#socket.off('end', this.#onEnd);
    this.#socket.off('close', this.#onEnd);
    this.#socket.off('error', this.#onError);
    // The socket may still read once (socket-reads.ts): an error then, before
    // the relay listens, must not crash the process.
    this.#socket.on('error', ignoreSocketError);
    this.#deadline.unwatch(this);
    this.#waiting = undefined;
    const rest = this.#buffer;
    this.#buffer = EMPTY;
    this.#scanned = 0;
    return rest;
  }

  bytesRead(_socket: Socket, chunk: Buffer): boolean {
    // The chunk is borrowed (socket-reads.ts): keep a copy.
    this.#buffer = this.#buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#buffer, chunk]);
    this.#wake();
    return false;
  }

  deadlineExpired(): void {
    this.#fail(new BackendLineError('timeout', 'timed out'));
  }

  #tooLong(): void {
    this.#error ??= new BackendLineError('too-long', `Remote sent a line longer than ${MAX_BACKEND_LINE} bytes`);
  }

  #fail(err: BackendLineError): void {
    this.#error ??= err;
    this.#wake();
  }

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.();
  }

  // Listeners are methods bound once, not arrow fields: under tsx (esbuild keepNames)
  // every named closure is wrapped in __name() when created, a cost per connection.
  readonly #onEnd = this.#onEndImpl.bind(this);

  #onEndImpl(): void {
    this.#fail(new BackendLineError('closed', 'Remote disconnected'));
  }

  readonly #onError = this.#onErrorImpl.bind(this);

  #onErrorImpl(err: NodeJS.ErrnoException): void {
    this.#fail(new BackendLineError('socket', `Remote connection failed: ${err.code ?? err.message}`));
  }
}
