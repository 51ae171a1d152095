import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { status as grpcStatus } from '@grpc/grpc-js';
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { isProtocol, PROTOCOLS, type Protocol } from '../core/protocol.js';
import type { UserFields } from '../auth/fields.js';
import type { Passdb } from '../auth/passdb.js';
import type { RouteDecision } from '../routing/decision.js';
import type { RingNode, ApplyOutcome } from '../cluster/ring-node.js';
import { RingStateError } from '../ring/state.js';
import type { AdminState } from '../ring/state.js';
import { DOVECOT_MAX_VHOST_COUNT, dovecotIpText } from '../ring/dovecot-placement.js';
import type { BackendSpec, RingPlacement } from '../ring/types.js';
import type { SessionRegistry } from '../session/registry.js';
import type { AdminHandlers } from '../adapters/grpc/generated/maildirector/admin/v1/Admin.js';
import type { AdminOverride } from '../adapters/grpc/generated/maildirector/admin/v1/AdminOverride.js';
import type { BackendState } from '../adapters/grpc/generated/maildirector/admin/v1/BackendState.js';
import type { BackendStatus } from '../adapters/grpc/generated/maildirector/admin/v1/BackendStatus.js';
import type { RingChangeResponse } from '../adapters/grpc/generated/maildirector/admin/v1/RingChangeResponse.js';
import type { RingResponse } from '../adapters/grpc/generated/maildirector/admin/v1/RingResponse.js';
import type { SessionHolder } from '../adapters/grpc/generated/maildirector/admin/v1/SessionHolder.js';
import type { UserWhereResponse } from '../adapters/grpc/generated/maildirector/admin/v1/UserWhereResponse.js';
import type { MoveUserResponse } from '../adapters/grpc/generated/maildirector/admin/v1/MoveUserResponse.js';
import { parseHost, parseHostPort } from '../config/net-syntax.js';
import { AdminRequestError } from './errors.js';
import { PlanInputError, type PlanOutcome, type PlanRequest } from '../ring/plan.js';
import type { PlanRingResponse } from '../adapters/grpc/generated/maildirector/admin/v1/PlanRingResponse.js';
import { changeFromWire, desiredFromWire, planResponse } from './plan-input.js';

/** What the ring commands of the admin service need from the director. */
export interface RingAdminDeps {
  readonly directorId: string;
  readonly node: RingNode;
  readonly registry: SessionRegistry;
  readonly passdb: Pick<Passdb, 'lookup'>;
  /** Routing (docs/invariants.md) with this director's ring and config. */
  readonly route: (fields: UserFields, protocol: Protocol) => RouteDecision;
  readonly onError?: ((method: string, err: unknown) => void) | undefined;
  readonly now?: () => number;
  /** `user move`; absent: the command is refused. */
  readonly mover?: { move(user: string, backendId: string, delayMs: number): Promise<UserMoveResult> } | undefined;
  /**
   * `backend flush`: send the backend's ring users whose placement without
   * the sticky hint is elsewhere to that placement; resolves with how many.
   */
  readonly flushUsers?: ((backendId: string) => Promise<number>) | undefined;
  /** Every live director's sessions of a user (ring-wide presence); absent: this director's only. */
  readonly holders?: ((user: string) => SessionHolder[]) | undefined;
  /** The addresses a backend host name resolves to (rejects when it does not); absent: the system resolver. */
  readonly resolveHost?: ((name: string) => Promise<readonly string[]>) | undefined;
  /** A ring change planned, nothing written (app/ring-planner.ts); absent: PlanRing is refused. */
  readonly planRing?: ((request: PlanRequest) => Promise<PlanOutcome>) | undefined;
}

/** What `user move` did (MoveUserResponse). */
export interface UserMoveResult {
  readonly user: string;
  readonly from: string;
  readonly to: string;
  readonly toHost: string;
  readonly kicked: number;
  readonly waitedMs: number;
  readonly complete: boolean;
  readonly delayUntilMs: number;
}

/** Longest --delay accepted: Dovecot clients time out well before. */
const MAX_MOVE_DELAY_MS = 300_000;

type RingMethods = Pick<
  AdminHandlers,
  'Ring' | 'AddBackend' | 'RemoveBackend' | 'SetBackendWeight' | 'SetBackendState' | 'UserWhere' | 'MoveUser' | 'AddDirector' | 'RemoveDirector' | 'PlanRing'
>;

const BACKEND_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const DEFAULT_WEIGHT = 100;
const MAX_WEIGHT = 10_000;
/** A resolver slower than this is as good as none for an operator waiting on `backend add`. */
const RESOLVE_TIMEOUT_MS = 5_000;

