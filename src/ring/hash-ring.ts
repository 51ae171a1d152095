import HashRing from 'hashring';
import { DovecotTagRing, dovecotIpText, dovecotUserHash } from './dovecot-placement.js';
import type { BackendSpec, RingPlacement, RingView } from './types.js';

/** A backend list the ring cannot be built from (duplicate ids, bad weights). */
export class RingConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RingConfigError';
  }
}

/** Weight that gets exactly `vnodes` hashring vnodes (Dovecot director's default vhost_count). */
export const REFERENCE_WEIGHT = 100;

// Names inside hashring and keys into its lookup cache are prefixed: the
// cache is a plain object, so a user called `__proto__` or `toString` would
// otherwise poison Object.prototype or return a server not in the ring.
const SERVER_PREFIX = 'b=';
const KEY_PREFIX = 'k:';
const LOOKUP_CACHE_SIZE = 5000;

/** One tag's ring: the backend for a hash key. */
interface TagRing {
  pick(key: string): BackendSpec | undefined;
}

function ketamaRing(backends: readonly BackendSpec[], vnodes: number): TagRing {
  const servers = Object.create(null) as Record<string, { vnodes: number }>;
  const byServer = new Map<string, BackendSpec>();
  for (const b of backends) {
    const server = SERVER_PREFIX + b.id;
    byServer.set(server, b);
    // Explicit vnodes for every server: hashring's own weight arithmetic
    // rounds 40 down to 39 at 7, 14, 28... servers and moves keys between survivors.
    servers[server] = { vnodes: Math.max(1, Math.round((vnodes * b.weight) / REFERENCE_WEIGHT)) };
  }
  // 'vnode count' 0 so no explicit count can equal the default and fall back to the rounding path.
  const ring = new HashRing(servers, 'md5', { 'vnode count': 0, 'max cache size': LOOKUP_CACHE_SIZE });
  return {
    pick(key) {
      // hashring's types say string; an empty ring gives undefined.
      const server = ring.get(KEY_PREFIX + key) as string | undefined;
      return server === undefined ? undefined : byServer.get(server);
    },
  };
}

/** Backends Dovecot's placement cannot place: it keys hosts by IP address, so a host name has no points. */
export function unplaceableBackends(backends: readonly BackendSpec[], placement: RingPlacement): string[] {
  return placement === 'dovecot' ? backends.filter((b) => dovecotIpText(b.host) === undefined).map((b) => b.id) : [];
}

/**
 * Dovecot's director ring: a backend's weight is its vhost_count (both
 * default to 100), so `backend weight b1 50` is `doveadm director update IP 50`.
 * Callers leave out unplaceableBackends (config check and `backend add` refuse them).
 */
function dovecotRing(backends: readonly BackendSpec[]): TagRing {
  const ring = new DovecotTagRing(backends.map((b) => ({ ip: b.host, vhostCount: b.weight, value: b })));
  return { pick: (key) => ring.pick(dovecotUserHash(key)) };
}

/**
 * Immutable ring over the healthy backends, one ring per tag, placed by
 * ketama (hashring) or as Dovecot's director places (ring.placement).
 * Health or membership changes build a new BackendRing (withHealth,
 * withBackends) that the owner swaps in; a ring in use is never mutated.
 */
export class BackendRing implements RingView {
  readonly vnodes: number;
  /** Backends that take no new users because of their health: down or pending. */
  readonly down: ReadonlySet<string>;
  /** The part of `down` that no probe has answered for yet (ring/state.ts backendHealth). */
  readonly pending: ReadonlySet<string>;
  readonly #all: readonly BackendSpec[];
  readonly #byId: ReadonlyMap<string, BackendSpec>;
  readonly #rings: ReadonlyMap<string, TagRing>;
  readonly placement: RingPlacement;
  /** Backends that take no users because the placement cannot place them (unplaceableBackends), sorted. */
  readonly unplaceable: readonly string[];

  constructor(
    backends: readonly BackendSpec[],
    vnodes: number,
    down: ReadonlySet<string> = new Set(),
    pending: ReadonlySet<string> = new Set(),
    placement: RingPlacement = 'ketama',
  ) {
    if (!Number.isInteger(vnodes) || vnodes < 1) throw new RingConfigError(`vnodes must be a positive integer, got ${vnodes}`);
    const sorted = [...backends].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const byId = new Map<string, BackendSpec>();
    for (const b of sorted) {
      if (byId.has(b.id)) throw new RingConfigError(`duplicate backend id "${b.id}"`);
      if (!Number.isInteger(b.weight) || b.weight < 0) throw new RingConfigError(`backend "${b.id}": weight must be a whole number >= 0`);
      byId.set(b.id, Object.freeze({ ...b, ports: Object.freeze({ ...b.ports }) }));
    }
    this.vnodes = vnodes;
    this.pending = new Set([...pending].filter((id) => byId.has(id)));
    this.down = new Set([...down, ...this.pending].filter((id) => byId.has(id)));
    this.#all = Object.freeze([...byId.values()]);
    this.#byId = byId;

    this.placement = placement;
    this.unplaceable = Object.freeze(unplaceableBackends(this.#all, placement));
    const skip = new Set(this.unplaceable);
    const perTag = new Map<string, BackendSpec[]>();
    for (const b of this.#all) {
      // Weight 0 keeps a backend known but gives it no new users (Dovecot: vhost_count 0).
      if (this.down.has(b.id) || b.weight === 0 || skip.has(b.id)) continue;
      const list = perTag.get(b.tag);
      if (list === undefined) perTag.set(b.tag, [b]);
      else list.push(b);
    }
    const rings = new Map<string, TagRing>();
    for (const [tag, list] of perTag) rings.set(tag, placement === 'dovecot' ? dovecotRing(list) : ketamaRing(list, vnodes));
    this.#rings = rings;
  }

  /** From the `ring` section of Config (structurally, so ring/ does not import config/). */
  static fromConfig(
    ring: { readonly backends: readonly BackendSpec[]; readonly vnodes: number; readonly placement?: RingPlacement },
    down: ReadonlySet<string> = new Set(),
  ): BackendRing {
    return new BackendRing(ring.backends, ring.vnodes, down, new Set(), ring.placement ?? 'ketama');
  }

  pick(key: string, tag: string): BackendSpec | undefined {
    return this.#rings.get(tag)?.pick(key);
  }

  backends(): readonly BackendSpec[] {
    return this.#all;
  }

  backend(id: string): BackendSpec | undefined {
    return this.#byId.get(id);
  }

  isUp(id: string): boolean {
    return this.#byId.has(id) && !this.down.has(id);
  }

  /** Ids in `down` that are not pending (down by an operator or the probes), sorted. */
  downNotPending(): string[] {
    return [...this.down].filter((id) => !this.pending.has(id)).sort();
  }

  /** Tags that have at least one backend taking users. */
  tags(): readonly string[] {
    return [...this.#rings.keys()].sort();
  }

  withHealth(down: ReadonlySet<string>, pending: ReadonlySet<string> = new Set()): BackendRing {
    return new BackendRing(this.#all, this.vnodes, down, pending, this.placement);
  }

  /** A ring of other backends; ids still present keep their down or pending state. */
  withBackends(backends: readonly BackendSpec[], vnodes: number = this.vnodes): BackendRing {
    return new BackendRing(backends, vnodes, this.down, this.pending, this.placement);
  }
}
