import type { Socket } from 'node:net';
import type { Deadline, DeadlineWatcher } from '../../net/deadline.js';
import { readInto, stopReading, type ReadSink } from '../../net/socket-reads.js';
import { ignoreSocketError } from '../../net/ignore-error.js';
import { LiteralFramer, type FramedCommand } from '../../session/literal-framer.js';

/** Backend lines and literals before login are short (a capability list); a backend sending more is broken. */
const MAX_BACKEND_LINE = 64 * 1024;

export class BackendReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendReadError';
  }
}

/**
 * Reads ManageSieve responses (a line with its `{n}` literals) from a
 * backend during its login; `detach()` gives back what is left for the relay.
 */
export class BackendResponses implements ReadSink, DeadlineWatcher {
  readonly #socket: Socket;
  readonly #deadline: Deadline;
  readonly #framer = new LiteralFramer({ maxLineLength: MAX_BACKEND_LINE, maxLiteralSize: MAX_BACKEND_LINE });
  #waiter: { resolve: (response: FramedCommand) => void; reject: (err: Error) => void } | undefined;
  #error: Error | undefined;

  // Listeners are methods bound once, not arrow fields (see session/client-connection.ts).
  readonly #onEnd = this.#onEndImpl.bind(this);

  #onEndImpl(): void {
    this.#fail(new BackendReadError('backend closed the connection'));
  }

  readonly #onError = this.#onErrorImpl.bind(this);

  #onErrorImpl(err: Error): void {
    this.#fail(new BackendReadError(`backend socket error: ${err.message}`));
  }

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
    this.#fail(new BackendReadError('timed out'));
  }

  /** The next response: its line segments and literals. */
  next(): Promise<FramedCommand> {
    return new Promise<FramedCommand>((resolve, reject) => {
      this.#waiter = { resolve, reject };
      this.#wake();
    });
  }

  /** Stop reading and return the bytes not yet consumed as responses. */
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
    for (;;) {
      const event = this.#framer.next();
      // A server's literals are `{n}` (literal-s2c) and need no continuation.
      if (event?.kind === 'continue') continue;
      if (event?.kind === 'command') {
        this.#waiter = undefined;
        waiter.resolve(event.command);
        return;
      }
      if (event?.kind === 'error') {
        this.#fail(new BackendReadError(`backend sent an over-long ${event.error === 'literal_too_big' ? 'literal' : 'line'}`));
        return;
      }
      break;
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
