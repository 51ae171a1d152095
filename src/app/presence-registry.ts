import type { SessionPresence } from '../cluster/presence.js';
import type { LiveSession, SessionInfo, SessionRegistry } from '../session/registry.js';

/**
 * The director's session registry, reporting each session's start and end
 * to the ring-wide presence (cluster/presence.ts). Map updates only: the
 * ring entries are written once per user per event-loop turn.
 *
 * A login claims its destination before the backend login (SPEC I1: other
 * directors see the user there as early as possible); the session that
 * follows takes the claim over, and `remove` releases either.
 */
export class PresenceRegistry implements SessionRegistry {
  readonly #inner: SessionRegistry;
  readonly #presence: SessionPresence;
  readonly #placed = new Map<string, { user: string; host: string }>();

  constructor(inner: SessionRegistry, presence: SessionPresence) {
    this.#inner = inner;
    this.#presence = presence;
  }

  claim(sessionId: string, user: string, host: string, backendId: string): void {
    if (this.#placed.has(sessionId)) return;
    this.#placed.set(sessionId, { user, host });
    this.#presence.added(user, host, backendId);
  }

  add(session: LiveSession): void {
    const info = session.info();
    this.#inner.add(session);
    const claimed = this.#placed.get(info.sessionId);
    if (claimed !== undefined && (claimed.user !== info.user || claimed.host !== info.backendHost)) this.#release(info.sessionId);
    this.claim(info.sessionId, info.user, info.backendHost, info.backendId ?? '');
    this.#presence.started(info.user);
  }

  remove(sessionId: string): void {
    this.#inner.remove(sessionId);
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
