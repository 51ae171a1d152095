/**
 * Whether this director is on the losing side of a split and must stop
 * serving (end its sessions, tempfail logins): the directors it still sees
 * are not a strict majority of the members, so the others count it dead and
 * place its users elsewhere (I1 in docs/invariants.md).
 *
 * An even split has no majority. `tieBreaker` (ring.tie_breaker) names the
 * director whose side wins it; without one both halves of an even split
 * fence themselves in rings of four or more. A ring of two has no majority
 * to lose without a tie-breaker: both go on (the README says what that
 * risks); with one, only the tie-breaker goes on alone.
 */
export function inMinority(members: readonly string[], live: ReadonlySet<string>, tieBreaker: string | undefined): boolean {
  const tie = tieBreaker !== undefined && members.includes(tieBreaker) ? tieBreaker : undefined;
  if (members.length < 2 || (members.length === 2 && tie === undefined)) return false;
  const liveMembers = members.filter((id) => live.has(id)).length;
  if (liveMembers * 2 > members.length) return false;
  if (liveMembers * 2 === members.length && tie !== undefined) return !live.has(tie);
  return true;
}

/**
 * Whether the directors that granted a login's claim (the claimant among
 * them) are enough for it to go on (docs/ring-protocol.md): a side that
 * would not be fenced, so any two such sides share a director. In a ring of
 * two without a tie-breaker every side is one, so there the live peer must
 * grant too (only a dead one is not waited for, as fencing does not either).
 */
export function grantsSuffice(members: readonly string[], granted: ReadonlySet<string>, live: ReadonlySet<string>, tieBreaker: string | undefined): boolean {
  if (inMinority(members, granted, tieBreaker)) return false;
  const tie = tieBreaker !== undefined && members.includes(tieBreaker);
  if (members.length === 2 && !tie) return members.every((id) => granted.has(id) || !live.has(id));
  return true;
}
