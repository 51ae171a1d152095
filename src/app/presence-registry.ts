import type { SessionPresence } from '../cluster/presence.js';
import type { LiveSession, LocalSessionRegistry, SessionInfo, SessionRegistry } from '../session/registry.js';

/**
 * The director's session registry, reporting each session's start and end
 * to the ring-wide presence (cluster/presence.ts). Map updates only: the
 * ring entries are written once per user per event-loop turn.
 *
 * A login claims its destination before the backend login (I1 in docs/invariants.md: other
 * directors see the user there as early as possible); the session that
 * follows takes the claim over, and `remove` releases either.
 */
export class PresenceRegistry implements SessionRegistry {
  readonly #inner: LocalSessionRegistry;
  readonly #presence: SessionPresence;
  /** Logins' claims until their session is added (relaying sessions are found in #inner). */
  readonly #placed = new Map<string, { user: string; host: string; at: number }>();

  constructor(inner: LocalSessionRegistry, presence: SessionPresence) {
    this.#inner = inner;
    this.#presence = presence;
  }

  claim(sessionId: string, user: string, host: string, backendId: string): void {
    if (this.#placed.has(sessionId) || this.#inner.has(sessionId)) return;
    this.#placed.set(sessionId, { user, host, at: Date.now() });
    this.#presence.added(user, host, backendId);
  }

  add(session: LiveSession): void {
    const info = session.info();
    if (this.#inner.has(info.sessionId)) return;
    const claimed = this.#placed.get(info.sessionId);
    let claimedAt = Date.now();
    // The session takes its login's claim over (counted once), unless it went elsewhere after all.
    if (claimed === undefined || claimed.user !== info.user || claimed.host !== info.backendHost) {
      this.#release(info.sessionId);
      this.#presence.added(info.user, info.backendHost, info.backendId ?? '');
    } else {
      claimedAt = claimed.at;
      this.#placed.delete(info.sessionId);
    }
    this.#inner.add(session, info);
    this.#presence.started(info.user, claimedAt);
  }

  remove(sessionId: string): void {
    const relaying = this.#inner.placement(sessionId);
    if (relaying !== undefined) {
      this.#inner.remove(sessionId);
      this.#presence.removed(relaying.user, relaying.backendHost);
      return;
    }
    this.#release(sessionId);
  }

  #release(sessionId: string): void {
    const placed = this.#placed.get(sessionId);
    if (placed === undefined) return;
    this.#placed.delete(sessionId);
    this.#presence.removed(placed.user, placed.host);
  }

  list(): SessionInfo[] {
    return this.#inner.list();
  }

  countForUser(user: string): number {
    return this.#inner.countForUser(user);
  }

  kickUser(user: string, reason: string, backendHost?: string): number {
    return this.#inner.kickUser(user, reason, backendHost);
  }
}
