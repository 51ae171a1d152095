import type { Socket } from 'node:net';
import { LoginFailure } from '../../core/failure.js';

/** Longest backend line accepted during login (Dovecot's proxy input buffer is 4 KiB; be generous). */
const MAX_BACKEND_LINE = 64 * 1024;

export class BackendTimeout extends Error {
  constructor() {
    super('timed out');
    this.name = 'BackendTimeout';
  }
}

/**
 * Reads CRLF lines from a backend during login, in 'readable' mode so that
 * bytes it has not pulled stay inside the socket. `detach()` removes every
 * listener and returns what was pulled but not consumed, in order.
 */
export class BackendLineReader {
  readonly #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #closed: string | undefined;
  #wake: (() => void) | undefined;

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('readable', this.#onEvent);
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onEnd);
    socket.on('error', this.#onError);
  }

  /** The next line without CRLF (latin1, so bytes survive). Throws LoginFailure or BackendTimeout. */
  async next(signal: AbortSignal): Promise<string> {
    for (;;) {
      const lf = this.#buffer.indexOf(0x0a);
      if (lf >= 0) {
        const end = lf > 0 && this.#buffer[lf - 1] === 0x0d ? lf - 1 : lf;
        const line = this.#buffer.toString('latin1', 0, end);
        this.#buffer = this.#buffer.subarray(lf + 1);
        return line;
      }
      if (this.#buffer.length > MAX_BACKEND_LINE) {
        throw new LoginFailure('backend_unavailable', 'Remote sent a too long line');
      }
      if (signal.aborted) throw new BackendTimeout();
      const chunk: unknown = this.#socket.read();
      if (chunk !== null) {
        const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), 'latin1');
        this.#buffer = this.#buffer.length === 0 ? bytes : Buffer.concat([this.#buffer, bytes]);
        continue;
      }
      if (this.#closed !== undefined) throw new LoginFailure('backend_unavailable', this.#closed);
      await this.#waitForInput(signal);
    }
  }

  /** Stop reading; the caller owns the socket and these unconsumed bytes. */
  detach(): Buffer {
    this.#socket.off('readable', this.#onEvent);
    this.#socket.off('end', this.#onEnd);
    this.#socket.off('close', this.#onEnd);
    this.#socket.off('error', this.#onError);
    const rest = this.#buffer;
    this.#buffer = Buffer.alloc(0);
    return rest;
  }

  #waitForInput(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#wake = undefined;
        reject(new BackendTimeout());
      };
      this.#wake = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  // Listeners are methods bound once, not arrow fields: under tsx (esbuild keepNames)
  // every named closure is wrapped in __name() when created, a cost per connection.
  readonly #onEvent = this.#onEventImpl.bind(this);

  #onEventImpl(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  readonly #onEnd = this.#onEndImpl.bind(this);

  #onEndImpl(): void {
    this.#closed ??= 'Remote disconnected';
    this.#onEvent();
  }

  readonly #onError = this.#onErrorImpl.bind(this);

  #onErrorImpl(err: NodeJS.ErrnoException): void {
    this.#closed ??= `Remote connection failed: ${err.code ?? err.message}`;
    this.#onEvent();
  }
}
