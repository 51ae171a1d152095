import { isProtocol, type Protocol } from '../core/protocol.js';
import type { BackendSpec } from './types.js';

/**
 * The replicated ring state: a map of last-writer-wins registers.
 *
 * Every entry carries a Version (counter, origin). Merging keeps, per key, the
 * entry that sorts highest by (counter, origin, canonical value); that order is
 * total, so merge is commutative, associative and idempotent, and directors
 * that have seen the same entries hold the same state whatever the order.
 *
 * Counters are Lamport clocks: a director's next counter is
 * max(clock + 1, wall ms), and every counter it sees raises its clock. A write
 * made after seeing another (an operator's second command, wherever it lands)
 * therefore always wins; wall time only keeps counters monotonic across a
 * restart that lost the state file, it never overrides causality.
 *
 * No I/O here: cluster/state-file.ts persists, cluster/gossip.ts replicates.
 */

export interface Version {
  readonly counter: number;
  /** Director id that wrote the entry ('' for entries seeded from config). */
  readonly origin: string;
}

/** Config-seeded entries lose to any write made at run time. */
export const SEED_VERSION: Version = Object.freeze({ counter: 0, origin: '' });

export type AdminState = 'none' | 'up' | 'down';

export type BackendValue = Omit<BackendSpec, 'id'>;

/** A protocol whose backends' pre-login capabilities the probes learn. */
export type ProbedProtocol = Protocol;

/** Per protocol, what a probe saw; a protocol left out was not probed (or had nothing to say). */
export type Capabilities = Readonly<Partial<Record<ProbedProtocol, readonly string[]>>>;

export const NO_CAPABILITIES: Capabilities = Object.freeze({});

export type RingEntry =
  /**
   * spec null: removed (tombstone). `since`: the version counter of the add
   * that began this incarnation (see DESIGN NOTE: garbage collection); 0 or
   * absent, from a seed or a director of an earlier version.
   */
  | { readonly kind: 'backend'; readonly version: Version; readonly backendId: string; readonly spec: BackendValue | null; readonly since?: number }
  | { readonly kind: 'admin'; readonly version: Version; readonly backendId: string; readonly state: AdminState }
  /** Written only by `directorId` (its version origin). */
  | {
      readonly kind: 'verdict';
      readonly version: Version;
      readonly directorId: string;
      readonly backendId: string;
      readonly down: boolean;
      readonly capabilities: Capabilities;
    }
  /** address null: removed from the ring. */
  | { readonly kind: 'director'; readonly version: Version; readonly directorId: string; readonly address: string | null }
  /**
   * A ring-wide kick request: every director ends its sessions of `user` not
   * on `host` (when host is absent: not on backend `backendId`). backendId
   * null: the move was cleared.
   */
  | { readonly kind: 'move'; readonly version: Version; readonly user: string; readonly backendId: string | null; readonly host?: string | undefined }
  /**
   * Where `directorId` holds live sessions of `user`; written only by that
   * director. Volatile: not persisted (see toJSON). No placements: none held.
   */
  | {
      readonly kind: 'presence';
      readonly version: Version;
      readonly user: string;
      readonly directorId: string;
      readonly placements: readonly Placement[];
    };

/** Sessions one director holds on one destination. */
export interface Placement {
  readonly host: string;
  /** '' for an LDAP host outside the ring. */
  readonly backendId: string;
  readonly sessions: number;
}

/** Kinds that live only while their directors run: never written to the state file. */
export const VOLATILE_KINDS: ReadonlySet<string> = new Set(['presence']);

export type RingEntryKind = RingEntry['kind'];

/** Map key of the register an entry writes. */
export function entryKey(entry: RingEntry): string {
  switch (entry.kind) {
    case 'backend':
      return `backend\0${entry.backendId}`;
    case 'admin':
      return `admin\0${entry.backendId}`;
    case 'verdict':
      return `verdict\0${entry.directorId}\0${entry.backendId}`;
    case 'director':
      return `director\0${entry.directorId}`;
    case 'move':
      return `move\0${entry.user}`;
    case 'presence':
      return `presence\0${entry.user}\0${entry.directorId}`;
  }
}

export function compareVersions(a: Version, b: Version): number {
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  return a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0;
}

function sortedRecord<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key] as T;
  return out;
}

