import { status as grpcStatus } from '@grpc/grpc-js';
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { KICKED_BY_ADMIN, sanitizeKickReason } from '../core/failure.js';
import type { Passdb } from '../auth/passdb.js';
import type { RingView } from '../ring/types.js';
import type { SessionInfo, SessionRegistry } from '../session/registry.js';
import { loadAdminProto } from '../adapters/grpc/load.js';
import { startGrpcServer } from '../adapters/grpc/server.js';
import type { MutualTls } from '../adapters/grpc/security.js';
import type { AdminHandlers } from '../adapters/grpc/generated/maildirector/admin/v1/Admin.js';
import type { BackendStatus } from '../adapters/grpc/generated/maildirector/admin/v1/BackendStatus.js';
import type { Session } from '../adapters/grpc/generated/maildirector/admin/v1/Session.js';
import type { StatusResponse } from '../adapters/grpc/generated/maildirector/admin/v1/StatusResponse.js';
import type { AdminAccess } from './access.js';
import { AdminNotFoundError, AdminRequestError } from './errors.js';
import type { KickUserResponse } from '../adapters/grpc/generated/maildirector/admin/v1/KickUserResponse.js';
import type { PeerKick } from '../cluster/gossip.js';
import { guardAdminHandlers } from './guard.js';
import type { AdminGuardOptions } from './guard.js';
import { backendStatusFields, createRingAdminHandlers } from './ring-admin.js';
import type { RingAdminDeps } from './ring-admin.js';
import { compileUserMask } from './user-mask.js';

export interface AdminServiceDeps {
  readonly directorId: string;
  /** Unix ms when this director started. */
  readonly startedAt: number;
  readonly registry: SessionRegistry;
  readonly passdb: Pick<Passdb, 'flushCache'>;
  /** Called per request: the ring may be swapped on reload. */
  readonly ring: () => RingView;
  /** Health as probes or operators see it; absent: every backend counts as up. */
  readonly isBackendDown?: (id: string) => boolean;
  /** A handler failed unexpectedly or a call broke; for the director's log. */
  readonly onError?: (method: string, err: unknown) => void;
  readonly now?: () => number;
  /** The ring member behind `ring`, backend, user where; absent: those commands are refused. */
  readonly ringAdmin?: Omit<RingAdminDeps, 'directorId' | 'registry' | 'onError' | 'now'>;
  /** Who may call (every method); see admin/access.ts. */
  readonly access: AdminAccess;
  /** Audit lines of mutating calls and refusals (admin/guard.ts). */
  readonly audit: AdminGuardOptions['audit'];
  /** A ring-wide kick asks every live peer too (absent: this director only). */
  readonly kickPeers?: (user: string, reason: string, backendHost: string | undefined) => Promise<PeerKick[]>;
  /** Sessions and users per backend id over every live director (absent: this director's own). */
  readonly backendLoad?: () => ReadonlyMap<string, { readonly sessions: number; readonly users: number }>;
  /** Whether the passdb knows the user, asked when a kick found no session (absent: not asked). */
  readonly userExists?: (user: string) => Promise<boolean>;
}

/** The reason when none is given (Dovecot's KILLED_BY_ADMIN_REASON): the client gets its protocol's kick text. */
export const DEFAULT_KICK_REASON = KICKED_BY_ADMIN;

/** Sessions and distinct users per backend id from this director's own sessions. */
function localLoad(sessions: readonly SessionInfo[]): Map<string, { sessions: number; users: number }> {
  const acc = new Map<string, { sessions: number; users: Set<string> }>();
  for (const s of sessions) {
    if (s.backendId === undefined) continue;
    const slot = acc.get(s.backendId) ?? { sessions: 0, users: new Set<string>() };
    slot.sessions += 1;
    slot.users.add(s.user);
    acc.set(s.backendId, slot);
  }
  return new Map([...acc].map(([id, s]) => [id, { sessions: s.sessions, users: s.users.size }]));
}

function toSession(info: SessionInfo, directorId: string): Session {
  return {
    sessionId: info.sessionId,
    user: info.user,
    protocol: info.protocol,
    clientIp: info.clientIp,
    clientPort: info.clientPort,
    backendId: info.backendId ?? '',
    backendHost: info.backendHost,
    backendPort: info.backendPort,
    startedAtMs: info.startedAt,
    bytesFromClient: info.bytesFromClient,
    bytesFromBackend: info.bytesFromBackend,
    directorId,
  };
}

/**
 * Wrap a synchronous handler body: a refused request becomes INVALID_ARGUMENT,
 * anything else INTERNAL, and the call always gets an error listener.
 */
function unary<Req, Res>(
  method: string,
  onError: AdminServiceDeps['onError'],
  body: (request: Req) => Res,
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    call.on('error', (err: unknown) => onError?.(method, err));
    try {
      callback(null, body(call.request));
    } catch (err) {
      if (err instanceof AdminRequestError) {
        callback({ code: grpcStatus.INVALID_ARGUMENT, details: err.message });
        return;
      }
      onError?.(method, err);
      callback({ code: grpcStatus.INTERNAL, details: `${method} failed: ${err instanceof Error ? err.message : String(err)}` });
    }
  };
}

