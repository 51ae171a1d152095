import type { Socket } from 'node:net';
import type { Deadline, DeadlineWatcher } from '../../net/deadline.js';
import { readInto, stopReading, type ReadSink } from '../../net/socket-reads.js';
import { LineFramer } from './framer.js';
import { ignoreSocketError } from '../../net/ignore-error.js';

/** Backend replies before login are short; a backend sending more is broken. */
const MAX_BACKEND_LINE = 16 * 1024;

export class BackendLineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendLineError';
  }
}


/** Reads reply lines from a backend socket during its login; `detach()` gives back what is left. */
export class BackendLines implements ReadSink, DeadlineWatcher {
  readonly #socket: Socket;
  readonly #framer = new LineFramer(MAX_BACKEND_LINE);
  #waiter: { resolve: (line: string) => void; reject: (err: Error) => void } | undefined;
  #error: Error | undefined;

  // Listeners are methods bound once, not arrow fields: under tsx (esbuild keepNames)
  // every named closure is wrapped in __name() when created, a cost per connection.
  readonly #onEnd = this.#onEndImpl.bind(this);

  #onEndImpl(): void {
    this.#fail(new BackendLineError('backend closed the connection'));
  }

  readonly #onError = this.#onErrorImpl.bind(this);

  #onErrorImpl(err: Error): void {
    this.#fail(new BackendLineError(`backend socket error: ${err.message}`));
  }

  readonly #deadline: Deadline;

  constructor(socket: Socket, deadline: Deadline) {
    this.#socket = socket;
    this.#deadline = deadline;
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onEnd);
    socket.on('error', this.#onError);
    deadline.watch(this);
    readInto(socket, this);
  }

  bytesRead(_socket: Socket, chunk: Buffer): boolean {
    // The chunk is borrowed (socket-reads.ts) and the framer keeps what it is given.
    this.#framer.push(Buffer.from(chunk));
    this.#wake();
    return false;
  }

  deadlineExpired(): void {
    this.#fail(new BackendLineError('timed out'));
  }

  /** The next line without its CRLF, decoded as UTF-8. */
  readLine(): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      this.#waiter = { resolve, reject };
      this.#wake();
    });
  }

  /** Stop reading (see stopReading) and return the bytes not yet consumed as lines. */
  detach(): Buffer {
    stopReading(this.#socket);
    this.#socket.off('end', this.#onEnd);
    this.#socket.off('close', this.#onEnd);
    this.#socket.off('error', this.#onError);
    // A late error on a socket nobody listens to would crash the process.
    this.#socket.on('error', ignoreSocketError);
    this.#deadline.unwatch(this);
    this.#waiter = undefined;
    return this.#framer.takeRemaining();
  }

  #wake(): void {
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    const frame = this.#framer.next();
    if (frame.kind === 'line') {
      this.#waiter = undefined;
      waiter.resolve(frame.line.toString('utf8'));
      return;
    }
    if (frame.kind === 'too-long') {
      this.#fail(new BackendLineError('backend sent an over-long line'));
      return;
    }
    if (this.#error !== undefined) {
      this.#waiter = undefined;
      waiter.reject(this.#error);
    }
  }

  #fail(err: Error): void {
    this.#error ??= err;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(this.#error);
  }
}
