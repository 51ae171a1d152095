import type { Logger } from 'pino';
import type { BackendRing } from '../ring/hash-ring.js';
import type { SessionRegistry } from '../session/registry.js';

/** What the client is told when its backend left the ring (Dovecot: "Disconnected by proxy"). */
export const BACKEND_GONE_REASON = 'Disconnected by proxy: backend server is down';

export interface RingKickerOptions {
  readonly registry: SessionRegistry;
  /** Spread kicks over up to this long (Dovecot's login_proxy_max_disconnect_delay); read per change. */
  readonly maxDelayMs: () => number;
  /** The ring as of now, to re-check a backend when a delayed kick comes due. */
  readonly ring: () => BackendRing;
  readonly log: Logger;
  readonly random?: () => number;
}

/**
 * I1 (docs/invariants.md) on this director: when the effective ring takes a backend out
 * (voted or set down, or removed), end this director's sessions relayed to
 * it, so their users log in again where the ring now sends them. Sessions
 * whose destination is not a configured backend (an LDAP host outside the
 * ring) are left alone. Kicks are spread at random over maxDelayMs so the
 * clients do not all reconnect at once.
 */
export class RingKicker {
  readonly #opts: RingKickerOptions;
  readonly #pending = new Map<string, NodeJS.Timeout>();

  constructor(opts: RingKickerOptions) {
    this.#opts = opts;
  }

  /** Call with each new effective ring. Returns how many sessions were scheduled for a kick. */
  ringChanged(next: BackendRing): number {
    const random = this.#opts.random ?? Math.random;
    const maxDelayMs = Math.max(0, this.#opts.maxDelayMs());
    let scheduled = 0;
    for (const s of this.#opts.registry.list()) {
      if (s.backendId === undefined || next.isUp(s.backendId) || this.#pending.has(s.sessionId)) continue;
      const backendId = s.backendId;
      const kick = (): void => {
        this.#pending.delete(s.sessionId);
        // Back in service meanwhile: the user's sessions may stay.
        if (this.#opts.ring().isUp(backendId)) return;
        this.#opts.registry.kickUser(s.user, BACKEND_GONE_REASON, s.backendHost);
      };
      scheduled += 1;
      if (maxDelayMs === 0) {
        kick();
        continue;
      }
      const timer = setTimeout(kick, Math.floor(random() * maxDelayMs));
      timer.unref();
      this.#pending.set(s.sessionId, timer);
    }
    if (scheduled > 0) this.#opts.log.info({ sessions: scheduled, maxDelayMs, down: [...next.down].sort() }, 'ending sessions on backends out of the ring');
    return scheduled;
  }

  stop(): void {
    for (const t of this.#pending.values()) clearTimeout(t);
    this.#pending.clear();
  }
}
