import type { OnReadOpts, Socket } from 'node:net';

/**
 * Where a socket's bytes go. `chunk` is borrowed: it may be a view of a read
 * buffer that is read into again after this call. A sink keeps bytes only by
 * copying them or by writing them to a socket; it returns true when such a
 * write stayed queued (the socket's writableLength > 0), so that buffer is
 * not reused while the write still points into it.
 */
export interface ReadSink {
  bytesRead(socket: Socket, chunk: Buffer): boolean;
}

/**
 * How bytes are read from backend sockets.
 *
 * Node reads every chunk of a socket into a fresh 64 KiB buffer: per MB
 * relayed that is page faults, zeroing and external memory the GC has to
 * chase, most of a relay's CPU (docs/node-floor.md). A socket made with
 * `connectOptions()` reads into buffers of ours instead:
 *
 * - quiet sockets share one process-wide buffer; each read is copied out at
 *   once, so idle sessions hold no read buffer at all (the memory target is
 *   a few KB per session);
 * - a socket whose reads fill 16 KiB or more (a FETCH of a big message) gets
 *   its own 64 KiB buffer that is reused read after read and handed to the
 *   client's write as it is; only when that write stays queued is a new one
 *   allocated. Back to the shared buffer after a short read.
 *
 * The number of own buffers is capped, so a burst of bulk sessions cannot
 * pin more than MAX_OWN_BUFFERS × 64 KiB.
 *
 * Sockets made without it (TLS, STARTTLS: the TLS layer reads the socket
 * itself; client sockets from accept(), which Node cannot give a buffer)
 * are read with 'data' events; `readInto()` hides the difference.
 */
const READ_SIZE = 64 * 1024;
const BULK_READ = 16 * 1024;
const MAX_OWN_BUFFERS = 512;

const kSink = Symbol('readSink');
const kOwn = Symbol('ownReadBuffer');
const kHeld = Symbol('heldBytes');
const kTapped = Symbol('sharedReads');

interface ReadSocket extends Socket {
  [kTapped]?: true;
  [kSink]?: ReadSink | undefined;
  /** This socket's own read buffer while its reads are big. */
  [kOwn]?: Buffer | undefined;
  /** Bytes read while no sink was attached (copies), delivered on attach. */
  [kHeld]?: Buffer[] | undefined;
}

const shared = Buffer.allocUnsafeSlow(READ_SIZE);
/** The buffer the read that just finished chose for its socket's next read (see nextBuffer). */
let chosen: Buffer = shared;
let ownBuffers = 0;

/** Options for net.connect(): read into the buffers above. */
export function sharedReadOptions(): { onread: OnReadOpts } {
  return { onread: { buffer: nextBuffer, callback: onRead } };
}

/** Mark a socket made with sharedReadOptions() (call right after net.connect). */
export function markSharedReads(socket: Socket): void {
  (socket as ReadSocket)[kTapped] = true;
}

/** Send this socket's bytes to `sink` from now on (held bytes first). Starts reading. */
export function readInto(socket: Socket, sink: ReadSink): void {
  const s = socket as ReadSocket;
  if (s[kTapped] !== true) {
    if (s[kSink] === undefined) socket.on('data', onData);
    s[kSink] = sink;
    socket.resume();
    return;
  }
  s[kSink] = sink;
  const held = s[kHeld];
  if (held !== undefined) {
    s[kHeld] = undefined;
    for (const chunk of held) sink.bytesRead(socket, chunk);
  }
  socket.resume();
}

/**
 * Stop delivering bytes. A 'data' socket is paused; a shared-read socket
 * keeps at most what one read brings (copied) for the next sink and pauses.
 */
export function stopReading(socket: Socket): void {
  const s = socket as ReadSocket;
  if (s[kSink] === undefined) return;
  s[kSink] = undefined;
  if (s[kTapped] !== true) socket.off('data', onData);
  socket.pause();
}

function onData(this: ReadSocket, chunk: Buffer): void {
  this[kSink]?.bytesRead(this, chunk);
}

/** Node calls this right after each read's callback (and once when the socket opens). */
function nextBuffer(): Buffer {
  const next = chosen;
  chosen = shared;
  return next;
}

/**
 * Node's onread callback; `this` is the socket. Returning false pauses
 * reading: with no sink, the kernel keeps the rest until readInto().
 */
function onRead(this: ReadSocket, nread: number, buffer: Uint8Array): boolean {
  const sink = this[kSink];
  if (buffer === shared) {
    const copy = Buffer.allocUnsafe(nread);
    shared.copy(copy, 0, 0, nread);
    if (sink === undefined) hold(this, copy);
    else sink.bytesRead(this, copy);
    // Chosen after the sink ran: had it thrown, the next socket to ask
    // (nextBuffer) must get the shared buffer, never this socket's own.
    if (nread >= BULK_READ) chosen = takeOwnBuffer(this);
    return sink !== undefined;
  }
  const own = buffer as Buffer;
  const chunk = own.subarray(0, nread);
  let retained = false;
  if (sink === undefined) hold(this, Buffer.from(chunk));
  else retained = sink.bytesRead(this, chunk);
  if (nread < BULK_READ) {
    releaseOwnBuffer(this);
  } else if (retained) {
    // The queued write owns this one now; read on into a new one.
    const fresh = Buffer.allocUnsafeSlow(READ_SIZE);
    this[kOwn] = fresh;
    chosen = fresh;
  } else {
    chosen = own;
  }
  return sink !== undefined;
}

function hold(socket: ReadSocket, copy: Buffer): void {
  (socket[kHeld] ??= []).push(copy);
}

function takeOwnBuffer(socket: ReadSocket): Buffer {
  if (ownBuffers >= MAX_OWN_BUFFERS || socket.destroyed) return shared;
  ownBuffers++;
  const own = Buffer.allocUnsafeSlow(READ_SIZE);
  socket[kOwn] = own;
  socket.on('close', onOwnerClose);
  return own;
}

function releaseOwnBuffer(socket: ReadSocket): void {
  if (socket[kOwn] === undefined) return;
  socket[kOwn] = undefined;
  ownBuffers--;
  socket.off('close', onOwnerClose);
}

function onOwnerClose(this: ReadSocket): void {
  if (this[kOwn] === undefined) return;
  this[kOwn] = undefined;
  ownBuffers--;
}

/** Sockets holding an own read buffer now (for tests and metrics). */
export function ownReadBufferCount(): number {
  return ownBuffers;
}
