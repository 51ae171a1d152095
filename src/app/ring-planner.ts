import type { UserFields } from '../auth/fields.js';
import type { LookupResult } from '../auth/passdb.js';
import type { BackendRing } from '../ring/hash-ring.js';
import { RingConfigError } from '../ring/hash-ring.js';
import { desiredAfter, planRing, PlanInputError, ringAfter, type PlanOutcome, type PlanRequest, type PlanUser } from '../ring/plan.js';
import type { RouteDecision } from '../routing/decision.js';

/*
 * The director's side of a plan (admin PlanRing, GET/POST /ring/plan): the
 * users to place (those with live sessions ring-wide, or every user the
 * passdb can list), each looked up and routed as a login would, then
 * ring/plan.ts. Reads only: nothing is written to the ring state.
 */

export interface RingPlannerDeps {
  /** The ring this director routes with now. */
  readonly ring: () => BackendRing;
  /** Users with live sessions on any director (ring-wide presence). */
  readonly presentUsers: () => Iterable<string>;
  readonly lookup: (user: string) => Promise<LookupResult>;
  /** Routing (docs/invariants.md) without the sticky hint: decides who is a ring user. */
  readonly route: (fields: UserFields) => RouteDecision;
  /** The hash key the ring places the user by (routing/route.ts ringKeyOf). */
  readonly ringKey: (fields: UserFields) => string;
  /** The backend whose live sessions keep the user (the login's sticky hint), if any. */
  readonly held: (user: string, tag: string) => string | undefined;
  /** Every user of the passdb, streamed; absent: the passdb cannot list its users. */
  readonly allUsers?: (() => AsyncIterable<UserFields>) | undefined;
}

/** Lookups in flight at once for the users with sessions: the passdb's pool is shared with logins. */
const LOOKUP_BATCH = 16;

/** A ring user (docs/invariants.md, routing: no host, or proxy_maybe + proxy_always on self). */
function isRingUser(decision: RouteDecision): boolean {
  return decision.kind === 'proxy' ? decision.reason === 'ring' : decision.failure === 'no_backend';
}

export class RingPlanner {
  readonly #deps: RingPlannerDeps;

  constructor(deps: RingPlannerDeps) {
    this.#deps = deps;
  }

  /** The plan of `request` against the ring as it is now; throws PlanInputError for a bad change or list. */
  async plan(request: PlanRequest): Promise<PlanOutcome> {
    const before = this.#deps.ring();
    const desired = 'change' in request.desired ? desiredAfter(before, request.desired.change) : request.desired.backends;
    let after: BackendRing;
    try {
      after = ringAfter(before, desired);
    } catch (err) {
      if (err instanceof RingConfigError) throw new PlanInputError(err.message);
      throw err;
    }
    const users: PlanUser[] = [];
    let skipped = 0;
    const add = (fields: UserFields): void => {
      if (!isRingUser(this.#deps.route(fields))) return;
      users.push({ user: fields.user, key: this.#deps.ringKey(fields), tag: fields.directorTag, held: this.#deps.held(fields.user, fields.directorTag) });
    };
    if (request.allUsers) {
      const all = this.#deps.allUsers;
      if (all === undefined) throw new PlanInputError('this passdb cannot list its users (only ldap can)');
      for await (const fields of all()) add(fields);
    } else {
      const names = [...new Set(this.#deps.presentUsers())].sort();
      for (let i = 0; i < names.length; i += LOOKUP_BATCH) {
        const found = await Promise.all(names.slice(i, i + LOOKUP_BATCH).map((u) => this.#deps.lookup(u)));
        for (const r of found) {
          if (r.kind === 'ok') add(r.fields);
          else if (r.kind === 'tempfail') skipped += 1;
        }
      }
    }
    // PlanUser holds only the key and tag: 100k users stay a few MB while the plan runs.
    return { ...planRing(before, after, users), source: request.allUsers ? 'passdb' : 'sessions', placement: before.placement, skipped };
  }
}
