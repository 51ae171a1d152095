import type { Socket } from 'node:net';

/** How long a socket that was ended may take to flush before it is destroyed. */
export const CLOSE_GRACE_MS = 2000;
/** Destroys happen up to this much after the grace: one coarse timer for all closing sockets. */
const SWEEP_MS = 500;

// Every socket gets the same grace, so the queue is in deadline order.
const sockets: (Socket | undefined)[] = [];
const deadlines: number[] = [];
let head = 0;
let timer: NodeJS.Timeout | undefined;

/**
 * Destroy `socket` once CLOSE_GRACE_MS have passed, unless it closed by
 * itself first (the usual case: the peer read the last reply and closed
 * too). For a socket that was just end()ed, so that a peer that stops
 * reading cannot keep it open. One shared timer instead of one per
 * closing connection: a busy director closes thousands per second.
 */
export function destroyAfterGrace(socket: Socket): void {
  if (socket.destroyed) return;
  sockets.push(socket);
  deadlines.push(Date.now() + CLOSE_GRACE_MS);
  if (timer === undefined) {
    timer = setInterval(sweep, SWEEP_MS);
    timer.unref();
  }
}

function sweep(): void {
  const now = Date.now();
  while (head < sockets.length && (deadlines[head] ?? 0) <= now) {
    const socket = sockets[head];
    sockets[head] = undefined;
    head++;
    if (socket !== undefined && !socket.destroyed) socket.destroy();
  }
  if (head === sockets.length) {
    sockets.length = 0;
    deadlines.length = 0;
    head = 0;
    clearInterval(timer);
    timer = undefined;
  } else if (head >= 4096) {
    sockets.splice(0, head);
    deadlines.splice(0, head);
    head = 0;
  }
}

/** Sockets waiting for their grace to pass (for tests). */
export function socketsInGrace(): number {
  return sockets.length - head;
}
