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
 * Read-only view of the ring that routing needs. The single-process
 * implementation lives in ring/hash-ring.ts; the gossiped ring and a
 * multi-worker shared view implement the same interface.
 */
export interface RingView {
  /** The backend for a hash key among healthy backends of `tag`, or undefined when none is up. */
  pick(key: string, tag: string): BackendSpec | undefined;
  /** Every backend known, healthy or not. */
  backends(): readonly BackendSpec[];
  backend(id: string): BackendSpec | undefined;
}