/** Capabilities in one order whatever the order they were probed or received in; empty lists dropped. */
export function canonicalCapabilities(caps: Capabilities): Array<[string, string[]]> {
  return (Object.entries(caps) as Array<[string, readonly string[] | undefined]>)
    .filter((pair): pair is [string, readonly string[]] => pair[1] !== undefined && pair[1].length > 0)
    .map(([protocol, names]): [string, string[]] => [protocol, [...names].sort()])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The value part of an entry as a canonical string: the last tie-break. */
function canonicalValue(entry: RingEntry): string {
  switch (entry.kind) {
    case 'backend':
      return entry.spec === null
        ? 'removed'
        : JSON.stringify([entry.spec.host, sortedRecord(entry.spec.ports), entry.spec.weight, entry.spec.tag, entry.since ?? 0]);
    case 'admin':
      return entry.state;
    case 'verdict':
      return JSON.stringify([entry.down, canonicalCapabilities(entry.capabilities)]);
    case 'director':
      return entry.address ?? 'removed';
    case 'move':
      return entry.backendId === null ? 'cleared' : JSON.stringify([entry.backendId, entry.host ?? '']);
    case 'presence':
      return JSON.stringify(entry.placements.map((p) => [p.host, p.backendId, p.sessions]));
  }
}

/** Total order on two entries of the same key: > 0 when `a` wins. */
export function compareEntries(a: RingEntry, b: RingEntry): number {
  const byVersion = compareVersions(a.version, b.version);
  if (byVersion !== 0) return byVersion;
  const va = canonicalValue(a);
  const vb = canonicalValue(b);
  return va < vb ? -1 : va > vb ? 1 : 0;
}


function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 256;
}

/**
 * Why an entry (from a peer, a file or an operator) cannot be merged, or
 * undefined when it is sound. Gossip counts and drops entries that fail.
 */
export function checkEntry(entry: RingEntry): string | undefined {
  const { counter, origin } = entry.version;
  if (!Number.isSafeInteger(counter) || counter < 0) return 'version counter is not a whole number';
  if (typeof origin !== 'string' || origin.length > 256) return 'bad version origin';
  if (counter > 0 && origin === '') return 'run-time entry without an origin';
  switch (entry.kind) {
    case 'backend': {
      if (!isId(entry.backendId)) return 'bad backend id';
      if (entry.since !== undefined && (!Number.isSafeInteger(entry.since) || entry.since < 0 || entry.since > counter)) return 'bad backend incarnation';
      if (entry.spec === null) return entry.since === undefined ? undefined : 'a removed backend has no incarnation';
      const { host, ports, weight, tag } = entry.spec;
      if (!isId(host)) return 'bad backend host';
      if (!Number.isInteger(weight) || weight < 0 || weight > 1_000_000) return 'bad backend weight';
      if (typeof tag !== 'string' || tag.length > 256) return 'bad backend tag';
      for (const [protocol, port] of Object.entries(ports)) {
        if (!isProtocol(protocol)) return `unknown protocol ${JSON.stringify(protocol).slice(0, 40)}`;
        if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) return 'bad backend port';
      }
      return undefined;
    }
    case 'admin':
      if (!isId(entry.backendId)) return 'bad backend id';
      return entry.state === 'none' || entry.state === 'up' || entry.state === 'down' ? undefined : 'bad admin state';
    case 'verdict':
      if (!isId(entry.directorId) || !isId(entry.backendId)) return 'bad verdict ids';
      // Only a director speaks for its own probes.
      if (origin !== entry.directorId) return 'verdict not written by its director';
      if (typeof entry.down !== 'boolean') return 'bad verdict';
      return undefined;
    case 'director':
      if (!isId(entry.directorId)) return 'bad director id';
      return entry.address === null || isId(entry.address) ? undefined : 'bad director address';
    case 'move':
      if (!isId(entry.user)) return 'bad user';
      if (entry.host !== undefined && (typeof entry.host !== 'string' || entry.host.length > 256)) return 'bad move host';
      return entry.backendId === null || isId(entry.backendId) ? undefined : 'bad move backend';
    case 'presence': {
      if (!isId(entry.user) || !isId(entry.directorId)) return 'bad presence ids';
      // Only a director speaks for its own sessions.
      if (origin !== entry.directorId) return 'presence not written by its director';
      if (!Array.isArray(entry.placements) || entry.placements.length > 64) return 'bad presence placements';
      let previous = '';
      for (const p of entry.placements) {
        if (!isId(p.host) || typeof p.backendId !== 'string' || p.backendId.length > 256) return 'bad presence placement';
        if (!Number.isSafeInteger(p.sessions) || p.sessions < 1) return 'bad presence session count';
        // Sorted by host, each once: equal values have one spelling.
        if (p.host <= previous) return 'presence placements not sorted';
        previous = p.host;
      }
      return undefined;
    }
    default:
      return 'unknown entry kind';
  }
}

