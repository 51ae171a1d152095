import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { LdapUserChange } from '../auth/ldap-changes.js';
import type { UserFields } from '../auth/fields.js';
import type { LookupResult } from '../auth/passdb.js';
import type { RingNode } from '../cluster/ring-node.js';
import type { PresenceHolder, SessionPresence } from '../cluster/presence.js';
import { LoginFailure } from '../core/failure.js';
import type { Protocol } from '../core/protocol.js';
import type { BackendRing } from '../ring/hash-ring.js';
import type { RingEntry } from '../ring/state.js';
import type { BackendSpec } from '../ring/types.js';
import type { Destination, RouteDecision } from '../routing/decision.js';
import type { LoginPlacement } from '../session/login-core.js';
import type { LoginQuorum } from './ring-claims.js';
import type { SessionRegistry } from '../session/registry.js';

/** The reason logged for sessions ended by a move (the client gets the protocol's kick text). */
export const MOVED_REASON = 'Disconnected by proxy: user moved to another backend';

export interface MoveCoordinatorOptions {
  readonly node: RingNode;
  readonly presence: SessionPresence;
  readonly registry: SessionRegistry;
  /** Where logins claim their destination (the presence-reporting registry). */
  readonly claims: LoginClaims;
  readonly ring: () => BackendRing;
  /** Routing (docs/invariants.md) with this director's ring and config (and the sticky hint). */
  readonly route: (fields: UserFields, protocol: Protocol) => RouteDecision;
  readonly moveWaitMs: () => number;
  /** limits.max_disconnect_delay: `backend flush` spreads its kicks over this long. */
  readonly maxDisconnectDelayMs?: () => number;
  /**
   * This director is cut off from the ring's majority (ring.fence_minority):
   * a login waits for the majority until `holdUntil` (cluster/fence-watch.ts),
   * then gets its temporary failure.
   */
  readonly fence?: { fenced(): boolean; holdUntil(): number };
  /**
   * The ring's grants for a login's claim (docs/ring-protocol.md); left out,
   * a claim is this director's alone (a ring of one, unit tests).
   */
  readonly quorum?: LoginQuorum;
  /** How long one round of asking the peers for grants may take (default 1 s). */
  readonly claimTimeoutMs?: number;
  /** Drop the user's cached passdb fields (a move changes them). */
  readonly forgetUser: (user: string) => void;
  readonly log: Logger;
  /** How often a waiting login checks the presence again (default 20 ms). */
  readonly pollMs?: number;
  /**
   * After the old sessions are gone, this long before the new backend login,
   * so the old backend has read the close (default 50 ms).
   */
  readonly settleMs?: number;
  readonly now?: () => number;
  readonly random?: () => number;
}

export interface LoginClaims {
  claim(sessionId: string, user: string, host: string, backendId: string): void;
  remove(sessionId: string): void;
}

/** A kick request older than this is history (a peer catching up), not an order. */
const MOVE_ENTRY_MAX_AGE_MS = 120_000;
/** A waiting login repeats its ring-wide kick request at most this often. */
const KICK_REPEAT_MS = 2_000;

/**
 * I1 and I5 (docs/invariants.md) across the ring. Keeps ring users on the backend where they
 * have sessions (`sticky`), holds a login whose destination differs from
 * where the user still has sessions until they are gone (`awaitExclusive`,
 * which asks every director to end them with a `move` ring entry), obeys
 * those requests for this director's sessions, and ends this director's
 * sessions of a user whose LDAP entry now routes elsewhere.
 */
export class MoveCoordinator implements LoginPlacement {
  readonly #opts: MoveCoordinatorOptions;
  readonly #lastKick = new Map<string, { host: string; at: number }>();
  readonly #flushTimers = new Set<NodeJS.Timeout>();
  readonly #unsubscribe: () => void;
  #closed = false;

