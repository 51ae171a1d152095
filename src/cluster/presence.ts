import type { Placement, RingEntry } from '../ring/state.js';
import type { RingNode } from './ring-node.js';

/** Sessions of one user that one director holds on one destination. */
export interface PresenceHolder {
  readonly directorId: string;
  readonly host: string;
  /** '' for an LDAP host outside the ring. */
  readonly backendId: string;
  readonly sessions: number;
}

/**
 * Ring-wide session presence (I1 in docs/invariants.md): this director's live sessions per
 * user, published as `presence` ring entries, and every live director's
 * view of them. Session start and end only touch a map; the entries are
 * written once per user per event-loop turn, so a burst of logins of one
 * user is one delta (the peer links coalesce further by key).
 *
 * After a restart, peers may still hold this director's presence from its
 * previous run (they saw no tombstone): when such an entry arrives and does
 * not match what we hold, it is overwritten with a newer one.
 */
export class SessionPresence {
  readonly #node: RingNode;
  readonly #local = new Map<string, Map<string, { backendId: string; sessions: number }>>();
  readonly #dirty = new Set<string>();
  readonly #unsubscribe: () => void;
  readonly #startListeners: Array<(user: string, claimedAt: number) => void> = [];
  #scheduled = false;
  #closed = false;
  /** Changes held back while this director is the ring's only member. */
  #unpublished = false;

