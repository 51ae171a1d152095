import type { SessionPresence } from '../cluster/presence.js';
import type { LiveSession, SessionInfo, SessionRegistry } from '../session/registry.js';

/**
 * The director's session registry, reporting each session's start and end
 * to the ring-wide presence (cluster/presence.ts). Map updates only: the
 * ring entries are written once per user per event-loop turn.
 */
export class PresenceRegistry implements SessionRegistry {
  readonly #inner: SessionRegistry;
  readonly #presence: SessionPresence;
  readonly #placed = new Map<string, { user: string; host: string }>();

  constructor(inner: SessionRegistry, presence: SessionPresence) {
    this.#inner = inner;
    this.#presence = presence;
  }

  add(session: LiveSession): void {
    const info = session.info();
    this.#inner.add(session);
    if (this.#placed.has(info.sessionId)) return;
    this.#placed.set(info.sessionId, { user: info.user, host: info.backendHost });
    this.#presence.added(info.user, info.backendHost, info.backendId ?? '');
  }

  remove(sessionId: string): void {
    this.#inner.remove(sessionId);
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