export interface DirectorMember {
  readonly id: string;
  /** host:port of its Ring gRPC service. */
  readonly address: string;
}

/** What the cluster config says, turned into seed entries (SEED_VERSION). */
export interface RingSeed {
  readonly backends: readonly BackendSpec[];
  readonly directors: readonly DirectorMember[];
}

export function seedEntries(seed: RingSeed): RingEntry[] {
  const entries: RingEntry[] = [];
  for (const b of seed.backends) {
    entries.push({
      kind: 'backend',
      version: SEED_VERSION,
      backendId: b.id,
      spec: { host: b.host, ports: { ...b.ports }, weight: b.weight, tag: b.tag },
    });
  }
  for (const d of seed.directors) entries.push({ kind: 'director', version: SEED_VERSION, directorId: d.id, address: d.address });
  return entries;
}

/** The file format of a persisted state (cluster/state-file.ts writes it). */
export interface PersistedState {
  readonly format: 1;
  readonly directorId: string;
  readonly clock: number;
  readonly entries: readonly RingEntry[];
}

export class RingState {
  readonly selfId: string;
  readonly #entries = new Map<string, RingEntry>();
  /**
   * Backends seen with a config seed (SEED_VERSION) in this process: ours
   * at start, or a peer's in its state. Their tombstones are never
   * collected (DESIGN NOTE: garbage collection).
   */
  readonly #seededBackends = new Set<string>();
  /**
   * Indexes kept with #entries, because every login asks for them: a
   * user's presence entries by director, and the member list. Without
   * them each lookup walked the whole state (~1 ms with 100k users).
   */
  readonly #presenceByUser = new Map<string, Map<string, Extract<RingEntry, { kind: 'presence' }>>>();
  #members: { list: DirectorMember[]; ids: ReadonlySet<string> } | undefined;
  #clock = 0;

  constructor(selfId: string) {
    this.selfId = selfId;
  }

