import type { RingNode } from '../cluster/ring-node.js';
import { backendHealth, type BackendHealth } from '../ring/state.js';
import type { RingEvent } from './ring-events.js';

/**
 * What the ring page shows, as one JSON document: built from this
 * director's replicated state, so every director's page tells the same
 * story once gossip has converged. User names appear only in `moves[].user`
 * and `backends[].users`, and only when the caller is allowed to see them.
 */
export interface RingSnapshot {
  readonly director: string;
  readonly atMs: number;
  /** The ring clock (Lamport, about wall ms): how far this director's view has got. */
  readonly clock: number;
  readonly entries: number;
  readonly fenced: boolean;
  readonly draining: boolean;
  readonly backends: readonly BackendRow[];
  readonly directors: readonly DirectorRow[];
  readonly moves: readonly MoveRow[];
  readonly events: readonly RingEvent[];
  readonly showsUsers: boolean;
}

export interface BackendRow {
  readonly id: string;
  readonly host: string;
  readonly tag: string;
  readonly weight: number;
  /** The ring's verdict (ring/state.ts backendHealth): what routing uses. */
  readonly health: BackendHealth;
  /** An operator's override: 'none', 'up' or 'down'. */
  readonly admin: string;
  /** Each live director's own probe verdict; absent: that director has none yet. */
  readonly views: Readonly<Record<string, 'up' | 'down'>>;
  /** Sessions on this backend, ring-wide (live directors' presence). */
  readonly sessions: number;
  /** Users with sessions on this backend, ring-wide. */
  readonly usersPlaced: number;
  /** Their names, only for a caller allowed to see them. */
  readonly users?: readonly string[];
}

export interface DirectorRow {
  readonly id: string;
  readonly address: string;
  readonly self: boolean;
  readonly live: boolean;
  /** Milliseconds since this director last heard from it (0 for itself). */
  readonly lastHeardMs: number;
  /** The newest entry it wrote that this director has merged: how current its view is here. */
  readonly newestEntry: number;
  /** How far behind this director's clock that entry is (ms): the gossip lag as seen from here. */
  readonly lagMs: number;
}

/** A move or a held login's ring-wide kick in force: sessions elsewhere are being ended. */
export interface MoveRow {
  readonly user?: string;
  readonly to: string;
  readonly ageMs: number;
  /** Sessions of the user still on other backends (0: the move has completed). */
  readonly sessionsElsewhere: number;
}

export interface SnapshotDeps {
  readonly directorId: string;
  readonly node: RingNode;
  readonly fenced: () => boolean;
  readonly draining: () => boolean;
  readonly events: () => readonly RingEvent[];
  readonly now?: () => number;
}

/** app/moves.ts acts on a move entry only this long; older ones are history. */
const MOVE_IN_FORCE_MS = 120_000;

export function ringSnapshot(deps: SnapshotDeps, showUsers: boolean): RingSnapshot {
  const { node } = deps;
  const now = (deps.now ?? Date.now)();
  const state = node.state;
  const live = node.live();
  const health = backendHealth(state, live);
  const memberIds = new Set(state.directors().map((d) => d.id));

  const sessionsOn = new Map<string, number>();
  const usersOn = new Map<string, Set<string>>();
  const sessionsOf = new Map<string, Array<{ backendId: string; host: string; sessions: number }>>();
  const newest = new Map<string, number>();
  const moveEntries: Array<{ user: string; backendId: string; host: string | undefined; counter: number }> = [];
  for (const e of state.entries()) {
    const origin = e.version.origin;
    if (origin !== '') newest.set(origin, Math.max(newest.get(origin) ?? 0, e.version.counter));
    if (e.kind === 'move' && e.backendId !== null) {
      moveEntries.push({ user: e.user, backendId: e.backendId, host: e.host, counter: e.version.counter });
    } else if (e.kind === 'presence' && live.has(e.directorId) && memberIds.has(e.directorId)) {
      for (const p of e.placements) {
        sessionsOn.set(p.backendId, (sessionsOn.get(p.backendId) ?? 0) + p.sessions);
        const users = usersOn.get(p.backendId) ?? new Set<string>();
        users.add(e.user);
        usersOn.set(p.backendId, users);
        const list = sessionsOf.get(e.user) ?? [];
        list.push({ backendId: p.backendId, host: p.host, sessions: p.sessions });
        sessionsOf.set(e.user, list);
      }
    }
  }

  const backends: BackendRow[] = state.backends().map((b) => {
    const views: Record<string, 'up' | 'down'> = {};
    for (const d of state.directors()) {
      if (!live.has(d.id)) continue;
      const v = state.verdict(d.id, b.id);
      if (v !== undefined) views[d.id] = v.down ? 'down' : 'up';
    }
    const users = usersOn.get(b.id);
    return {
      id: b.id,
      host: b.host,
      tag: b.tag,
      weight: b.weight,
      health: health.get(b.id) ?? 'pending',
      admin: state.adminState(b.id),
      views,
      sessions: sessionsOn.get(b.id) ?? 0,
      usersPlaced: users?.size ?? 0,
      ...(showUsers ? { users: [...(users ?? [])].sort() } : {}),
    };
  });

  const peers = new Map(node.gossip.peers().map((p) => [p.id, p]));
  const clock = state.clock;
  const directors: DirectorRow[] = state.directors().map((d) => {
    const self = d.id === deps.directorId;
    const peer = peers.get(d.id);
    const newestEntry = newest.get(d.id) ?? 0;
    return {
      id: d.id,
      address: d.address,
      self,
      live: self || (peer?.live ?? false),
      lastHeardMs: self || peer === undefined || peer.lastHeardMs === 0 ? 0 : Math.max(0, now - peer.lastHeardMs),
      newestEntry,
      lagMs: self || newestEntry === 0 ? 0 : Math.max(0, clock - newestEntry),
    };
  });

  const moves: MoveRow[] = moveEntries
    .filter((m) => clock - m.counter < MOVE_IN_FORCE_MS)
    .sort((a, b) => b.counter - a.counter)
    .map((m) => {
      const elsewhere = (sessionsOf.get(m.user) ?? []).filter((p) => (m.host !== undefined ? p.host !== m.host : p.backendId !== m.backendId));
      return {
        ...(showUsers ? { user: m.user } : {}),
        to: m.backendId,
        ageMs: Math.max(0, clock - m.counter),
        sessionsElsewhere: elsewhere.reduce((sum, p) => sum + p.sessions, 0),
      };
    });

  return {
    director: deps.directorId,
    atMs: now,
    clock,
    entries: state.size,
    fenced: deps.fenced(),
    draining: deps.draining(),
    backends,
    directors,
    moves,
    events: deps.events().map((e) => (showUsers || e.user === undefined ? e : { ...e, user: undefined, text: e.redacted })),
    showsUsers: showUsers,
  };
}
