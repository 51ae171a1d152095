import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { AdminRequestError } from '../admin/errors.js';
import type { UserMoveResult } from '../admin/ring-admin.js';
import type { UserFields } from '../auth/fields.js';
import { LdapUserWriter, UserWriteError } from '../auth/ldap-user-writer.js';
import type { LookupResult } from '../auth/passdb.js';
import type { PassdbConfig } from '../config/types.js';
import type { Protocol } from '../core/protocol.js';
import type { RingNode } from '../cluster/ring-node.js';
import type { BackendRing } from '../ring/hash-ring.js';
import type { RouteDecision } from '../routing/decision.js';
import type { MoveCoordinator } from './moves.js';

export interface UserMoverOptions {
  readonly passdb: () => PassdbConfig;
  readonly lookup: (user: string) => Promise<LookupResult>;
  readonly route: (fields: UserFields, protocol: Protocol) => RouteDecision;
  readonly ring: () => BackendRing;
  readonly node: RingNode;
  readonly moves: MoveCoordinator;
  readonly forgetUser: (user: string) => void;
  readonly moveWaitMs: () => number;
  readonly log: Logger;
  readonly now?: () => number;
}

const POLL_MS = 20;
const KICK_REPEAT_MS = 2_000;

/**
 * `mail-director user move USER --to BACKEND`: the Proxying document's safe
 * move in one command. host and delay_until go to LDAP in one modify (every
 * director's change watcher and cache then see the new host), the kick is
 * published ring-wide as a `move` entry and applied before we go on, and
 * the answer comes once no live director holds a session of the user on
 * another backend (or limits.move_wait passed: complete=false).
 */
export class UserMover {
  readonly #opts: UserMoverOptions;

  constructor(opts: UserMoverOptions) {
    this.#opts = opts;
  }

  async move(user: string, backendId: string, delayMs: number): Promise<UserMoveResult> {
    const o = this.#opts;
    const now = o.now ?? Date.now;
    const passdb = o.passdb();
    if (passdb.driver !== 'ldap') throw new AdminRequestError('user move writes LDAP: the passdb is not LDAP');
    const target = o.ring().backend(backendId);
    if (target === undefined) throw new AdminRequestError(`unknown backend "${backendId}"`);
    const found = await o.lookup(user);
    if (found.kind === 'not_found') throw new AdminRequestError(`no such user "${user}" in the passdb`);
    if (found.kind === 'tempfail') throw new Error(`passdb lookup failed: ${found.detail}`);
    const fields = found.fields;
    const before = o.route(fields, 'imap');
    const from = before.kind === 'proxy' ? (before.destination.backend?.id ?? before.destination.host) : '';

    // delay_until has whole seconds: round up so the hold is never shorter than asked.
    const delayUntilSec = Math.ceil((now() + delayMs) / 1000);
    const writer = new LdapUserWriter(passdb, o.log);
    try {
      await writer.write(user, { host: target.host, delay_until: String(delayUntilSec) });
    } catch (err) {
      if (err instanceof UserWriteError && err.kind !== 'ldap') throw new AdminRequestError(err.message);
      throw err;
    } finally {
      await writer.close();
    }
    o.forgetUser(fields.user);
    o.log.info({ user: fields.user, from, to: target.id, delayUntilSec }, 'user move: LDAP updated');

    const kicked = o.moves.elsewhere(fields.user, target.host).reduce((n, h) => n + h.sessions, 0);
    const kickedAt = now();
    // Applied (and acknowledged by the live directors) before we start counting.
    await o.node.moveUser(fields.user, target.id, undefined, target.host);
    const destination = { host: target.host, port: 0, backend: target };
    const deadline = kickedAt + o.moveWaitMs();
    let lastKick = now();
    let complete = true;
    while (o.moves.elsewhere(fields.user, target.host).length > 0) {
      if (now() >= deadline) {
        complete = false;
        break;
      }
      if (now() - lastKick >= KICK_REPEAT_MS) {
        o.moves.requestKick(fields.user, destination, true);
        lastKick = now();
      }
      await sleep(POLL_MS);
    }
    const waitedMs = now() - kickedAt;
    o.log.info({ user: fields.user, from, to: target.id, kicked, waitedMs, complete }, 'user move done');
    return { user: fields.user, from, to: target.id, toHost: target.host, kicked, waitedMs, complete, delayUntilMs: delayUntilSec * 1000 };
  }
}