  constructor(node: RingNode) {
    this.#node = node;
    this.#unsubscribe = node.onEntries((changed, source) => {
      if (source === 'remote') this.#checkOwn(changed);
      if (this.#unpublished && changed.some((e) => e.kind === 'director') && node.state.memberCount() > 1) this.#publishAll();
    });
  }

  /** A peer joined a ring of one: it must learn every session held meanwhile, and that ended ones are gone. */
  #publishAll(): void {
    this.#unpublished = false;
    for (const user of this.#local.keys()) this.#markDirty(user);
    for (const user of this.#node.state.usersWithPresenceOf(this.selfId)) this.#markDirty(user);
  }

  get selfId(): string {
    return this.#node.state.selfId;
  }

  added(user: string, host: string, backendId: string): void {
    let hosts = this.#local.get(user);
    if (hosts === undefined) {
      hosts = new Map();
      this.#local.set(user, hosts);
    }
    const slot = hosts.get(host);
    if (slot === undefined) hosts.set(host, { backendId, sessions: 1 });
    else slot.sessions += 1;
    this.#markDirty(user);
  }

  /** A local session (counted by `added`, maybe earlier as a login's claim) is now relaying. */
  started(user: string, claimedAt: number): void {
    for (const listener of this.#startListeners) listener(user, claimedAt);
  }

  /** `claimedAt`: when the session's login claimed its destination (ms), or its start without a claim. */
  onLocalStart(listener: (user: string, claimedAt: number) => void): void {
    this.#startListeners.push(listener);
  }

  removed(user: string, host: string): void {
    const hosts = this.#local.get(user);
    const slot = hosts?.get(host);
    if (hosts === undefined || slot === undefined) return;
    slot.sessions -= 1;
    if (slot.sessions <= 0) hosts.delete(host);
    if (hosts.size === 0) this.#local.delete(user);
    this.#markDirty(user);
  }

  /** This director's sessions of `user`, sorted by host. */
  localPlacements(user: string): Placement[] {
    const hosts = this.#local.get(user);
    if (hosts === undefined) return [];
    return [...hosts]
      .map(([host, v]) => ({ host, backendId: v.backendId, sessions: v.sessions }))
      .sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  }

  /**
   * Who holds sessions of `user`: this director (from its own sessions, not
   * the possibly not yet written entry) and every peer whose presence still
   * counts (RingNode.counts: live, or silent for less than
   * ring.gossip.presence_hold, since a paused or cut-off director's backend
   * connections may still be open).
   */
  holders(user: string): PresenceHolder[] {
    const self = this.selfId;
    const out: PresenceHolder[] = this.localPlacements(user).map((p) => ({ directorId: self, ...p }));
    for (const e of this.#node.state.presenceOf(user)) {
      if (e.directorId === self || !this.#node.counts(e.directorId)) continue;
      for (const p of e.placements) out.push({ directorId: e.directorId, host: p.host, backendId: p.backendId, sessions: p.sessions });
    }
    return out;
  }

  /** Users with live sessions on this director or a peer whose presence counts (an operator's scan: walks every user). */
  users(): Set<string> {
    const self = this.selfId;
    const out = new Set<string>(this.#local.keys());
    for (const e of this.#node.state.presenceEntries()) {
      if (e.directorId === self || e.placements.length === 0 || !this.#node.counts(e.directorId)) continue;
      out.add(e.user);
    }
    return out;
  }

  /**
   * Sessions and distinct users per backend id over this director and every
   * live peer, as `doveadm director map` counts them (an operator's scan:
   * walks every user). Sessions on an LDAP host outside the ring are left out.
   */
  perBackend(): Map<string, { sessions: number; users: number }> {
    const self = this.selfId;
    const live = this.#node.live();
    const acc = new Map<string, { sessions: number; users: Set<string> }>();
    const add = (backendId: string, user: string, sessions: number): void => {
      if (backendId === '') return;
      let slot = acc.get(backendId);
      if (slot === undefined) {
        slot = { sessions: 0, users: new Set() };
        acc.set(backendId, slot);
      }
      slot.sessions += sessions;
      slot.users.add(user);
    };
    for (const [user, hosts] of this.#local) for (const p of hosts.values()) add(p.backendId, user, p.sessions);
    for (const e of this.#node.state.presenceEntries()) {
      if (e.directorId === self || !live.has(e.directorId)) continue;
      for (const p of e.placements) add(p.backendId, e.user, p.sessions);
    }
    return new Map([...acc].map(([id, s]) => [id, { sessions: s.sessions, users: s.users.size }]));
  }

  /** Whether holders(user) has one on a host other than `host`, without building the list (asked per login). */
  hasHolderElsewhere(user: string, host: string): boolean {
    const hosts = this.#local.get(user);
    if (hosts !== undefined) for (const h of hosts.keys()) if (h !== host) return true;
    return this.#remoteHostOtherThan(user, host);
  }

  /** Whether holders(user) name more than one host (asked per session start). */
  onSeveralHosts(user: string): boolean {
    const hosts = this.#local.get(user);
    if (hosts !== undefined && hosts.size > 1) return true;
    const local = hosts === undefined ? undefined : hosts.keys().next().value;
    if (local !== undefined) return this.#remoteHostOtherThan(user, local);
    // No local session: several hosts among the peers' placements?
    let first: string | undefined;
    const self = this.selfId;
    for (const e of this.#node.state.presenceOf(user)) {
      if (e.directorId === self || !this.#node.counts(e.directorId)) continue;
      for (const p of e.placements) {
        if (first === undefined) first = p.host;
        else if (p.host !== first) return true;
      }
    }
    return false;
  }

  /** A live peer holds sessions of `user` on a host other than `host`. */
  #remoteHostOtherThan(user: string, host: string): boolean {
    const self = this.selfId;
    for (const e of this.#node.state.presenceOf(user)) {
      if (e.directorId === self || !this.#node.counts(e.directorId)) continue;
      for (const p of e.placements) if (p.host !== host) return true;
    }
    return false;
  }

  /**
   * Write this director's presence entry for `user` now (a login's claim
   * must be in it before peers are asked to grant the claim); the entry's
   * version counter, 0 in a ring of one.
   */
  publishNow(user: string): number {
    if (this.#closed || this.#node.state.memberCount() <= 1) return 0;
    this.#dirty.delete(user);
    const placements = this.localPlacements(user);
    const current = this.#node.state.presence(user, this.selfId);
    if (current === undefined || !samePlacements(current.placements, placements)) this.#node.publishPresence(user, placements);
    return this.#node.state.presence(user, this.selfId)?.version.counter ?? 0;
  }

  close(): void {
    this.#closed = true;
    this.#unsubscribe();
  }

  #markDirty(user: string): void {
    if (this.#closed) return;
    // A ring of one publishes nothing (see #flush): no set entry, no flush
    // scheduled per login. A peer that joins later gets everything (#publishAll).
    if (this.#node.state.memberCount() <= 1) {
      this.#unpublished = true;
      return;
    }
    this.#dirty.add(user);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#scheduled = false;
    // Nobody else to tell: a ring of one keeps presence in #local only (a
    // ring state entry per user costs CPU per login and memory per user).
    if (this.#node.state.memberCount() <= 1) {
      this.#dirty.clear();
      this.#unpublished = true;
      return;
    }
    const users = [...this.#dirty];
    this.#dirty.clear();
    for (const user of users) {
      const placements = this.localPlacements(user);
      const current = this.#node.state.presence(user, this.selfId);
      // Nothing held and nothing ever published: no tombstone needed.
      if (current === undefined && placements.length === 0) continue;
      if (current !== undefined && samePlacements(current.placements, placements)) continue;
      this.#node.publishPresence(user, placements);
    }
  }

  #checkOwn(changed: readonly RingEntry[]): void {
    for (const e of changed) {
      if (e.kind !== 'presence' || e.directorId !== this.selfId) continue;
      if (!samePlacements(e.placements, this.localPlacements(e.user))) this.#markDirty(e.user);
    }
  }
}

function samePlacements(a: readonly Placement[], b: readonly Placement[]): boolean {
  return a.length === b.length && a.every((p, i) => p.host === b[i]?.host && p.backendId === b[i]?.backendId && p.sessions === b[i]?.sessions);
}
