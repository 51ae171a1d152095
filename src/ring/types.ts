import type { Protocol } from '../core/protocol.js';

/** A backend as the cluster config names it. Ids are stable; addresses may change. */
export interface BackendSpec {
  readonly id: string;
  readonly host: string;
  /** Per-protocol port; a protocol absent here uses DEFAULT_PORTS. */
  readonly ports: Readonly<Partial<Record<Protocol, number>>>;
  readonly weight: number;
  /** '' is the default tag. */
  readonly tag: string;
}

/**
 * ring.placement: `ketama` (hashring's ring, weights as vnodes) or `dovecot`
 * (Dovecot 2.3 director's ring, weight as vhost_count; ring/dovecot-placement.ts).
 */
export type RingPlacement = 'ketama' | 'dovecot';

export const RING_PLACEMENTS: readonly RingPlacement[] = ['ketama', 'dovecot'];

/**
 * Read-only view of the ring that routing needs. The single-process
 * implementation lives in ring/hash-ring.ts; the gossiped ring and a
 * multi-worker shared view implement the same interface.
 */
export interface RingView {
  /** How the ring places a hash key (ring.placement); undefined: ketama. */
  readonly placement?: RingPlacement;
  /** The backend for a hash key among healthy backends of `tag`, or undefined when none is up. */
  pick(key: string, tag: string): BackendSpec | undefined;
  /** Every backend known, healthy or not. */
  backends(): readonly BackendSpec[];
  backend(id: string): BackendSpec | undefined;
}
