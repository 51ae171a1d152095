/**
 * How long a login on a fenced director (cluster/fencing.ts) waits for the
 * majority before it gets its temporary failure.
 *
 * Two cases look the same to the fence and are not: a director that has
 * just started and not yet heard its peers' acknowledgements, and one that
 * served and lost the majority. The first holds logins until the ring has
 * formed, up to `joinWaitMs` from its start, as Dovecot's director queues
 * requests until its ring is synced (src/director/director-request.c). The
 * second holds a login only while the loss may still be a blip of one
 * heartbeat (`blipWaitMs` from the moment it was first seen fenced); a
 * partition that lasts longer is answered at once, so clients try another
 * director instead of waiting on one that cannot serve them.
 *
 * Holding changes nothing for I1: the login still needs its claim granted by
 * a majority (docs/ring-protocol.md) once the fence lifts.
 */
export interface FenceWatchOptions {
  /** Whether this director is on the losing side now (RingNode.inMinority with ring.fence_minority). */
  readonly fenced: () => boolean;
  /** From start: how long logins wait for the ring to form (limits.move_wait). */
  readonly joinWaitMs: () => number;
  /** After serving: how long logins wait out a lost majority (ring.gossip.dead_after). */
  readonly blipWaitMs: () => number;
  readonly now?: () => number;
}

export class FenceWatch {
  readonly #opts: FenceWatchOptions;
  readonly #startedAt: number;
  #served = false;
  #fencedSince: number | undefined;

  constructor(opts: FenceWatchOptions) {
    this.#opts = opts;
    this.#startedAt = this.#now();
  }

  #now(): number {
    return (this.#opts.now ?? Date.now)();
  }

  /** Whether the director is fenced now; call it on every liveness change so the moment a fence began is known. */
  fenced(): boolean {
    const fenced = this.#opts.fenced();
    if (!fenced) {
      this.#served = true;
      this.#fencedSince = undefined;
    } else if (this.#fencedSince === undefined) {
      this.#fencedSince = this.#now();
    }
    return fenced;
  }

  /** Whether the director has not yet been out of the fence since it started. */
  joining(): boolean {
    return !this.#served;
  }

  /** Until when (ms) a login that finds the director fenced waits for the fence to lift. */
  holdUntil(): number {
    if (!this.#served) return this.#startedAt + this.#opts.joinWaitMs();
    return (this.#fencedSince ?? this.#now()) + this.#opts.blipWaitMs();
  }
}
