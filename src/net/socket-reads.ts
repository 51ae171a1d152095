import type { OnReadOpts, Socket } from 'node:net';

/**
 * Where a socket's bytes go. `chunk` is borrowed: it may be a view of a read
 * buffer that is read into again after this call. A sink keeps bytes only by
 * copying them or by writing them to a socket; it returns true when such a
 * write stayed queued (the socket's writableLength > 0), so that buffer is
 * not reused while the write still points into it. Such a buffer is lent
 * until the sink calls `writesFlushed(socket)` (every write it made since
 * has completed, e.g. on 'drain' of the socket written to); a sink that
 * never does leaves lent buffers to the GC.
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
/** Free own buffers kept for reuse (4 MiB): a bulk session ping-pongs between two. */
const MAX_POOLED = 64;

const kSink = Symbol('readSink');
const kOwn = Symbol('ownReadBuffer');
const kHeld = Symbol('heldBytes');
const kLent = Symbol('lentReadBuffers');
const kWatched = Symbol('closeWatched');
const kTapped = Symbol('sharedReads');

interface ReadSocket extends Socket {
  [kTapped]?: true;
  [kSink]?: ReadSink | undefined;
  /** This socket's own read buffer while its reads are big. */
  [kOwn]?: Buffer | undefined;
  /** Bytes read while no sink was attached (copies), delivered on attach. */
  [kHeld]?: Buffer[] | undefined;
  /** Own buffers a queued write still points into, until writesFlushed(). */
  [kLent]?: Buffer[] | undefined;
  /** onOwnerClose is registered (once per socket: adding and removing listeners costs more). */
  [kWatched]?: true;
}

const shared = Buffer.allocUnsafeSlow(READ_SIZE);
/** The buffer the read that just finished chose for its socket's next read (see nextBuffer). */
let chosen: Buffer = shared;
let ownBuffers = 0;
/**
 * Own buffers no socket and no write holds. Without reuse a bulk relay to a
 * client slower than its backend allocated a fresh 64 KiB buffer per read:
 * a quarter of its CPU went to GC (docs/bench.md).
 */
const pool: Buffer[] = [];
let allocated = 0;
let lent = 0;

function freshBuffer(): Buffer {
  const reused = pool.pop();
  if (reused !== undefined) return reused;
  allocated++;
  return Buffer.allocUnsafeSlow(READ_SIZE);
}

function toPool(buffer: Buffer): void {
  if (pool.length < MAX_POOLED) pool.push(buffer);
}

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
 * Stop delivering bytes. A 'data' socket is paused. A shared-read socket
 * goes on reading until one read comes with no sink: that read is held
 * (copied) for the next sink and pauses the socket (onRead). A login
 * reader hands its socket to the relay in the same turn, so pausing here
 * would only cost a readStop and a readStart (two epoll_ctl calls).
 */
export function stopReading(socket: Socket): void {
  const s = socket as ReadSocket;
  if (s[kSink] === undefined) return;
  s[kSink] = undefined;
  if (s[kTapped] === true) return;
  socket.off('data', onData);
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
    if (retained) lend(this, own);
    releaseOwnBuffer(this, !retained);
  } else if (retained) {
    // The queued write holds this one until writesFlushed(); read on into another.
    lend(this, own);
    const next = freshBuffer();
    this[kOwn] = next;
    chosen = next;
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
  const own = freshBuffer();
  socket[kOwn] = own;
  watchClose(socket);
  return own;
}

function releaseOwnBuffer(socket: ReadSocket, reusable: boolean): void {
  const own = socket[kOwn];
  if (own === undefined) return;
  socket[kOwn] = undefined;
  ownBuffers--;
  if (reusable) toPool(own);
}

function lend(socket: ReadSocket, buffer: Buffer): void {
  lent++;
  (socket[kLent] ??= []).push(buffer);
  watchClose(socket);
}

function watchClose(socket: ReadSocket): void {
  if (socket[kWatched] === true) return;
  socket[kWatched] = true;
  socket.on('close', onOwnerClose);
}

function onOwnerClose(this: ReadSocket): void {
  // A write that was cut off may still be unwound: lent buffers go to the GC.
  this[kLent] = undefined;
  if (this[kOwn] === undefined) return;
  this[kOwn] = undefined;
  ownBuffers--;
}

/**
 * Every write the sink made with this socket's chunks has completed: its
 * lent buffers can be read into again.
 */
export function writesFlushed(socket: Socket): void {
  const s = socket as ReadSocket;
  const lent = s[kLent];
  if (lent === undefined) return;
  s[kLent] = undefined;
  for (const buffer of lent) toPool(buffer);
}

/** Sockets holding an own read buffer now (for tests and metrics). */
export function ownReadBufferCount(): number {
  return ownBuffers;
}

/** Own buffers allocated so far, reuse not counted (for tests). */
export function allocatedReadBufferCount(): number {
  return allocated;
}

/** Reads whose buffer a queued write held (lent) so far (for tests). */
export function lentReadBufferCount(): number {
  return lent;
}
