import type { Socket } from 'node:net';

export interface RelayOptions {
  /** Bytes the client sent after its login command; the backend gets them first. */
  readonly clientPending: Buffer;
  /** Bytes the backend sent after its login reply; the client gets them first. */
  readonly backendPending: Buffer;
  /** Close both sides after this long with no bytes either way. */
  readonly idleTimeoutMs: number;
}

export type RelayEnd = 'client_closed' | 'backend_closed' | 'idle_timeout' | 'kicked' | 'client_error' | 'backend_error';

export interface RelayResult {
  readonly end: RelayEnd;
  readonly bytesFromClient: number;
  readonly bytesFromBackend: number;
}

/**
 * A relayed pair of sockets. After login nothing is parsed: bytes are piped
 * unchanged with the streams' own backpressure, counted from the sockets'
 * counters (no per-chunk work).
 */
export class Relay {
  readonly #client: Socket;
  readonly #backend: Socket;
  readonly #clientBase: number;
  readonly #backendBase: number;
  readonly #pendingClient: number;
  readonly #pendingBackend: number;
  #end: RelayEnd | undefined;
  readonly done: Promise<RelayResult>;

  constructor(client: Socket, backend: Socket, options: RelayOptions) {
    this.#client = client;
    this.#backend = backend;
    this.#clientBase = client.bytesRead;
    this.#backendBase = backend.bytesRead;
    this.#pendingClient = options.clientPending.length;
    this.#pendingBackend = options.backendPending.length;

    this.done = new Promise<RelayResult>((resolve) => {
      let closed = 0;
      const onClose = (): void => {
        closed++;
        if (closed === 2) resolve({ end: this.#end ?? 'client_closed', ...this.byteCounts() });
      };
      // A side may have closed before the relay began (a client that left
      // while its login was held): its 'close' will not come again.
      for (const socket of [client, backend]) {
        if (socket.closed) onClose();
        else socket.once('close', onClose);
      }
    });

    client.on('error', () => this.#finish('client_error'));
    backend.on('error', () => this.#finish('backend_error'));
    client.once('end', () => this.#finish('client_closed'));
    backend.once('end', () => this.#finish('backend_closed'));
    client.once('close', () => this.#finish('client_closed'));
    backend.once('close', () => this.#finish('backend_closed'));

    // A socket's timeout is refreshed by reads and writes alike, so the
    // client side alone sees traffic in both directions.
    client.setTimeout(options.idleTimeoutMs, () => this.#finish('idle_timeout'));
    client.setNoDelay(true);
    backend.setNoDelay(true);

    if (options.backendPending.length > 0) client.write(options.backendPending);
    if (options.clientPending.length > 0) backend.write(options.clientPending);
    client.pipe(backend, { end: false });
    backend.pipe(client, { end: false });
    client.resume();
    backend.resume();
    // Never leave the other side logged in when one is already gone.
    if (client.destroyed || client.readableEnded) this.#finish('client_closed');
    else if (backend.destroyed || backend.readableEnded) this.#finish('backend_closed');
  }

  byteCounts(): { bytesFromClient: number; bytesFromBackend: number } {
    return {
      bytesFromClient: this.#client.bytesRead - this.#clientBase + this.#pendingClient,
      bytesFromBackend: this.#backend.bytesRead - this.#backendBase + this.#pendingBackend,
    };
  }

  /** Operator kick: tell the client why, then close both sides. */
  kick(clientText: string): void {
    if (this.#end !== undefined) return;
    this.#end = 'kicked';
    this.#backend.destroy();
    this.#client.setTimeout(0);
    if (!this.#client.destroyed && this.#client.writable) {
      this.#client.end(clientText);
      // A client that does not read must not keep the socket open.
      setTimeout(() => this.#client.destroy(), 2000).unref();
    } else {
      this.#client.destroy();
    }
  }

  #finish(end: RelayEnd): void {
    if (this.#end !== undefined) return;
    this.#end = end;
    this.#client.setTimeout(0);
    switch (end) {
      case 'backend_closed':
        // Let what the backend said last (e.g. BYE) reach the client.
        this.#client.end();
        setTimeout(() => this.#client.destroy(), 2000).unref();
        break;
      case 'client_closed':
        this.#backend.end();
        setTimeout(() => this.#backend.destroy(), 2000).unref();
        break;
      default:
        this.#client.destroy();
        this.#backend.destroy();
    }
  }
}