export function createAdminService(deps: AdminServiceDeps): AdminHandlers {
  const now = deps.now ?? Date.now;
  const { onError } = deps;
  const ringAdmin = deps.ringAdmin;
  const ringHandlers =
    ringAdmin === undefined
      ? undefined
      : createRingAdminHandlers({ ...ringAdmin, directorId: deps.directorId, registry: deps.registry, onError, now });
  const noRing = (method: string) => unary(method, onError, (): never => {
    throw new AdminRequestError('this director runs without a ring');
  });

  return guardAdminHandlers({
    Status: unary('Status', onError, (): StatusResponse => {
      const isDown = deps.isBackendDown ?? (() => false);
      const load = deps.backendLoad?.() ?? localLoad(deps.registry.list());
      const backends: BackendStatus[] = [...deps.ring().backends()]
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .map((b) => ({
          id: b.id,
          host: b.host,
          ports: { ...b.ports },
          weight: b.weight,
          tag: b.tag,
          state: isDown(b.id) ? 'BACKEND_STATE_DOWN' : 'BACKEND_STATE_UP',
          ...(ringAdmin === undefined ? {} : backendStatusFields(ringAdmin.node, b.id)),
          sessions: load.get(b.id)?.sessions ?? 0,
          users: load.get(b.id)?.users ?? 0,
        }));
      const current = now();
      const node = ringAdmin?.node;
      return {
        directorId: deps.directorId,
        startedAtMs: deps.startedAt,
        uptimeMs: Math.max(0, current - deps.startedAt),
        sessionCount: deps.registry.list().length,
        backends,
        ...(node === undefined
          ? {}
          : {
              directorsLive: node.state.directors().filter((d) => node.live().has(d.id)).length,
              directorsTotal: node.state.directors().length,
              ringClock: node.state.clock,
            }),
      };
    }),

    Who: unary('Who', onError, (request) => {
      const matches = compileUserMask(request.userMask);
      const sessions = deps.registry
        .list()
        .filter((s) => matches(s.user))
        .sort((a, b) => a.user.localeCompare(b.user) || a.startedAt - b.startedAt)
        .map((s) => toSession(s, deps.directorId));
      return { sessions };
    }),

    KickUser: (call, callback) => {
      call.on('error', (err: unknown) => onError?.('KickUser', err));
      kickUser(deps, call.request).then(
        (response) => callback(null, response),
        (err: unknown) => {
          if (err instanceof AdminRequestError) callback({ code: grpcStatus.INVALID_ARGUMENT, details: err.message });
          else if (err instanceof AdminNotFoundError) callback({ code: grpcStatus.NOT_FOUND, details: err.message });
          else {
            onError?.('KickUser', err);
            callback({ code: grpcStatus.INTERNAL, details: `KickUser failed: ${err instanceof Error ? err.message : String(err)}` });
          }
        },
      );
    },

    FlushAuthCache: unary('FlushAuthCache', onError, (request) => ({
      flushed: deps.passdb.flushCache(request.user === '' ? undefined : request.user),
    })),

    Ring: ringHandlers?.Ring ?? noRing('Ring'),
    AddBackend: ringHandlers?.AddBackend ?? noRing('AddBackend'),
    RemoveBackend: ringHandlers?.RemoveBackend ?? noRing('RemoveBackend'),
    SetBackendWeight: ringHandlers?.SetBackendWeight ?? noRing('SetBackendWeight'),
    SetBackendState: ringHandlers?.SetBackendState ?? noRing('SetBackendState'),
    UserWhere: ringHandlers?.UserWhere ?? noRing('UserWhere'),
    MoveUser: ringHandlers?.MoveUser ?? noRing('MoveUser'),
    AddDirector: ringHandlers?.AddDirector ?? noRing('AddDirector'),
    RemoveDirector: ringHandlers?.RemoveDirector ?? noRing('RemoveDirector'),
    PlanRing: ringHandlers?.PlanRing ?? noRing('PlanRing'),
  }, { access: deps.access, audit: deps.audit });
}

/**
 * `user kick`: this director's sessions, then (unless `local`) every live
 * peer's, as Dovecot's `director kick` reaches every director. A user
 * without a session anywhere who is not in the passdb is NOT_FOUND.
 */
async function kickUser(deps: AdminServiceDeps, request: { user: string; reason: string; backendHost: string; local: boolean }): Promise<KickUserResponse> {
  if (request.user === '') throw new AdminRequestError('user is required');
  const reason = sanitizeKickReason(request.reason) || DEFAULT_KICK_REASON;
  const backendHost = request.backendHost === '' ? undefined : request.backendHost;
  const own = deps.registry.kickUser(request.user, reason, backendHost);
  const peers = request.local || deps.kickPeers === undefined ? [] : await deps.kickPeers(request.user, reason, backendHost);
  const directors = [{ directorId: deps.directorId, kicked: own }];
  const unreachable: string[] = [];
  for (const p of peers) {
    if (p.kicked === undefined) unreachable.push(p.directorId);
    else directors.push({ directorId: p.directorId, kicked: p.kicked });
  }
  const kicked = directors.reduce((n, d) => n + d.kicked, 0);
  if (kicked === 0 && deps.userExists !== undefined && !(await deps.userExists(request.user))) {
    throw new AdminNotFoundError(`user ${request.user} does not exist in the passdb`);
  }
  return { kicked, directors, unreachable };
}

export interface AdminServerHandle {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serve `service` on `address`. With `credentials` the server requires client
 * certificates signed by their CA; without, it refuses any non-loopback
 * address (GrpcServerError kind `insecure_non_loopback`).
 */
export async function startAdminServer(
  address: { readonly host: string; readonly port: number },
  service: AdminHandlers,
  credentials: MutualTls | undefined,
): Promise<AdminServerHandle> {
  const definition = loadAdminProto().maildirector.admin.v1.Admin.service;
  const handle = await startGrpcServer(address, [{ definition, handlers: service }], credentials);
  return { port: handle.port, close: () => handle.close() };
}
