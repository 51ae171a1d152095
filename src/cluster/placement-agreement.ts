import type { RingPlacement } from '../ring/types.js';

/**
 * What decides where a user without sessions goes: ring.placement and the
 * hash key template. Two directors of one ring that differ here route the
 * same user to two backends (I1, I2 in docs/invariants.md), so gossip links
 * carry it in their Hello and each side refuses a peer that differs: the odd
 * director is then as good as cut off, and fencing (cluster/fencing.ts) stops
 * it serving when it is in the minority.
 */
export interface PlacementSignature {
  readonly placement: RingPlacement;
  readonly hashKey: string;
}

/** What a peer's Hello said; '' is what a director older than these fields sends. */
export interface HelloPlacement {
  readonly placement: string;
  readonly hashKey: string;
}

/** Why a peer's placement is not ours, or undefined when the two agree. */
export function placementMismatch(ours: PlacementSignature, theirs: HelloPlacement): string | undefined {
  // Directors from before ring.placement existed only knew ketama.
  const placement = theirs.placement === '' ? 'ketama' : theirs.placement;
  if (placement !== ours.placement) return `peer places by ${placement}, this director by ${ours.placement} (ring.placement)`;
  // An older peer does not say; its links are kept as they always were.
  if (theirs.hashKey !== '' && theirs.hashKey !== ours.hashKey) {
    return `peer hashes ${JSON.stringify(theirs.hashKey)}, this director ${JSON.stringify(ours.hashKey)} (ring.hash_key / username_hash)`;
  }
  return undefined;
}
