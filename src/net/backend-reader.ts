import type { Socket } from 'node:net';
import type { Deadline, DeadlineWatcher } from './deadline.js';
import { ignoreSocketError } from './ignore-error.js';
import { readInto, stopReading, type ReadSink } from './socket-reads.js';

/**
 * Longest backend line (or literal) accepted before login is done, CRLF
 * not counted. Dovecot's proxy reads with a 4 KiB buffer; an IMAP
 * CAPABILITY of a backend with many extensions or a long ID reply fits in
 * 64 KiB with room.
 */
export const MAX_BACKEND_LINE = 64 * 1024;

export type BackendLineErrorCode = 'timeout' | 'closed' | 'too-long' | 'socket';

/** Why nothing more can be read; login code maps it to a LoginFailure (backend-failure.ts). */
export class BackendLineError extends Error {
  readonly code: BackendLineErrorCode;

  constructor(code: BackendLineErrorCode, message: string) {
    super(message);
    this.name = 'BackendLineError';
    this.code = code;
  }
}

/**
 * What every reader of a backend's replies during a login or a probe
 * shares, whatever its framing (lines: backend-lines.ts; lines with
 * literals: the ManageSieve reader): bytes come through socket-reads.ts
 * (`readInto`), so a plain backend connection reads into the shared buffers
 * from its first byte; the login's deadline, the socket's end and errors
 * fail the next read; `detach()` stops reading and returns what arrived but
 * was not consumed, for the relay (BackendLoginSuccess.pending).
 */
export abstract class BackendReader<T> implements ReadSink, DeadlineWatcher {
  readonly #socket: Socket;
  #deadline: Deadline;
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
   * An item already received, without waiting (undefined if none): a login
   * reply usually brings several lines in one read, and each await costs.
   */
  abstract buffered(): T | undefined;

  /** Keep a copy of `chunk` (it is borrowed: socket-reads.ts). */
  protected abstract keep(chunk: Buffer): void;

  /** Everything kept and not yet returned; the reader is left empty. */
  protected abstract takeRemaining(): Buffer;

  /** The next item (one caller at a time). Rejects with BackendLineError. */
  async next(): Promise<T> {
    for (;;) {
      const item = this.buffered();
      if (item !== undefined) return item;
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
    return this.takeRemaining();
  }

  bytesRead(_socket: Socket, chunk: Buffer): boolean {
    this.keep(chunk);
    this.#wake();
    return false;
  }

  deadlineExpired(): void {
    this.fail(new BackendLineError('timeout', 'timed out'));
  }

  /** Nothing more will be read: the next (or pending) read rejects with the first such error. */
  protected fail(err: BackendLineError): void {
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
    this.fail(new BackendLineError('closed', 'Remote disconnected'));
  }

  readonly #onError = this.#onErrorImpl.bind(this);

  #onErrorImpl(err: NodeJS.ErrnoException): void {
    this.fail(new BackendLineError('socket', `Remote connection failed: ${err.code ?? err.message}`));
  }
}
