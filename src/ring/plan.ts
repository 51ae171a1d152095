import type { BackendRing } from './hash-ring.js';
import type { BackendSpec } from './types.js';

/*
 * A ring change planned before it is made (`backend … --dry-run`, `ring plan
 * FILE`, GET/POST /ring/plan): the ring after the change is built with the
 * same placement as the running one, every user is placed before and after,
 * and nothing is written. Pure: the callers collect the users (presence or
 * an LDAP scan) and turn each into a hash key and tag as a login would.
 */

/** A backend of the desired list; `down` undefined keeps the health it has now. */
export interface DesiredBackend {
  readonly spec: BackendSpec;
  readonly down?: boolean | undefined;
}

/** One change relative to the ring as it is, as the backend commands make it. */
export type RingChange =
  | { readonly action: 'add'; readonly spec: BackendSpec }
  | { readonly action: 'remove'; readonly id: string }
  | { readonly action: 'weight'; readonly id: string; readonly weight: number }
  | { readonly action: 'down' | 'up'; readonly id: string };

/** A change that cannot apply to the ring (unknown id, id already there). */
export class PlanInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanInputError';
  }
}

/** The desired list a single change gives, from the ring's backends now. */
export function desiredAfter(ring: BackendRing, change: RingChange): DesiredBackend[] {
  const now = ring.backends().map((spec): DesiredBackend => ({ spec }));
  const known = (id: string): void => {
    if (ring.backend(id) === undefined) throw new PlanInputError(`unknown backend "${id}"`);
  };
  switch (change.action) {
    case 'add':
      if (ring.backend(change.spec.id) !== undefined) throw new PlanInputError(`backend "${change.spec.id}" exists`);
      // A new backend waits for its first probe (pending); the plan shows it as it will be once up.
      return [...now, { spec: change.spec, down: false }];
    case 'remove':
      known(change.id);
      return now.filter((b) => b.spec.id !== change.id);
    case 'weight':
      known(change.id);
      return now.map((b) => (b.spec.id === change.id ? { spec: { ...b.spec, weight: change.weight } } : b));
    case 'down':
    case 'up':
      known(change.id);
      return now.map((b) => (b.spec.id === change.id ? { spec: b.spec, down: change.action === 'down' } : b));
  }
}

/** The ring a desired list gives: same vnodes and placement; health kept unless the list says. */
export function ringAfter(before: BackendRing, desired: readonly DesiredBackend[]): BackendRing {
  const down = new Set<string>();
  const pending = new Set<string>();
  for (const d of desired) {
    const id = d.spec.id;
    if (d.down === true || (d.down === undefined && before.down.has(id) && !before.pending.has(id))) down.add(id);
    if (d.down === undefined && before.pending.has(id)) pending.add(id);
  }
  return before.withBackends(desired.map((d) => d.spec)).withHealth(down, pending);
}

/** A ring user as a login would route it: its hash key, tag and the backend its live sessions are on. */
export interface PlanUser {
  readonly user: string;
  /** The hash key expansion (ring.hash_key, Dovecot's director_username_hash). */
  readonly key: string;
  readonly tag: string;
  /** Backend id of the user's live sessions (ring-wide presence), if any. */
  readonly held?: string | undefined;
}

export interface BackendShare {
  readonly backendId: string;
  readonly before: number;
  readonly after: number;
}

export interface PlannedMove {
  readonly user: string;
  /** '' when no backend takes the user. */
  readonly from: string;
  readonly to: string;
  /** Live sessions keep the user on `from` until they end (or `backend flush`). */
  readonly keptBySessions: boolean;
}

export interface RingPlan {
  readonly users: number;
  /** Users whose backend differs after the change (once any live sessions end). */
  readonly moved: number;
  /** Of `moved`, users whose live sessions keep them where they are until the sessions end. */
  readonly keptBySessions: number;
  /** Users no backend takes after the change (no backend of their tag up). */
  readonly unplaced: number;
  /** Users per backend id (every backend before or after), sorted by id. */
  readonly shares: readonly BackendShare[];
  /** Users that move, sorted by user. */
  readonly moves: readonly PlannedMove[];
}

/**
 * Where the ring sends a user, as routing/route.ts does for a ring user:
 * live sessions on a backend that is up and serves the tag keep the user
 * there (I1, docs/invariants.md); otherwise the ring's placement.
 */
function placeWithSessions(ring: BackendRing, u: PlanUser): string {
  if (u.held !== undefined) {
    const spec = ring.backend(u.held);
    if (spec !== undefined && spec.tag === u.tag && ring.isUp(u.held)) return u.held;
  }
  return ring.pick(u.key, u.tag)?.id ?? '';
}

/** The plan of going from `before` to `after` for `users`. */
export function planRing(before: BackendRing, after: BackendRing, users: Iterable<PlanUser>): RingPlan {
  const shareBefore = new Map<string, number>();
  const shareAfter = new Map<string, number>();
  for (const b of before.backends()) shareBefore.set(b.id, 0);
  for (const b of after.backends()) shareAfter.set(b.id, 0);
  const moves: PlannedMove[] = [];
  let count = 0;
  let unplaced = 0;
  let kept = 0;
  for (const u of users) {
    count += 1;
    const from = placeWithSessions(before, u);
    // Where the user lands once no session holds it: the next login after they end.
    const to = after.pick(u.key, u.tag)?.id ?? '';
    if (from !== '') shareBefore.set(from, (shareBefore.get(from) ?? 0) + 1);
    if (to !== '') shareAfter.set(to, (shareAfter.get(to) ?? 0) + 1);
    else unplaced += 1;
    if (from === to) continue;
    const keptBySessions = u.held !== undefined && placeWithSessions(after, u) === from;
    if (keptBySessions) kept += 1;
    moves.push({ user: u.user, from, to, keptBySessions });
  }
  const ids = [...new Set([...shareBefore.keys(), ...shareAfter.keys()])].sort();
  return {
    users: count,
    moved: moves.length,
    keptBySessions: kept,
    unplaced,
    shares: ids.map((id) => ({ backendId: id, before: shareBefore.get(id) ?? 0, after: shareAfter.get(id) ?? 0 })),
    moves: moves.sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0)),
  };
}

/** What the director is asked to plan: one change, or the whole desired backend list. */
export interface PlanRequest {
  readonly desired: { readonly change: RingChange } | { readonly backends: readonly DesiredBackend[] };
  /** Every ring user the passdb can list, not only those with live sessions. */
  readonly allUsers: boolean;
}

/** A plan as the director answers it (admin PlanRing, /ring/plan). */
export interface PlanOutcome extends RingPlan {
  /** Which users were placed: those with live sessions, or every passdb user. */
  readonly source: 'sessions' | 'passdb';
  readonly placement: string;
  /** Users whose lookup failed (tempfail): not counted. */
  readonly skipped: number;
}
