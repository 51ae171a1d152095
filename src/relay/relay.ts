import type { Socket } from 'node:net';
import { readInto, writesFlushed, type ReadSink } from '../net/socket-reads.js';
import { IdleSweeper } from './idle-sweeper.js';
import { destroyAfterGrace } from '../net/close-grace.js';

export interface RelayOptions {
  /** Bytes the client sent after its login command; the backend gets them first. */
  readonly clientPending: Buffer;
  /** Bytes the backend sent after its login reply; the client gets them first. */
  readonly backendPending: Buffer;
  /** Close both sides after this long with no bytes either way. */
  readonly idleTimeoutMs: number;
  /** Told once when both sides have closed (an object, not a closure: one less allocation per session). */
  readonly owner?: RelayOwner | undefined;
}

export interface RelayOwner {
  relayEnded(result: RelayResult): void;
}

export type RelayEnd = 'client_closed' | 'backend_closed' | 'idle_timeout' | 'kicked' | 'client_error' | 'backend_error';

export interface RelayResult {
  readonly end: RelayEnd;
  readonly bytesFromClient: number;
  readonly bytesFromBackend: number;
}

/**
 * A relayed pair of sockets. After login nothing is parsed: each chunk is
 * written to the other side as it is, and a full write buffer pauses the
 * reading side until 'drain' (no stream pipe machinery). A backend socket
 * made with shared reads hands over chunks of a reused buffer
 * (net/socket-reads.ts). Bytes are counted from the sockets' own counters,
 * and idleness is checked by one shared coarse timer instead of a timer per
 * socket.
 */
export class Relay implements ReadSink {
  readonly #client: Socket;
  readonly #backend: Socket;
  readonly #clientBase: number;
  readonly #backendBase: number;
  readonly #pendingClient: number;
  readonly #pendingBackend: number;
  readonly #idleTimeoutMs: number;
  #end: RelayEnd | undefined;
  #closedSides = 0;
  #owner: RelayOwner | undefined;
  #result: RelayResult | undefined;
  #done: Promise<RelayResult> | undefined;
  #resolve: ((result: RelayResult) => void) | undefined;
  /** Sum of both sockets' bytesRead at the last sweep, and when it last changed. */
  #lastBytes = -1;
  #lastActiveAt = 0;

