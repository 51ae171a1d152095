import type { PresenceHolder } from './presence.js';

/** One login's claim on a user's destination, as a peer asks for it (docs/ring-protocol.md). */
export interface ClaimAsk {
  readonly user: string;
  readonly host: string;
  readonly claimant: string;
  /** The claimant's presence entry for the user that includes the claim (its version counter). */
  readonly presenceCounter: number;
}

export type ClaimAnswer =
  | { readonly granted: true }
  | { readonly granted: false; readonly holder: string; readonly holderHost: string };

export interface ClaimGrantsOptions {
  readonly selfId: string;
  /** Who holds sessions of the user: this director's and every peer's presence that still counts. */
  readonly holders: (user: string) => readonly PresenceHolder[];
  /** Whether a director's sessions and claims still count: live, or dead for less than ring.gossip.presence_hold. */
  readonly counts: (directorId: string) => boolean;
  /**
   * A grant whose claimant's presence never arrived (its login failed and
   * the release was lost) stops counting after this long.
   */
  readonly ttlMs: number;
  /**
   * Whether this director may grant at all yet. Grants live in memory: a
   * director that restarted has forgotten the ones it gave, and a claim it
   * granted just before may not have reached anybody else as presence yet.
   * So it grants nothing until it knows what its peers hold (their whole
   * states merged since its start), or until every grant it could have
   * given before would have expired (`ttlMs` from its start). Without this,
   * a crash between a grant and the claimant's presence arriving lets a
   * second claim on another host collect the same majority (model/).
   */
  readonly ready?: () => boolean;
  readonly now?: () => number;
}

interface Grant {
  readonly host: string;
  readonly presenceCounter: number;
  readonly at: number;
}

/** Above this many users with grants, expired ones are swept on the next grant. */
const SWEEP_ABOVE = 10_000;

/**
 * The grants this director gave to peers' logins (the Claim RPC). A grant
 * says "user U may go to host H through director D": until D's presence
 * entry for U that includes the claim arrives here (it speaks for D from
 * then on), D releases it, or it expires, no other director's claim of U on
 * another host is granted here. Any two majorities of the members share a
 * director, so two conflicting claims never both collect a majority.
 */
export class ClaimGrants {
  readonly #opts: ClaimGrantsOptions;
  readonly #grants = new Map<string, Map<string, Grant>>();

  constructor(opts: ClaimGrantsOptions) {
    this.#opts = opts;
  }

  #now(): number {
    return (this.#opts.now ?? Date.now)();
  }

  /** Grant `ask` unless another director holds or claimed the user on another host. */
  decide(ask: ClaimAsk): ClaimAnswer {
    if (this.#opts.ready?.() === false) return { granted: false, holder: this.#opts.selfId, holderHost: '' };
    for (const h of this.#opts.holders(ask.user)) {
      if (h.directorId !== ask.claimant && h.host !== ask.host) return { granted: false, holder: h.directorId, holderHost: h.host };
    }
    const other = this.conflict(ask.user, ask.host, ask.claimant);
    if (other !== undefined) return { granted: false, holder: other.directorId, holderHost: other.host };
    if (this.#grants.size > SWEEP_ABOVE) this.#sweep();
    let byClaimant = this.#grants.get(ask.user);
    if (byClaimant === undefined) {
      byClaimant = new Map();
      this.#grants.set(ask.user, byClaimant);
    }
    byClaimant.set(ask.claimant, { host: ask.host, presenceCounter: ask.presenceCounter, at: this.#now() });
    return { granted: true };
  }

  /** A grant to a director other than `except` that still counts, on a host other than `host`. */
  conflict(user: string, host: string, except: string): { directorId: string; host: string } | undefined {
    const byClaimant = this.#grants.get(user);
    if (byClaimant === undefined) return undefined;
    const now = this.#now();
    for (const [claimant, g] of byClaimant) {
      if (claimant === except || g.host === host) continue;
      if (now - g.at > this.#opts.ttlMs || !this.#opts.counts(claimant)) continue;
      return { directorId: claimant, host: g.host };
    }
    return undefined;
  }

  /**
   * The claimant gave its claim up (no majority). `upTo`: the counter of
   * the claim it gave up; a grant of a later claim of the same claimant
   * stays (a release can overtake that claim's Claim call). 0, from a
   * director that sends none: whatever it was granted.
   */
  release(user: string, claimant: string, upTo = 0): void {
    const byClaimant = this.#grants.get(user);
    if (byClaimant === undefined) return;
    const g = byClaimant.get(claimant);
    if (g === undefined || (upTo > 0 && g.presenceCounter > upTo)) return;
    byClaimant.delete(claimant);
    if (byClaimant.size === 0) this.#grants.delete(user);
  }

  /** A presence entry of `directorId` for `user` arrived: from `counter` on, it speaks for that director's claims. */
  presenceSeen(directorId: string, user: string, counter: number): void {
    const g = this.#grants.get(user)?.get(directorId);
    if (g !== undefined && counter >= g.presenceCounter) this.release(user, directorId, counter);
  }

  /** Users with grants (tests, metrics). */
  size(): number {
    return this.#grants.size;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [user, byClaimant] of this.#grants) {
      for (const [claimant, g] of byClaimant) if (now - g.at > this.#opts.ttlMs) byClaimant.delete(claimant);
      if (byClaimant.size === 0) this.#grants.delete(user);
    }
  }
}