  constructor(opts: MoveCoordinatorOptions) {
    this.#opts = opts;
    this.#unsubscribe = opts.node.onEntries((changed) => this.#onEntries(changed));
    // The late side of a race must check too: the other director's presence
    // may have arrived while this login was still in progress (no local
    // session then, so nothing to resolve), and will not arrive again.
    opts.presence.onLocalStart((user, claimedAt) => this.#conflictCheckSoon(user, claimedAt));
  }

  readonly #pendingChecks = new Set<string>();
  /**
   * Recent move orders by user. A login in flight when the order came (its
   * backend login not done, so nothing to end yet) obeys it as soon as its
   * session starts, instead of waiting for the mover's next repeat.
   */
  readonly #recentOrders = new Map<string, { host: string; at: number }>();

  #conflictCheckSoon(user: string, claimedAt: number): void {
    // Only a login that was in flight when the order came must obey it; one
    // that claimed afterwards routed with the order already known.
    const order = this.#recentOrders.get(user);
    const obey = order !== undefined && claimedAt < order.at ? order.host : undefined;
    // Nothing to obey and the user on one host: no conflict now. One that
    // shows up later is checked by whatever brings it (a peer's presence
    // entry in #onEntries, another local session's own start).
    if (obey === undefined && !this.#opts.presence.onSeveralHosts(user)) return;
    if (this.#pendingChecks.has(user) && obey === undefined) return;
    this.#pendingChecks.add(user);
    // Not inside the registry's add(): the session being registered may be the one to end.
    setImmediate(() => {
      this.#pendingChecks.delete(user);
      if (this.#closed) return;
      if (obey !== undefined) this.kickLocal(user, obey, 'move ordered during the login');
      this.#resolveConflicts(new Set([user]));
    });
  }

  close(): void {
    this.#closed = true;
    this.#unsubscribe();
  }

  sticky(user: string, tag: string): BackendSpec | undefined {
    const ring = this.#opts.ring();
    const counts = new Map<string, number>();
    for (const h of this.#opts.presence.holders(user)) {
      if (h.backendId === '') continue;
      counts.set(h.backendId, (counts.get(h.backendId) ?? 0) + h.sessions);
    }
    let best: BackendSpec | undefined;
    let bestCount = 0;
    // Most sessions wins; ties go to the smaller id, so every director picks the same.
    for (const [id, n] of [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const spec = ring.backend(id);
      if (spec === undefined || spec.tag !== tag || !ring.isUp(id)) continue;
      if (n > bestCount) {
        best = spec;
        bestCount = n;
      }
    }
    return best;
  }

  #claim(sessionId: string | undefined, user: string, destination: Destination): void {
    if (sessionId !== undefined) this.#opts.claims.claim(sessionId, user, destination.host, destination.backend?.id ?? '');
  }

  release(sessionId: string): void {
    this.#opts.claims.remove(sessionId);
  }

  /** Live directors' sessions of `user` on a destination other than `host`. */
  elsewhere(user: string, host: string): PresenceHolder[] {
    return this.#opts.presence.holders(user).filter((h) => h.host !== host);
  }

  /** Where the user is held elsewhere, in this director's view: sessions (any live or held director's) or a grant it gave. */
  #heldElsewhere(user: string, host: string): boolean {
    return this.#opts.presence.hasHolderElsewhere(user, host) || this.#opts.quorum?.conflict(user, host) !== undefined;
  }

  /**
   * LoginPlacement.awaitExclusive; without `sessionId` (an operator's move)
   * nothing is claimed. A login goes on once nobody holds the user elsewhere
   * and its claim was granted by enough of the ring (docs/ring-protocol.md):
   * two directors with different views cannot both send the user to
   * different backends. A refused or unanswered claim is withdrawn and tried
   * again after a short random pause, until limits.move_wait.
   */
  async awaitExclusive(user: string, destination: Destination, log: Logger, sessionId?: string): Promise<number> {
    const now = this.#opts.now ?? Date.now;
    const started = now();
    const deadline = started + this.#opts.moveWaitMs();
    const pollMs = this.#opts.pollMs ?? 20;
    const host = destination.host;
    let heldLogged = false;
    let mustSettle = false;
    let fenceLogged = false;
    let readyLogged = false;
    for (;;) {
      const fence = this.#opts.fence;
      if (fence?.fenced() === true) {
        // The majority counts this director dead and ignores its sessions: a
        // login here could double one there. A ring still forming, or a lost
        // heartbeat, is waited out (cluster/fence-watch.ts).
        if (now() >= Math.min(deadline, fence.holdUntil())) {
          throw new LoginFailure('backend_unavailable', 'director is cut off from the majority of the ring');
        }
        if (!fenceLogged) {
          fenceLogged = true;
          log.info({ user }, 'login held: this director does not hear a majority of the ring yet');
        }
        await sleep(pollMs);
        continue;
      }
      if (this.#heldElsewhere(user, host)) {
        if (!heldLogged) {
          heldLogged = true;
          log.info({ user, backend: destination.backend?.id ?? '', backend_host: host, holders: this.elsewhere(user, host) }, 'login held: user has sessions on another backend');
        }
        if (now() >= deadline) {
          log.warn({ user, waitedMs: now() - started }, "login gave up waiting for the user's sessions on another backend");
          throw new LoginFailure('backend_unavailable', 'user still has sessions on another backend (limits.move_wait)');
        }
        if (this.elsewhere(user, host).length > 0) this.requestKick(user, destination);
        mustSettle = true;
        await sleep(pollMs);
        continue;
      }
      if (mustSettle) {
        // Let the old backend read the close before the new login; a session
        // started meanwhile by a director with a stale view sends us round again.
        mustSettle = false;
        await sleep(this.#opts.settleMs ?? 50);
        continue;
      }
      if (sessionId === undefined) return now() - started;
      const quorum = this.#opts.quorum;
      if (quorum !== undefined && !quorum.ready()) {
        // Just started: its own vote would count in the majority while it
        // does not yet know what its peers hold (docs/ring-protocol.md).
        if (now() >= deadline) throw new LoginFailure('backend_unavailable', "director does not yet know what its peers hold");
        if (!readyLogged) {
          readyLogged = true;
          log.info({ user }, "login held: this director has not yet merged every peer's state since it started");
        }
        await sleep(pollMs);
        continue;
      }
      // Check and claim with no await between them: no other login of the user here can slip in.
      this.#claim(sessionId, user, destination);
      if (quorum === undefined) return now() - started;
      const remaining = Math.max(1, deadline - now());
      const outcome = await quorum.acquire(user, host, Math.min(remaining, this.#opts.claimTimeoutMs ?? 1_000));
      if (outcome.ok) return now() - started;
      this.release(sessionId);
      quorum.release(user, host, outcome.counter);
      if (now() >= deadline) {
        log.warn({ user, backend: destination.backend?.id ?? '', backend_host: host, granted: outcome.granted, refusedBy: outcome.refusedBy, holder: outcome.holder }, 'login refused: no majority of the ring granted its claim');
        throw new LoginFailure('backend_unavailable', 'no majority of the ring granted the login');
      }
      log.debug({ user, granted: outcome.granted, refusedBy: outcome.refusedBy, holder: outcome.holder, holderHost: outcome.holderHost }, 'claim not granted: trying again');
      // Two claims that refused each other both back off; a random pause lets one win.
      await sleep(pollMs + Math.floor(Math.random() * 4 * pollMs));
    }
  }

  /**
   * Ask every director (this one included) to end its sessions of `user`
   * not on `destination`. Rate-limited per user and destination.
   */
  requestKick(user: string, destination: Destination, force = false): void {
    const now = (this.#opts.now ?? Date.now)();
    const last = this.#lastKick.get(user);
    if (!force && last !== undefined && last.host === destination.host && now - last.at < KICK_REPEAT_MS) return;
    this.#lastKick.set(user, { host: destination.host, at: now });
    if (this.#lastKick.size > 10_000) this.#lastKick.clear();
    // Entries need a backend id; an LDAP host outside the ring stands for itself.
    const id = destination.backend?.id ?? destination.host;
    this.#opts.node.moveUser(user, id, undefined, destination.host).catch((err: unknown) => {
      this.#opts.log.warn({ err, user }, 'could not publish a move kick');
    });
  }

  /** End this director's sessions of `user` that are not on `host`. Returns how many. */
  kickLocal(user: string, host: string, why: string): number {
    const hosts = new Set<string>();
    for (const s of this.#opts.registry.list()) if (s.user === user && s.backendHost !== host) hosts.add(s.backendHost);
    let kicked = 0;
    for (const h of hosts) kicked += this.#opts.registry.kickUser(user, MOVED_REASON, h);
    if (kicked > 0) this.#opts.log.info({ user, backend_host: host, kicked, why }, 'ending sessions of a moved user');
    return kicked;
  }

  /**
   * `backend flush`: every ring user with live sessions on `backendId`
   * (this director's or a live peer's) whose ring placement without the
   * sticky hint is another backend is moved there: a ring-wide kick, so
   * the next login lands on the ring's placement. Returns how many users.
   */
  async flushBackend(
    backendId: string,
    lookup: (user: string) => Promise<LookupResult>,
    routeWithoutSticky: (fields: UserFields, protocol: Protocol) => RouteDecision,
  ): Promise<number> {
    const users = new Set(this.#opts.node.state.usersPresentOn(backendId));
    for (const p of this.#opts.registry.list()) if (p.backendId === backendId) users.add(p.user);
    // As Dovecot's director flush, the kicks are spread (here over
    // limits.max_disconnect_delay) so the users do not all reconnect at once.
    const spreadMs = Math.max(0, this.#opts.maxDisconnectDelayMs?.() ?? 0);
    const random = this.#opts.random ?? Math.random;
    let moved = 0;
    for (const user of [...users].sort()) {
      if (!this.#opts.presence.holders(user).some((h) => h.backendId === backendId)) continue;
      const found = await lookup(user);
      if (found.kind !== 'ok') continue;
      const decision = routeWithoutSticky(found.fields, 'imap');
      if (decision.kind !== 'proxy' || decision.reason !== 'ring' || decision.destination.backend?.id === backendId) continue;
      const destination = decision.destination;
      moved += 1;
      if (spreadMs === 0) {
        this.requestKick(user, destination, true);
        continue;
      }
      const timer = setTimeout(() => {
        this.#flushTimers.delete(timer);
        this.requestKick(user, destination, true);
      }, Math.floor(random() * spreadMs));
      timer.unref();
      this.#flushTimers.add(timer);
    }
    if (moved > 0) this.#opts.log.info({ backend: backendId, users: moved, spreadMs }, 'backend flush: users sent to their ring placement');
    return moved;
  }

  /** Cancels the flush kicks not yet made (the director is stopping). */
  stop(): void {
    for (const t of this.#flushTimers) clearTimeout(t);
    this.#flushTimers.clear();
  }

  /** passdb.onUsersChanged: an entry whose routing now points elsewhere is a move. */
  usersChanged(changes: readonly LdapUserChange[]): void {
    for (const change of changes) {
      if (change.fields === undefined) continue;
      if (this.#opts.registry.countForUser(change.fields.user) === 0 && this.#opts.registry.countForUser(change.user) === 0) continue;
      const decision = this.#opts.route(change.fields, 'imap');
      if (decision.kind !== 'proxy') continue;
      this.kickLocal(change.fields.user, decision.destination.host, 'LDAP entry changed');
      if (change.user !== change.fields.user) this.kickLocal(change.user, decision.destination.host, 'LDAP entry changed');
    }
  }

  /**
   * Two directors that routed the same user at the same instant with
   * different views (a stale cache, a ring change still converging) can each
   * log the user in before either sees the other's presence. When presence
   * shows that, one destination must yield; every director picks the same
   * one (the smallest host) and ends its own sessions elsewhere.
   */
  #resolveConflicts(users: ReadonlySet<string>): void {
    for (const user of users) {
      if (this.#opts.presence.localPlacements(user).length === 0) continue;
      const hosts = [...new Set(this.#opts.presence.holders(user).map((h) => h.host))].sort();
      const keep = hosts[0];
      if (hosts.length < 2 || keep === undefined) continue;
      this.#opts.log.warn({ user, hosts, keep }, 'user on two backends at once: ending the sessions not on the kept one');
      this.kickLocal(user, keep, 'sessions on two backends');
    }
  }

  #onEntries(changed: readonly RingEntry[]): void {
    const now = (this.#opts.now ?? Date.now)();
    const presenceChanged = new Set<string>();
    for (const e of changed) {
      if (e.kind === 'presence' && e.directorId !== this.#opts.presence.selfId) presenceChanged.add(e.user);
    }
    if (presenceChanged.size > 0) this.#resolveConflicts(presenceChanged);
    for (const e of changed) {
      if (e.kind !== 'move' || e.backendId === null) continue;
      // Counters are at least wall ms when written: an old one is a peer catching us up.
      if (now - e.version.counter > MOVE_ENTRY_MAX_AGE_MS) continue;
      const host = e.host ?? this.#opts.ring().backend(e.backendId)?.host;
      if (host === undefined) continue;
      // Our cached fields may predate the move; the next login must read LDAP.
      this.#opts.forgetUser(e.user);
      if (this.#recentOrders.size > 10_000) this.#recentOrders.clear();
      this.#recentOrders.set(e.user, { host, at: now });
      this.kickLocal(e.user, host, `move requested by ${e.version.origin}`);
    }
  }
}