  constructor(client: Socket, backend: Socket, options: RelayOptions) {
    this.#client = client;
    this.#backend = backend;
    this.#clientBase = client.bytesRead;
    this.#backendBase = backend.bytesRead;
    this.#pendingClient = options.clientPending.length;
    this.#pendingBackend = options.backendPending.length;
    this.#idleTimeoutMs = options.idleTimeoutMs;
    this.#owner = options.owner;

    // The handlers are module-level functions that find the relay on the
    // socket (`this` of a listener is the emitter): no closures per session.
    const clientSide = client as RelaySide;
    const backendSide = backend as RelaySide;
    clientSide[kRelay] = this;
    backendSide[kRelay] = this;
    // A side may have closed before the relay began (a client that left
    // while its login was held): its 'close' will not come again.
    // `on`, not `once`: 'close' and 'end' come once anyway, and once() wraps each listener.
    if (client.closed) this.sideClosed();
    else client.on('close', onClientClose);
    if (backend.closed) this.sideClosed();
    else backend.on('close', onBackendClose);

    client.on('error', onClientError);
    backend.on('error', onBackendError);
    client.on('end', onClientEnd);
    backend.on('end', onBackendEnd);

    client.setNoDelay(true);
    backend.setNoDelay(true);

    if (options.backendPending.length > 0) client.write(options.backendPending);
    if (options.clientPending.length > 0) backend.write(options.clientPending);
    readInto(client, this);
    readInto(backend, this);
    client.on('drain', onClientDrain);
    backend.on('drain', onBackendDrain);
    // Never leave the other side logged in when one is already gone.
    if (client.destroyed || client.readableEnded) this.finish('client_closed');
    else if (backend.destroyed || backend.readableEnded) this.finish('backend_closed');
    else IdleSweeper.for(this.#idleTimeoutMs).add(this);
  }

  /** Settles when both sides have closed (made on first use; sessions use `owner`). */
  get done(): Promise<RelayResult> {
    if (this.#done === undefined) {
      const result = this.#result;
      this.#done = result !== undefined ? Promise.resolve(result) : new Promise<RelayResult>((resolve) => (this.#resolve = resolve));
    }
    return this.#done;
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
    this.#stopSweeping();
    this.#backend.destroy();
    if (!this.#client.destroyed && this.#client.writable) {
      this.#client.end(clientText);
      // A client that does not read must not keep the socket open.
      destroyAfterGrace(this.#client);
    } else {
      this.#client.destroy();
    }
  }

  /** Called by the shared sweeper; true when this relay is over and can be forgotten. */
  sweep(now: number): boolean {
    if (this.#end !== undefined) return true;
    const bytes = this.#client.bytesRead + this.#backend.bytesRead;
    if (bytes !== this.#lastBytes) {
      this.#lastBytes = bytes;
      this.#lastActiveAt = now;
      return false;
    }
    if (now - this.#lastActiveAt < this.#idleTimeoutMs) return false;
    this.finish('idle_timeout');
    return true;
  }

  /** `from` sent a chunk: pass it on, and stop reading `from` while `to` is full. True while the write holds the chunk. */
  bytesRead(from: Socket, chunk: Buffer): boolean {
    const to = from === this.#client ? this.#backend : this.#client;
    if (!to.write(chunk)) from.pause();
    return to.writableLength > 0;
  }

  /** `side` has written everything it was given: read again from the other side, into the buffers those writes held. */
  drained(side: Socket): void {
    if (this.#end !== undefined) return;
    const from = side === this.#client ? this.#backend : this.#client;
    writesFlushed(from);
    from.resume();
  }

  /** A side's socket closed; the relay is done when both have. */
  sideClosed(): void {
    this.#closedSides++;
    if (this.#closedSides !== 2) return;
    const result: RelayResult = { end: this.#end ?? 'client_closed', ...this.byteCounts() };
    this.#result = result;
    const resolve = this.#resolve;
    const owner = this.#owner;
    this.#resolve = undefined;
    this.#owner = undefined;
    resolve?.(result);
    owner?.relayEnded(result);
  }

  #stopSweeping(): void {
    IdleSweeper.for(this.#idleTimeoutMs).delete(this);
  }

  /** End the relay (first reason wins); used by the socket listeners and the sweeper. */
  finish(end: RelayEnd): void {
    if (this.#end !== undefined) return;
    this.#end = end;
    this.#stopSweeping();
    switch (end) {
      case 'backend_closed':
        // Let what the backend said last (e.g. BYE) reach the client.
        this.#client.end();
        destroyAfterGrace(this.#client);
        break;
      case 'client_closed':
        this.#backend.end();
        destroyAfterGrace(this.#backend);
        break;
      default:
        this.#client.destroy();
        this.#backend.destroy();
    }
  }
}

const kRelay = Symbol('relay');

/** A relayed socket carries its relay, for the shared listeners below. */
interface RelaySide extends Socket {
  [kRelay]?: Relay;
}

function onClientDrain(this: RelaySide): void {
  this[kRelay]?.drained(this);
}
const onBackendDrain = onClientDrain;

function onClientClose(this: RelaySide): void {
  const relay = this[kRelay];
  relay?.sideClosed();
  relay?.finish('client_closed');
}

function onBackendClose(this: RelaySide): void {
  const relay = this[kRelay];
  relay?.sideClosed();
  relay?.finish('backend_closed');
}

function onClientEnd(this: RelaySide): void {
  this[kRelay]?.finish('client_closed');
}

function onBackendEnd(this: RelaySide): void {
  this[kRelay]?.finish('backend_closed');
}

function onClientError(this: RelaySide): void {
  this[kRelay]?.finish('client_error');
}

function onBackendError(this: RelaySide): void {
  this[kRelay]?.finish('backend_error');
}