/** As service.ts's unary(), for handlers that wait (ring acks, LDAP). */
function asyncUnary<Req, Res>(
  method: string,
  onError: RingAdminDeps['onError'],
  body: (request: Req) => Promise<Res>,
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    call.on('error', (err: unknown) => onError?.(method, err));
    let work: Promise<Res>;
    try {
      work = body(call.request);
    } catch (err) {
      work = Promise.reject(err);
    }
    work.then(
      (response) => callback(null, response),
      (err: unknown) => {
        if (err instanceof AdminRequestError || err instanceof RingStateError || err instanceof PlanInputError) {
          callback({ code: grpcStatus.INVALID_ARGUMENT, details: err.message });
          return;
        }
        onError?.(method, err);
        callback({ code: grpcStatus.INTERNAL, details: `${method} failed: ${err instanceof Error ? err.message : String(err)}` });
      },
    );
  };
}

export function overrideName(state: AdminState): AdminOverride {
  switch (state) {
    case 'up':
      return 'ADMIN_OVERRIDE_UP';
    case 'down':
      return 'ADMIN_OVERRIDE_DOWN';
    default:
      return 'ADMIN_OVERRIDE_NONE';
  }
}

function overrideState(value: string): AdminState {
  switch (value) {
    case 'ADMIN_OVERRIDE_UP':
      return 'up';
    case 'ADMIN_OVERRIDE_DOWN':
      return 'down';
    case 'ADMIN_OVERRIDE_NONE':
      return 'none';
    default:
      throw new AdminRequestError('state must be NONE, UP or DOWN');
  }
}

/** Live voters on a backend and how many of them say down (ring/state.ts effectiveDown's inputs). */
export function votesOn(node: RingNode, backendId: string): { voters: number; downVotes: number } {
  const live = node.live();
  let voters = 0;
  let downVotes = 0;
  for (const d of node.state.directors()) {
    if (!live.has(d.id)) continue;
    const v = node.state.verdict(d.id, backendId);
    if (v === undefined) continue;
    voters += 1;
    if (v.down) downVotes += 1;
  }
  return { voters, downVotes };
}

/** A backend's health and votes as `status` shows them, from the effective ring this director routes with. */
export function backendStatusFields(node: RingNode, backendId: string): Pick<BackendStatus, 'state' | 'admin' | 'voters' | 'downVotes'> {
  const ring = node.ring();
  const state: BackendState = ring.pending.has(backendId)
    ? 'BACKEND_STATE_PENDING'
    : ring.isUp(backendId)
      ? 'BACKEND_STATE_UP'
      : 'BACKEND_STATE_DOWN';
  return { state, admin: overrideName(node.state.adminState(backendId)), ...votesOn(node, backendId) };
}

async function systemResolve(name: string): Promise<readonly string[]> {
  const found = await lookup(name, { all: true, verbatim: true });
  return found.map((a) => a.address);
}

/**
 * A backend host as the ring should keep it: an IP address as is, a name
 * only when it resolves now (the probes and logins resolve it again each
 * time). Returns the normalised host and the addresses a name gave.
 */
async function checkBackendHost(
  raw: string,
  resolve: (name: string) => Promise<readonly string[]>,
): Promise<{ host: string; addresses: readonly string[] }> {
  const parsed = parseHost(raw);
  if (!parsed.ok) throw new AdminRequestError(`host ${parsed.message}`);
  const host = parsed.value;
  if (isIP(host) !== 0) return { host, addresses: [] };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${RESOLVE_TIMEOUT_MS / 1000} s`)), RESOLVE_TIMEOUT_MS);
  });
  let addresses: readonly string[];
  try {
    addresses = await Promise.race([resolve(host), deadline]);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
    throw new AdminRequestError(`host "${host}" does not resolve (${why}); give an IP address or a name the directors can resolve`);
  } finally {
    clearTimeout(timer);
  }
  if (addresses.length === 0) throw new AdminRequestError(`host "${host}" resolves to no address`);
  return { host, addresses };
}

function knownBackend(node: RingNode, id: string): BackendSpec {
  const spec = node.state.backends().find((b) => b.id === id);
  if (spec === undefined) throw new AdminRequestError(`unknown backend "${id}"`);
  return spec;
}

function checkWeight(weight: number, placement: RingPlacement): void {
  // The config's range too (config/sections.ts readWeight). 0 keeps the backend's users with sessions
  // but gives it no new ones, as a vhost count of 0 does in Dovecot's director.
  if (!Number.isInteger(weight) || weight < 0 || weight > MAX_WEIGHT) {
    throw new AdminRequestError(`weight must be a whole number from 0 to ${MAX_WEIGHT} (0: no new users)`);
  }
  // The weight is Dovecot's vhost_count there, and doveadm takes none above this.
  if (placement === 'dovecot' && weight > DOVECOT_MAX_VHOST_COUNT) {
    throw new AdminRequestError(`with ring.placement dovecot the weight is Dovecot's vhost_count: 0 to ${DOVECOT_MAX_VHOST_COUNT}`);
  }
}

