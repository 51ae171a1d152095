import type { Logger } from 'pino';
import { ClaimGrants } from '../cluster/claims.js';
import type { SessionPresence } from '../cluster/presence.js';
import type { ClaimOutcome, RingNode } from '../cluster/ring-node.js';

/** A grant whose claimant's presence never arrived stops counting after this long (cluster/claims.ts). */
const GRANT_TTL_MS = 10_000;

/** What MoveCoordinator asks of the ring before a login goes to its backend (docs/ring-protocol.md). */
export interface LoginQuorum {
  /**
   * Whether this director may claim (and grant) yet: after a start it
   * knows what its peers hold only once it merged their whole states, or
   * the grant TTL passed (cluster/claims.ts `ready`).
   */
  ready(): boolean;
  /** A grant this director gave another director's login of `user` on a host other than `host`. */
  conflict(user: string, host: string): { directorId: string; host: string } | undefined;
  /** This director's claim of `user` on `host` is in its presence: ask the other members to grant it. `counter` names the claim. */
  acquire(user: string, host: string, timeoutMs: number): Promise<ClaimOutcome & { readonly counter: number }>;
  /** The claim `counter` got no majority: withdraw it where it was granted. */
  release(user: string, host: string, counter: number): void;
}

/**
 * The director's side of the claim protocol: answers peers' Claim calls
 * from its grant table and its view of presence, and asks the peers for its
 * own logins' claims.
 */
export class RingLoginQuorum implements LoginQuorum {
  readonly #node: RingNode;
  readonly #presence: SessionPresence;
  readonly #grants: ClaimGrants;
  readonly #log: Logger;
  /** ClaimGrants' `ready`: this director knows what its peers hold (cluster/claims.ts). */
  readonly #ready: () => boolean;

  constructor(node: RingNode, presence: SessionPresence, log: Logger) {
    this.#node = node;
    this.#presence = presence;
    this.#log = log;
    const startedAt = Date.now();
    let ready = false;
    this.#ready = () => (ready ||= Date.now() - startedAt >= GRANT_TTL_MS || node.gossip.hasWholeStateOfAll());
    this.#grants = new ClaimGrants({
      selfId: node.state.selfId,
      ready: this.#ready,
      holders: (user) => presence.holders(user),
      counts: (id) => node.counts(id),
      ttlMs: GRANT_TTL_MS,
    });
    node.setClaimHandler((request) => {
      if (request.release) {
        this.#grants.release(request.user, request.directorId, Number(request.presenceCounter));
        return { granted: true };
      }
      const answer = this.#grants.decide({ user: request.user, host: request.host, claimant: request.directorId, presenceCounter: Number(request.presenceCounter) });
      if (!answer.granted && answer.holder === node.state.selfId) {
        this.#log.debug({ user: request.user, claimant: request.directorId }, 'claim refused: this director has not yet merged every peer\'s state since it started');
        return { granted: false, holder: answer.holder, holderHost: answer.holderHost };
      }
      if (!answer.granted) {
        this.#log.info({ user: request.user, claimant: request.directorId, host: request.host, holder: answer.holder, holderHost: answer.holderHost }, 'claim refused: user held elsewhere');
        return { granted: false, holder: answer.holder, holderHost: answer.holderHost };
      }
      return { granted: true };
    });
    node.onEntries((changed, source) => {
      if (source !== 'remote') return;
      for (const e of changed) if (e.kind === 'presence') this.#grants.presenceSeen(e.directorId, e.user, e.version.counter);
    });
  }

  ready(): boolean {
    return this.#ready();
  }

  conflict(user: string, host: string): { directorId: string; host: string } | undefined {
    return this.#grants.conflict(user, host, this.#node.state.selfId);
  }

  async acquire(user: string, host: string, timeoutMs: number): Promise<ClaimOutcome & { readonly counter: number }> {
    const counter = this.#presence.publishNow(user);
    return { ...(await this.#node.claimRing(user, host, counter, timeoutMs)), counter };
  }

  release(user: string, host: string, counter: number): void {
    this.#node.releaseClaim(user, host, counter, this.#node.state.directors().map((d) => d.id), 1_000);
  }
}
