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

/** Where a registered session is, as read once when it was added. */
export interface SessionPlacement {
  readonly session: LiveSession;
  readonly user: string;
  readonly backendHost: string;
}

export class LocalSessionRegistry implements SessionRegistry {
  /** With the session, what add and remove need, so they do not build its full info() again. */
  readonly #sessions = new Map<string, SessionPlacement>();
  /** A user's session id, or a Set from the second session on (most users have one: no Set each). */
  readonly #byUser = new Map<string, string | Set<string>>();

  /** `info`: the session's info() when the caller has just read it. */
  add(session: LiveSession, info: SessionInfo = session.info()): void {
    const id = info.sessionId;
    this.#sessions.set(id, { session, user: info.user, backendHost: info.backendHost });
    const ids = this.#byUser.get(info.user);
    if (ids === undefined || ids === id) this.#byUser.set(info.user, id);
    else if (typeof ids === 'string') this.#byUser.set(info.user, new Set([ids, id]));
    else ids.add(id);
  }

  remove(sessionId: string): void {
    const entry = this.#sessions.get(sessionId);
    if (entry === undefined) return;
    this.#sessions.delete(sessionId);
    const user = entry.user;
    const ids = this.#byUser.get(user);
    if (ids === sessionId) this.#byUser.delete(user);
    else if (typeof ids === 'object') {
      ids.delete(sessionId);
      if (ids.size === 0) this.#byUser.delete(user);
    }
  }

  list(): SessionInfo[] {
    return [...this.#sessions.values()].map((e) => e.session.info());
  }

  has(sessionId: string): boolean {
    return this.#sessions.has(sessionId);
  }

  get(sessionId: string): LiveSession | undefined {
    return this.#sessions.get(sessionId)?.session;
  }

  /** The session with the user and backend host it was added with. */
  placement(sessionId: string): SessionPlacement | undefined {
    return this.#sessions.get(sessionId);
  }

  #idsOf(user: string): readonly string[] {
    const ids = this.#byUser.get(user);
    return ids === undefined ? [] : typeof ids === 'string' ? [ids] : [...ids];
  }

  countForUser(user: string): number {
    const ids = this.#byUser.get(user);
    return ids === undefined ? 0 : typeof ids === 'string' ? 1 : ids.size;
  }

  /** End one session (a multi-worker primary's kick reaching the worker that holds it). */
  kickSession(sessionId: string, reason: string): boolean {
    const session = this.#sessions.get(sessionId)?.session;
    session?.kick(reason);
    return session !== undefined;
  }

  kickUser(user: string, reason: string, backendHost?: string): number {
    let kicked = 0;
    for (const id of this.#idsOf(user)) {
      const entry = this.#sessions.get(id);
      if (entry === undefined) continue;
      if (backendHost !== undefined && entry.session.info().backendHost !== backendHost) continue;
      entry.session.kick(reason);
      kicked++;
    }
    return kicked;
  }
}