  /** The highest counter seen or written. */
  get clock(): number {
    return this.#clock;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Raise the clock to a counter seen elsewhere (a peer's Hello). */
  observe(counter: number): void {
    if (Number.isSafeInteger(counter) && counter > this.#clock) this.#clock = counter;
  }

  nextVersion(nowMs: number = Date.now()): Version {
    this.#clock = Math.max(this.#clock + 1, Math.floor(nowMs));
    return { counter: this.#clock, origin: this.selfId };
  }

  /**
   * Merge entries; returns those that changed the state (the delta to pass
   * on). Entries that fail checkEntry are skipped and returned in `rejected`.
   */
  merge(entries: Iterable<RingEntry>): { changed: RingEntry[]; rejected: number } {
    const changed: RingEntry[] = [];
    let rejected = 0;
    // Age is judged by the clock before this batch: a batch (a state file, a
    // peer's full state) is taken as a whole, whatever order its entries are in.
    const clock = this.#clock;
    for (const entry of entries) {
      if (checkEntry(entry) !== undefined) {
        rejected += 1;
        continue;
      }
      this.observe(entry.version.counter);
      const key = entryKey(entry);
      if (entry.kind === 'backend' && compareVersions(entry.version, SEED_VERSION) === 0) this.#seededBackends.add(entry.backendId);
      const current = this.#entries.get(key);
      // An entry we collected (or would at once) must not come back with every full-state exchange.
      if (current === undefined && this.#collectable(entry, clock)) continue;
      if (current === undefined || compareEntries(entry, current) > 0) {
        this.#put(key, entry);
        changed.push(entry);
      }
    }
    return { changed, rejected };
  }

  /**
   * Forget entries nobody needs any more, by age on the ring clock (which
   * runs at least at wall-clock ms), so the state does not grow with every
   * user who ever logged in or was moved, nor with every backend ever
   * removed. Returns how many were dropped. See DESIGN NOTE: garbage
   * collection, below, for why each kind is safe to drop.
   */
  collectGarbage(): number {
    let dropped = 0;
    for (const [key, entry] of this.#entries) {
      if (this.#collectable(entry, this.#clock)) {
        this.#drop(key, entry);
        dropped += 1;
      }
    }
    return dropped;
  }

  #collectable(entry: RingEntry, clock: number): boolean {
    if (entry.kind !== 'admin' && entry.kind !== 'verdict') return isCollectable(entry, clock, this.#seededBackends);
    const b = this.#backendEntry(entry.backendId);
    // A backend nobody knows (its tombstone long collected): the entry is an orphan.
    if (b === undefined) return olderThan(entry, clock, BACKEND_TOMBSTONE_TTL_MS);
    // Stale stays stale (a later backend entry ends incarnations no earlier);
    // its own age makes the verdict the same wherever the entry is merged.
    return this.#earlierIncarnation(entry) && olderThan(entry, clock, INCARNATION_SETTLE_MS);
  }

  #put(key: string, entry: RingEntry): void {
    this.#entries.set(key, entry);
    if (entry.kind === 'director') this.#members = undefined;
    else if (entry.kind === 'presence') {
      let byDirector = this.#presenceByUser.get(entry.user);
      if (byDirector === undefined) {
        byDirector = new Map();
        this.#presenceByUser.set(entry.user, byDirector);
      }
      byDirector.set(entry.directorId, entry);
    }
  }

  #drop(key: string, entry: RingEntry): void {
    this.#entries.delete(key);
    if (entry.kind === 'director') this.#members = undefined;
    else if (entry.kind === 'presence') {
      const byDirector = this.#presenceByUser.get(entry.user);
      byDirector?.delete(entry.directorId);
      if (byDirector?.size === 0) this.#presenceByUser.delete(entry.user);
    }
  }

  #memberIndex(): { list: DirectorMember[]; ids: ReadonlySet<string> } {
    if (this.#members === undefined) {
      const list: DirectorMember[] = [];
      for (const e of this.#entries.values()) {
        if (e.kind === 'director' && e.address !== null) list.push({ id: e.directorId, address: e.address });
      }
      list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      this.#members = { list, ids: new Set(list.map((d) => d.id)) };
    }
    return this.#members;
  }

  entries(): IterableIterator<RingEntry> {
    return this.#entries.values();
  }

  /** Entries sorted by key: equal states give equal lists. */
  sortedEntries(): RingEntry[] {
    return [...this.#entries.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
  }

  // --- local writes: each makes one entry with a fresh version and merges it ---

  /** Add a backend or change a live one; an add after a removal (or the first) begins a new incarnation. */
  setBackend(spec: BackendSpec, nowMs?: number): RingEntry {
    const { id, ...value } = spec;
    const current = this.#backendEntry(id);
    const version = this.nextVersion(nowMs);
    const since = current !== undefined && current.spec !== null ? (current.since ?? 0) : version.counter;
    return this.#write({ kind: 'backend', version, backendId: id, spec: { ...value, ports: { ...value.ports } }, ...(since > 0 ? { since } : {}) });
  }

  removeBackend(backendId: string, nowMs?: number): RingEntry {
    return this.#write({ kind: 'backend', version: this.nextVersion(nowMs), backendId, spec: null });
  }

  setAdmin(backendId: string, state: AdminState, nowMs?: number): RingEntry {
    return this.#write({ kind: 'admin', version: this.nextVersion(nowMs), backendId, state });
  }

  setVerdict(backendId: string, down: boolean, capabilities: Capabilities = NO_CAPABILITIES, nowMs?: number): RingEntry {
    return this.#write({
      kind: 'verdict',
      version: this.nextVersion(nowMs),
      directorId: this.selfId,
      backendId,
      down,
      capabilities,
    });
  }

  setDirector(directorId: string, address: string | null, nowMs?: number): RingEntry {
    return this.#write({ kind: 'director', version: this.nextVersion(nowMs), directorId, address });
  }

  setMove(user: string, backendId: string | null, nowMs?: number, host?: string): RingEntry {
    return this.#write({ kind: 'move', version: this.nextVersion(nowMs), user, backendId, ...(host === undefined ? {} : { host }) });
  }

  /** This director's sessions of `user` (placements sorted by host; empty: none). */
  setPresence(user: string, placements: readonly Placement[], nowMs?: number): RingEntry {
    const sorted = [...placements].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
    return this.#write({ kind: 'presence', version: this.nextVersion(nowMs), user, directorId: this.selfId, placements: sorted });
  }

