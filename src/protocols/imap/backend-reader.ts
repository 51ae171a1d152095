import type { Socket } from 'node:net';
import { LoginFailure } from '../../core/failure.js';
import type { Deadline, DeadlineWatcher } from '../../net/deadline.js';
import { readInto, stopReading, type ReadSink } from '../../net/socket-reads.js';
import { ignoreSocketError } from '../../net/ignore-error.js';

/** Longest backend line accepted during login (Dovecot's proxy input buffer is 4 KiB; be generous). */
const MAX_BACKEND_LINE = 64 * 1024;

export class BackendTimeout extends Error {
  constructor() {
    super('timed out');
    this.name = 'BackendTimeout';
  }
}

const EMPTY = Buffer.alloc(0);


/**
 * Reads CRLF lines from a backend during login. `detach()` stops reading and
 * returns what arrived but was not consumed, in order: the relay sends it on.
 */
export class BackendLineReader implements ReadSink, DeadlineWatcher {
  readonly #socket: Socket;
  #buffer: Buffer = EMPTY;
  #closed: string | undefined;
  #waiting: { resolve: () => void; reject: (err: Error) => void; deadline: Deadline } | undefined;

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onEnd);
    socket.on('error', this.#onError);
    readInto(socket, this);
  }

  /**
   * A line already received, without waiting (undefined if none): a login
   * reply usually brings several lines in one read, and each await costs.
   */
  buffered(): string | undefined {
    const lf = this.#buffer.indexOf(0x0a);
    if (lf < 0) return undefined;
    const end = lf > 0 && this.#buffer[lf - 1] === 0x0d ? lf - 1 : lf;
    const line = this.#buffer.toString('latin1', 0, end);
    this.#buffer = this.#buffer.subarray(lf + 1);
    return line;
  }

  /** The next line without CRLF (latin1, so bytes survive). Throws LoginFailure or BackendTimeout. */
  async next(deadline: Deadline): Promise<string> {
    for (;;) {
      const line = this.buffered();
      if (line !== undefined) return line;
      if (this.#buffer.length > MAX_BACKEND_LINE) {
        throw new LoginFailure('backend_unavailable', 'Remote sent a too long line');
      }
      if (deadline.expired) throw new BackendTimeout();
      if (this.#closed !== undefined) throw new LoginFailure('backend_unavailable', this.#closed);
      await new Promise<void>((resolve, reject) => {
        this.#waiting = { resolve, reject, deadline };
        deadline.watch(this);
      });
    }
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
    const rest = this.#buffer;
    this.#buffer = EMPTY;
    return rest;
  }

  bytesRead(_socket: Socket, chunk: Buffer): boolean {
    // The chunk is borrowed (socket-reads.ts): keep a copy.
    this.#buffer = this.#buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#buffer, chunk]);
    this.#wake();
    return false;
  }

  deadlineExpired(): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.reject(new BackendTimeout());
  }

  #wake(): void {
    const waiting = this.#waiting;
    if (waiting === undefined) return;
    this.#waiting = undefined;
    waiting.deadline.unwatch(this);
    waiting.resolve();
  }

  // Listeners are methods bound once, not arrow fields: under tsx (esbuild keepNames)
  // every named closure is wrapped in __name() when created, a cost per connection.
  readonly #onEnd = this.#onEndImpl.bind(this);

  #onEndImpl(): void {
    this.#closed ??= 'Remote disconnected';
    this.#wake();
  }

  readonly #onError = this.#onErrorImpl.bind(this);

  #onErrorImpl(err: NodeJS.ErrnoException): void {
    this.#closed ??= `Remote connection failed: ${err.code ?? err.message}`;
    this.#wake();
  }
}
