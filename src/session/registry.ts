import type { Protocol } from '../core/protocol.js';

/** A relayed session as `who` shows it. */
export interface SessionInfo {
  readonly sessionId: string;
  readonly user: string;
  readonly protocol: Protocol;
  readonly clientIp: string;
  readonly clientPort: number;
  readonly backendId: string | undefined;
  readonly backendHost: string;
  readonly backendPort: number;
  /** Unix ms. */
  readonly startedAt: number;
  readonly bytesFromClient: number;
  readonly bytesFromBackend: number;
}

/** A live session the registry can end. */
export interface LiveSession {
  info(): SessionInfo;
  /** End the session: tell the client why (protocol's BYE) and close both sides. */
  kick(reason: string): void;
}

/**
 * Live relayed sessions of this director. Kept behind an interface so a
 * multi-worker director can answer for every worker.
 */
export interface SessionRegistry {
  add(session: LiveSession): void;
  remove(sessionId: string): void;
  list(): SessionInfo[];
  countForUser(user: string): number;
  /** Kick every session of `user` (optionally only those on `backendHost`). Returns how many. */
  kickUser(user: string, reason: string, backendHost?: string): number;
}

export class LocalSessionRegistry implements SessionRegistry {
  readonly #sessions = new Map<string, LiveSession>();
  readonly #byUser = new Map<string, Set<string>>();

  add(session: LiveSession): void {
    const info = session.info();
    this.#sessions.set(info.sessionId, session);
    let ids = this.#byUser.get(info.user);
    if (ids === undefined) {
      ids = new Set();
      this.#byUser.set(info.user, ids);
    }
    ids.add(info.sessionId);
  }

  remove(sessionId: string): void {
    const session = this.#sessions.get(sessionId);
    if (session === undefined) return;
    this.#sessions.delete(sessionId);
    const user = session.info().user;
    const ids = this.#byUser.get(user);
    ids?.delete(sessionId);
    if (ids?.size === 0) this.#byUser.delete(user);
  }

  list(): SessionInfo[] {
    return [...this.#sessions.values()].map((s) => s.info());
  }

  countForUser(user: string): number {
    return this.#byUser.get(user)?.size ?? 0;
  }

  /** End one session (a multi-worker primary's kick reaching the worker that holds it). */
  kickSession(sessionId: string, reason: string): boolean {
    const session = this.#sessions.get(sessionId);
    session?.kick(reason);
    return session !== undefined;
  }

  kickUser(user: string, reason: string, backendHost?: string): number {
    const ids = this.#byUser.get(user);
    if (ids === undefined) return 0;
    let kicked = 0;
    for (const id of [...ids]) {
      const session = this.#sessions.get(id);
      if (session === undefined) continue;
      if (backendHost !== undefined && session.info().backendHost !== backendHost) continue;
      session.kick(reason);
      kicked++;
    }
    return kicked;
  }
}