  #write(entry: RingEntry): RingEntry {
    const problem = checkEntry(entry);
    if (problem !== undefined) throw new RingStateError(problem);
    this.merge([entry]);
    return entry;
  }

  // --- reads ---

  /** Backends not removed, sorted by id. */
  backends(): BackendSpec[] {
    const out: BackendSpec[] = [];
    for (const e of this.#entries.values()) {
      if (e.kind === 'backend' && e.spec !== null) out.push({ id: e.backendId, ...e.spec });
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  removedBackends(): string[] {
    const out: string[] = [];
    for (const e of this.#entries.values()) if (e.kind === 'backend' && e.spec === null) out.push(e.backendId);
    return out.sort();
  }

  /** The operator's state of the backend's current incarnation ('none' when it has none). */
  adminState(backendId: string): AdminState {
    const e = this.#entries.get(`admin\0${backendId}`);
    return e?.kind === 'admin' && !this.#earlierIncarnation(e) ? e.state : 'none';
  }

  /** A director's probe verdict on the backend's current incarnation. */
  verdict(directorId: string, backendId: string): Extract<RingEntry, { kind: 'verdict' }> | undefined {
    const e = this.#entries.get(`verdict\0${directorId}\0${backendId}`);
    return e?.kind === 'verdict' && !this.#earlierIncarnation(e) ? e : undefined;
  }

  #backendEntry(backendId: string): Extract<RingEntry, { kind: 'backend' }> | undefined {
    const e = this.#entries.get(`backend\0${backendId}`);
    return e?.kind === 'backend' ? e : undefined;
  }

  /**
   * Whether an admin or verdict entry was written before the backend's
   * current incarnation began (or before its removal): an operator's
   * `down` or a probe's verdict on a backend that was removed does not
   * carry over to one added again under the same id.
   */
  #earlierIncarnation(e: Extract<RingEntry, { kind: 'admin' | 'verdict' }>): boolean {
    const b = this.#backendEntry(e.backendId);
    if (b === undefined) return false;
    const begins = b.spec === null ? b.version.counter : (b.since ?? 0);
    return e.version.counter < begins;
  }

  /** Directors in the ring (not removed), sorted by id. */
  directors(): DirectorMember[] {
    return [...this.#memberIndex().list];
  }

  presence(user: string, directorId: string): Extract<RingEntry, { kind: 'presence' }> | undefined {
    const e = this.#entries.get(`presence\0${user}\0${directorId}`);
    return e?.kind === 'presence' ? e : undefined;
  }

  /** Every director's presence entry for `user` (tombstones included). */
  /** How many directors are ring members (not removed). */
  memberCount(): number {
    return this.#memberIndex().list.length;
  }

  /** Users with a presence entry written by `directorId` (walks every user). */
  usersWithPresenceOf(directorId: string): string[] {
    const out: string[] = [];
    for (const [user, byDirector] of this.#presenceByUser) if (byDirector.has(directorId)) out.push(user);
    return out;
  }

  /** Every director's presence entries (an operator's scan: walks every user). */
  *presenceEntries(): Iterable<Extract<RingEntry, { kind: 'presence' }>> {
    for (const byDirector of this.#presenceByUser.values()) yield* byDirector.values();
  }

  /** Users any director's presence places on `backendId` (an operator's scan: walks every user). */
  usersPresentOn(backendId: string): string[] {
    const out: string[] = [];
    for (const [user, byDirector] of this.#presenceByUser) {
      for (const e of byDirector.values()) {
        if (e.placements.some((p) => p.backendId === backendId)) {
          out.push(user);
          break;
        }
      }
    }
    return out.sort();
  }

  presenceOf(user: string): Array<Extract<RingEntry, { kind: 'presence' }>> {
    const byDirector = this.#presenceByUser.get(user);
    if (byDirector === undefined) return [];
    const members = this.#memberIndex().ids;
    const out: Array<Extract<RingEntry, { kind: 'presence' }>> = [];
    for (const e of byDirector.values()) if (members.has(e.directorId)) out.push(e);
    // Director order, as callers (and `user where`) expect.
    return out.sort((a, b) => (a.directorId < b.directorId ? -1 : a.directorId > b.directorId ? 1 : 0));
  }

  /** Operator moves in force: user → backend id. */
  moves(): Map<string, string> {
    const out = new Map<string, string>();
    for (const e of this.#entries.values()) if (e.kind === 'move' && e.backendId !== null) out.set(e.user, e.backendId);
    return out;
  }

  /** Volatile kinds (presence) are left out: after a restart they describe sessions that are gone. */
  toJSON(): PersistedState {
    return { format: 1, directorId: this.selfId, clock: this.#clock, entries: this.sortedEntries().filter((e) => !VOLATILE_KINDS.has(e.kind)) };
  }

  /** A state from a persisted one; entries that fail checkEntry are dropped. */
  static fromPersisted(data: PersistedState, selfId: string): RingState {
    const state = new RingState(selfId);
    state.merge(data.entries);
    state.observe(data.clock);
    return state;
  }
}

/*
 * DESIGN NOTE: garbage collection.
 * A register may be forgotten once every director that will ever merge
 * again must have seen the entry that ends it, so that no older entry of
 * the same key can still be on its way. As for presence, "must have seen"
 * is an age on the ring clock: a live director gets every entry within
 * seconds (gossip, full state on every reconnect), so an entry older than
 * its TTL is known to all of them. Every predicate below depends on the
 * entry and the clock (and, for backends, on seeds this process has seen);
 * the clock only grows, so an entry does not become young again: directors
 * that merged the same entries (in any order, each delivered within its
 * TTL) agree after their next collectGarbage, and merge refuses an entry it
 * would collect at once, so a peer's full state does not bring it back.
 *
 *   - presence tombstones, after PRESENCE_TOMBSTONE_TTL_MS (10 min):
 *     volatile and written only by their owner, which overwrites a stale
 *     one that comes back (cluster/presence.ts); dead directors' presence
 *     does not count.
 *   - move entries (in force or cleared), after MOVE_ENTRY_TTL_MS (10 min):
 *     app/moves.ts acts on a move only while it is younger than 2 min, so
 *     after 10 min it is history whatever its value. As the value does not
 *     matter, any older entry of the key is refused too: the key stays
 *     empty on every director.
 *   - removed-backend tombstones, after BACKEND_TOMBSTONE_TTL_MS (7 days),
 *     except for backends seen seeded from a config in this process. A
 *     tombstone hides the backend's older entries; once it is gone, an
 *     older entry of that backend would bring it back, and two places
 *     still hold one:
 *       1. configs: a director whose config still lists the backend seeds
 *          it at every start. So a director never collects the tombstone
 *          of a backend it was seeded with; its state file keeps it, and
 *          the tombstone beats the seed after a restart.
 *       2. the state file of a director that was down when the backend
 *          was removed. Within 7 days it rejoins, merges the tombstone and
 *          its old entry loses. The rule: a director away longer than
 *          BACKEND_TOMBSTONE_TTL_MS must start with its state file removed
 *          (it then learns the whole state from its peers).
 *     The tombstone a seeded director keeps is not taken back by the
 *     others (collectable there).
 *   - admin and verdict entries of an earlier incarnation of a backend:
 *     older than its tombstone, or than the `since` of the add that
 *     brought it back (the version counter of that add, carried by every
 *     later change of the live backend). Reads ignore them at once, so a
 *     re-added backend starts pending and without an operator's old
 *     `down`; they are collected once they are INCARNATION_SETTLE_MS old.
 *     The end only moves forward (a later backend entry has a later
 *     tombstone or `since`), so what is stale stays stale and the
 *     predicate depends on the entry, the backend entry and the clock only.
 *     (One exception: a weight change racing a removal, written by a
 *     director that had not seen the removal, wins by its later version
 *     with the old `since`; entries collected meanwhile stay collected
 *     there and are read elsewhere, until the next admin write or probe
 *     verdict replaces them.) Entries whose
 *     backend has no entry at all (its tombstone collected) go after
 *     BACKEND_TOMBSTONE_TTL_MS, like the tombstone.
 */

/** How long a presence tombstone is kept (by the ring clock, which runs at least at wall-clock ms). */
export const PRESENCE_TOMBSTONE_TTL_MS = 10 * 60_000;

/** How long a move entry is kept: well past app/moves.ts's 2 min in which a move is acted on. */
export const MOVE_ENTRY_TTL_MS = 10 * 60_000;

/**
 * How old an admin or verdict entry of an earlier incarnation of its
 * backend must be before it is collected, so that every director has it
 * and would collect it too.
 */
export const INCARNATION_SETTLE_MS = 10 * 60_000;

/** How long a removed backend's tombstone is kept; a director down longer must rejoin without its state file. */
export const BACKEND_TOMBSTONE_TTL_MS = 7 * 24 * 60 * 60_000;

function olderThan(entry: RingEntry, clock: number, ttlMs: number): boolean {
  return entry.version.counter < clock - ttlMs;
}

function isCollectable(entry: RingEntry, clock: number, seededBackends: ReadonlySet<string>): boolean {
  switch (entry.kind) {
    case 'presence':
      return entry.placements.length === 0 && olderThan(entry, clock, PRESENCE_TOMBSTONE_TTL_MS);
    case 'move':
      return olderThan(entry, clock, MOVE_ENTRY_TTL_MS);
    case 'backend':
      return entry.spec === null && !seededBackends.has(entry.backendId) && olderThan(entry, clock, BACKEND_TOMBSTONE_TTL_MS);
    default:
      return false;
  }
}

export class RingStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RingStateError';
  }
}

/** How the probes and operators see a backend: up takes users; down and pending take none. */
export type BackendHealth = 'up' | 'down' | 'pending';

/**
 * The down rule. A backend is down when
 *   - an operator set it down, or
 *   - no operator forced it up, and a strict majority of the voters say down,
 * where the voters are the live ring members that have published a verdict on
 * it. One director with a bad link to a backend is a minority of one: it
 * cannot take the backend out of the ring (its own logins there fail as
 * temporary failures; it never places users elsewhere on its own). A tie, as
 * in a two-director ring with one dissenter, keeps the backend up. Verdicts of
 * dead or removed directors do not count, so a crashed director's last
 * opinion neither holds a backend down nor keeps it up.
 *
 * The pending rule: a backend that no operator set up or down and on which
 * no live member has published a verdict is pending. Nobody has seen it
 * answer (just added, or every voter that had is dead), so it gets no users
 * until a probe says up; counting it up would send users to a host that may
 * not exist. Verdicts are replicated entries, so directors that see the same
 * state and live set agree on it as on down.
 *
 * `live` is the set of director ids this director currently hears from
 * (itself included); see DESIGN NOTE in cluster/gossip.ts.
 */
export function backendHealth(state: RingState, live: ReadonlySet<string>): Map<string, BackendHealth> {
  const members = state.directors().filter((d) => live.has(d.id));
  const health = new Map<string, BackendHealth>();
  for (const backend of state.backends()) {
    const admin = state.adminState(backend.id);
    if (admin !== 'none') {
      health.set(backend.id, admin);
      continue;
    }
    let voters = 0;
    let downVotes = 0;
    for (const member of members) {
      const v = state.verdict(member.id, backend.id);
      if (v === undefined) continue;
      voters += 1;
      if (v.down) downVotes += 1;
    }
    health.set(backend.id, voters === 0 ? 'pending' : downVotes * 2 > voters ? 'down' : 'up');
  }
  return health;
}

function withHealth(health: ReadonlyMap<string, BackendHealth>, wanted: BackendHealth): Set<string> {
  const out = new Set<string>();
  for (const [id, h] of health) if (h === wanted) out.add(id);
  return out;
}

/** Backends down by the down rule (backendHealth); pending ones are not in it. */
export function effectiveDown(state: RingState, live: ReadonlySet<string>): Set<string> {
  return withHealth(backendHealth(state, live), 'down');
}

/** Backends pending by the pending rule (backendHealth): no placements until a probe says up. */
export function effectivePending(state: RingState, live: ReadonlySet<string>): Set<string> {
  return withHealth(backendHealth(state, live), 'pending');
}

/**
 * Capabilities every backend offered to the live directors' probes, per
 * protocol (the intersection: the director must not promise more than any
 * backend gives). undefined when no probe has reported one yet.
 */
export function commonCapabilities(state: RingState, live: ReadonlySet<string>, protocol: ProbedProtocol): Set<string> | undefined {
  let common: Set<string> | undefined;
  const backends = new Set(state.backends().map((b) => b.id));
  for (const e of state.entries()) {
    if (e.kind !== 'verdict' || e.down || !live.has(e.directorId) || !backends.has(e.backendId)) continue;
    // A verdict on an earlier incarnation of the backend does not count.
    if (state.verdict(e.directorId, e.backendId) !== e) continue;
    const caps = e.capabilities[protocol];
    if (caps === undefined || caps.length === 0) continue;
    common = common === undefined ? new Set(caps) : new Set(caps.filter((c) => common?.has(c)));
  }
  return common;
}