export function createRingAdminHandlers(deps: RingAdminDeps): RingMethods {
  const { node, onError } = deps;
  const now = deps.now ?? Date.now;
  const resolveHost = deps.resolveHost ?? systemResolve;
  const changed = (outcome: ApplyOutcome, movedUsers = 0, addresses: readonly string[] = []): RingChangeResponse => {
    const ring = node.ring();
    return {
      applied: outcome.applied,
      ackedBy: [...outcome.ackedBy].sort(),
      notAcked: [...outcome.notAcked].sort(),
      down: ring.downNotPending(),
      movedUsers,
      pending: [...ring.pending].sort(),
      addresses: [...addresses],
    };
  };

  return {
    Ring: asyncUnary('Ring', onError, async (): Promise<RingResponse> => {
      const peers = new Map(node.gossip.peers().map((p) => [p.id, p]));
      return {
        directorId: deps.directorId,
        clock: node.state.clock,
        entries: node.state.size,
        directors: node.state.directors().map((d) => {
          const self = d.id === deps.directorId;
          const peer = peers.get(d.id);
          return {
            id: d.id,
            address: d.address,
            self,
            live: self || (peer?.live ?? false),
            lastHeardMs: self ? 0 : (peer?.lastHeardMs ?? 0),
            linkOpen: peer?.linkOpen ?? false,
          };
        }),
      };
    }),

    AddBackend: asyncUnary('AddBackend', onError, async (request) => {
      if (!BACKEND_ID.test(request.id)) throw new AdminRequestError("backend id must be letters, digits, '.', '_' or '-' (at most 64)");
      if (request.host === '') throw new AdminRequestError('host is required');
      if (node.state.backends().some((b) => b.id === request.id)) {
        throw new AdminRequestError(`backend "${request.id}" exists; use backend weight, or remove it first`);
      }
      const ports: Partial<Record<Protocol, number>> = {};
      for (const [protocol, port] of Object.entries(request.ports)) {
        if (!isProtocol(protocol)) throw new AdminRequestError(`unknown protocol "${protocol}"`);
        if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new AdminRequestError(`bad ${protocol} port ${port}`);
        ports[protocol as Protocol] = port;
      }
      const weight = request.weight === 0 ? DEFAULT_WEIGHT : request.weight;
      const placement = node.ring().placement;
      checkWeight(weight, placement);
      // Before the change goes ring-wide: a host nobody can reach would only ever be probed down.
      const { host, addresses } = await checkBackendHost(request.host, resolveHost);
      // Dovecot's director keys hosts by IP address and hashes its text: a name would get no users.
      if (placement === 'dovecot' && dovecotIpText(host) === undefined) {
        throw new AdminRequestError(`with ring.placement dovecot a backend host must be an IP address, not "${host}"`);
      }
      // Asked again: another command may have added the id while the name resolved.
      if (node.state.backends().some((b) => b.id === request.id)) throw new AdminRequestError(`backend "${request.id}" exists`);
      return changed(await node.addBackend({ id: request.id, host, ports, weight, tag: request.tag }), 0, addresses);
    }),

    AddDirector: asyncUnary('AddDirector', onError, async (request) => {
      if (!BACKEND_ID.test(request.id)) throw new AdminRequestError("director id must be letters, digits, '.', '_' or '-' (at most 64)");
      const address = parseHostPort(request.address);
      if (!address.ok || address.value.port === 0) throw new AdminRequestError(`address: ${address.ok ? 'port 0' : address.message}`);
      if (node.state.directors().some((d) => d.id === request.id)) throw new AdminRequestError(`director "${request.id}" is already in the ring`);
      return changed(await node.addDirector(request.id, `${address.value.host}:${address.value.port}`));
    }),

    RemoveDirector: asyncUnary('RemoveDirector', onError, async (request) => {
      if (request.id === deps.directorId) throw new AdminRequestError('a director cannot remove itself; ask another one');
      if (!node.state.directors().some((d) => d.id === request.id)) throw new AdminRequestError(`unknown director "${request.id}"`);
      return changed(await node.removeDirector(request.id));
    }),

    RemoveBackend: asyncUnary('RemoveBackend', onError, async (request) => {
      knownBackend(node, request.id);
      return changed(await node.removeBackend(request.id));
    }),

    SetBackendWeight: asyncUnary('SetBackendWeight', onError, async (request) => {
      knownBackend(node, request.id);
      checkWeight(request.weight, node.ring().placement);
      return changed(await node.setWeight(request.id, request.weight));
    }),

    SetBackendState: asyncUnary('SetBackendState', onError, async (request) => {
      const state = overrideState(request.state);
      knownBackend(node, request.id);
      const outcome = await node.setAdminState(request.id, state);
      // Flush (Dovecot's `director flush`): users kept there only by their sessions go where the ring places them.
      const moved = state === 'none' && deps.flushUsers !== undefined ? await deps.flushUsers(request.id) : 0;
      return changed(outcome, moved);
    }),

    UserWhere: asyncUnary('UserWhere', onError, async (request): Promise<UserWhereResponse> => {
      if (request.user === '') throw new AdminRequestError('user is required');
      const protocol = request.protocol === '' ? 'imap' : request.protocol;
      if (!isProtocol(protocol)) throw new AdminRequestError(`protocol must be one of ${PROTOCOLS.join(', ')}`);
      const base: UserWhereResponse = {
        user: request.user,
        reason: '',
        detail: '',
        backendId: '',
        host: '',
        port: 0,
        tag: '',
        ldapHost: '',
        movedTo: '',
        delayedUntilMs: 0,
        sessions: [],
      };
      const found = await deps.passdb.lookup(request.user);
      if (found.kind === 'not_found') return { ...base, reason: 'not_found', detail: 'no such user in the passdb', sessions: holders(deps, request.user) };
      if (found.kind === 'tempfail') return { ...base, reason: 'tempfail', detail: found.detail, sessions: holders(deps, request.user) };
      const fields = found.fields;
      const delayAt = fields.delayUntil?.atMs ?? 0;
      const out: UserWhereResponse = {
        ...base,
        user: fields.user,
        tag: fields.directorTag,
        ldapHost: fields.host ?? '',
        movedTo: node.moves().get(fields.user) ?? '',
        delayedUntilMs: delayAt > now() ? delayAt : 0,
        sessions: holders(deps, fields.user),
      };
      const decision = deps.route(fields, protocol);
      if (decision.kind === 'refuse') return { ...out, reason: 'refused', detail: `${decision.failure}: ${decision.detail}` };
      return {
        ...out,
        reason: decision.reason,
        backendId: decision.destination.backend?.id ?? '',
        host: decision.destination.host,
        port: decision.destination.port,
      };
    }),

    PlanRing: asyncUnary('PlanRing', onError, async (request): Promise<PlanRingResponse> => {
      const planRing = deps.planRing;
      if (planRing === undefined) throw new AdminRequestError('this director cannot plan ring changes');
      let desired: PlanRequest['desired'];
      if (request.desired === 'change' && request.change != null) desired = { change: changeFromWire(request.change) };
      else if (request.desired === 'backends' && request.backends != null) desired = { backends: desiredFromWire(request.backends.backends) };
      else throw new AdminRequestError('give a change or the desired backend list');
      return planResponse(await planRing({ desired, allUsers: request.allUsers }), request.listMoves);
    }),

    MoveUser: asyncUnary('MoveUser', onError, async (request): Promise<MoveUserResponse> => {
      if (request.user === '') throw new AdminRequestError('user is required');
      if (request.backendId === '') throw new AdminRequestError('backend is required');
      if (!Number.isInteger(request.delayMs) || request.delayMs < 0 || request.delayMs > MAX_MOVE_DELAY_MS) {
        throw new AdminRequestError(`delay must be from 0 to ${MAX_MOVE_DELAY_MS / 1000} s`);
      }
      const mover = deps.mover;
      if (mover === undefined) throw new AdminRequestError('this director cannot move users');
      knownBackend(node, request.backendId);
      const r = await mover.move(request.user, request.backendId, request.delayMs);
      return {
        user: r.user,
        from: r.from,
        to: r.to,
        toHost: r.toHost,
        kicked: r.kicked,
        waitedMs: r.waitedMs,
        complete: r.complete,
        delayUntilMs: r.delayUntilMs,
      };
    }),
  };
}

/** Sessions of `user`, grouped by director and backend: ring-wide when the director knows, else its own. */
function holders(deps: RingAdminDeps, user: string): SessionHolder[] {
  if (deps.holders !== undefined) return deps.holders(user);
  const groups = new Map<string, SessionHolder>();
  for (const s of deps.registry.list()) {
    if (s.user !== user) continue;
    const key = `${s.backendId ?? ''}\0${s.backendHost}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, { directorId: deps.directorId, backendId: s.backendId ?? '', backendHost: s.backendHost, sessions: 1 });
    else groups.set(key, { ...g, sessions: (g.sessions ?? 0) + 1 });
  }
  return [...groups.values()];
}
