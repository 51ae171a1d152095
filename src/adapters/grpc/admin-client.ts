import { status as grpcStatus } from '@grpc/grpc-js';
import type { CallOptions, ClientUnaryCall, requestCallback, ServiceError } from '@grpc/grpc-js';
import type { AdminClient } from './generated/maildirector/admin/v1/Admin.js';
import type { FlushAuthCacheRequest } from './generated/maildirector/admin/v1/FlushAuthCacheRequest.js';
import type { FlushAuthCacheResponse__Output } from './generated/maildirector/admin/v1/FlushAuthCacheResponse.js';
import type { KickUserRequest } from './generated/maildirector/admin/v1/KickUserRequest.js';
import type { KickUserResponse__Output } from './generated/maildirector/admin/v1/KickUserResponse.js';
import type { StatusResponse__Output } from './generated/maildirector/admin/v1/StatusResponse.js';
import type { WhoRequest } from './generated/maildirector/admin/v1/WhoRequest.js';
import type { WhoResponse__Output } from './generated/maildirector/admin/v1/WhoResponse.js';
import type { AddBackendRequest } from './generated/maildirector/admin/v1/AddBackendRequest.js';
import type { RemoveBackendRequest } from './generated/maildirector/admin/v1/RemoveBackendRequest.js';
import type { AddDirectorRequest } from './generated/maildirector/admin/v1/AddDirectorRequest.js';
import type { RemoveDirectorRequest } from './generated/maildirector/admin/v1/RemoveDirectorRequest.js';
import type { RingChangeResponse__Output } from './generated/maildirector/admin/v1/RingChangeResponse.js';
import type { RingResponse__Output } from './generated/maildirector/admin/v1/RingResponse.js';
import type { SetBackendStateRequest } from './generated/maildirector/admin/v1/SetBackendStateRequest.js';
import type { SetBackendWeightRequest } from './generated/maildirector/admin/v1/SetBackendWeightRequest.js';
import type { UserWhereRequest } from './generated/maildirector/admin/v1/UserWhereRequest.js';
import type { UserWhereResponse__Output } from './generated/maildirector/admin/v1/UserWhereResponse.js';
import type { MoveUserRequest } from './generated/maildirector/admin/v1/MoveUserRequest.js';
import type { MoveUserResponse__Output } from './generated/maildirector/admin/v1/MoveUserResponse.js';
import type { PlanRingRequest } from './generated/maildirector/admin/v1/PlanRingRequest.js';
import type { PlanRingResponse__Output } from './generated/maildirector/admin/v1/PlanRingResponse.js';
import { AdminCallError } from './errors.js';
import { loadAdminProto } from './load.js';
import { channelCredentials, KEEPALIVE_OPTIONS } from './security.js';

/** Room for `who` with about five million sessions. */
export const ADMIN_MAX_RESPONSE_BYTES = 512 * 1024 * 1024;
import type { MutualTls } from './security.js';

export interface AdminClientOptions {
  /** host:port of the director's admin gRPC service. */
  readonly target: string;
  readonly tls?: MutualTls | undefined;
  /** Name to check the director's certificate against, when it differs from the target host. */
  readonly tlsServerName?: string | undefined;
  /** Per-call deadline. */
  readonly timeoutMs?: number | undefined;
}

/** The admin service as promises; every failure is an AdminCallError. */
export interface AdminApi {
  status(): Promise<StatusResponse__Output>;
  who(request: WhoRequest): Promise<WhoResponse__Output>;
  kickUser(request: KickUserRequest): Promise<KickUserResponse__Output>;
  flushAuthCache(request: FlushAuthCacheRequest): Promise<FlushAuthCacheResponse__Output>;
  ring(): Promise<RingResponse__Output>;
  addBackend(request: AddBackendRequest): Promise<RingChangeResponse__Output>;
  removeBackend(request: RemoveBackendRequest): Promise<RingChangeResponse__Output>;
  addDirector(request: AddDirectorRequest): Promise<RingChangeResponse__Output>;
  removeDirector(request: RemoveDirectorRequest): Promise<RingChangeResponse__Output>;
  setBackendWeight(request: SetBackendWeightRequest): Promise<RingChangeResponse__Output>;
  setBackendState(request: SetBackendStateRequest): Promise<RingChangeResponse__Output>;
  userWhere(request: UserWhereRequest): Promise<UserWhereResponse__Output>;
  /** Waits for the user's old sessions to end: the deadline allows for limits.move_wait. */
  moveUser(request: MoveUserRequest): Promise<MoveUserResponse__Output>;
  /** A plan over every passdb user (all_users) walks the whole directory: it gets PLAN_EXTRA_TIMEOUT_MS more. */
  planRing(request: PlanRingRequest): Promise<PlanRingResponse__Output>;
  close(): void;
}

export const DEFAULT_ADMIN_TIMEOUT_MS = 10_000;
/** A directory of 100k users is a few hundred pages of a paged search. */
const PLAN_EXTRA_TIMEOUT_MS = 170_000;
/** Added to the deadline of calls that wait for sessions to end (limits.move_wait is 30 s by default). */
export const MOVE_EXTRA_TIMEOUT_MS = 60_000;

/** Status codes that mean the director never answered, as opposed to answering "no". */
const UNREACHABLE_CODES: ReadonlySet<number> = new Set([grpcStatus.UNAVAILABLE, grpcStatus.DEADLINE_EXCEEDED]);

export function toAdminCallError(err: ServiceError): AdminCallError {
  // grpc-js appends an empty "Resolution note:" to connection failures; one clean line is enough.
  const firstLine = (err.details || err.message).split('\n', 1)[0] ?? '';
  const details = firstLine.replace(/\s*Resolution note:\s*$/, '').trim();
  return new AdminCallError(UNREACHABLE_CODES.has(err.code) ? 'unreachable' : 'rejected', err.code, details);
}

type UnaryMethod<Req, Res> = (request: Req, options: CallOptions, callback: requestCallback<Res>) => ClientUnaryCall;

export function createAdminApi(options: AdminClientOptions): AdminApi {
  const { Admin } = loadAdminProto().maildirector.admin.v1;
  const channelOptions: Record<string, string | number> = {
    ...KEEPALIVE_OPTIONS,
    // `who` on a director with 100,000 sessions answers ~9 MB; grpc-js's default cap is 4 MB.
    'grpc.max_receive_message_length': ADMIN_MAX_RESPONSE_BYTES,
  };
  if (options.tlsServerName !== undefined) channelOptions['grpc.ssl_target_name_override'] = options.tlsServerName;
  const client: AdminClient = new Admin(options.target, channelCredentials(options.tls), channelOptions);
  const timeoutMs = options.timeoutMs ?? DEFAULT_ADMIN_TIMEOUT_MS;

  function call<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, extraMs = 0): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      method.call(client, request, { deadline: Date.now() + timeoutMs + extraMs }, (err, response) => {
        if (err !== null) reject(toAdminCallError(err));
        else if (response === undefined) reject(new AdminCallError('rejected', grpcStatus.INTERNAL, 'empty response'));
        else resolve(response);
      });
    });
  }

  return {
    status: () => call<object, StatusResponse__Output>(client.status, {}),
    who: (request) => call<WhoRequest, WhoResponse__Output>(client.who, request),
    kickUser: (request) => call<KickUserRequest, KickUserResponse__Output>(client.kickUser, request),
    flushAuthCache: (request) => call<FlushAuthCacheRequest, FlushAuthCacheResponse__Output>(client.flushAuthCache, request),
    ring: () => call<object, RingResponse__Output>(client.ring, {}),
    addBackend: (request) => call<AddBackendRequest, RingChangeResponse__Output>(client.addBackend, request),
    removeBackend: (request) => call<RemoveBackendRequest, RingChangeResponse__Output>(client.removeBackend, request),
    addDirector: (request) => call<AddDirectorRequest, RingChangeResponse__Output>(client.addDirector, request),
    removeDirector: (request) => call<RemoveDirectorRequest, RingChangeResponse__Output>(client.removeDirector, request),
    setBackendWeight: (request) => call<SetBackendWeightRequest, RingChangeResponse__Output>(client.setBackendWeight, request),
    setBackendState: (request) => call<SetBackendStateRequest, RingChangeResponse__Output>(client.setBackendState, request),
    userWhere: (request) => call<UserWhereRequest, UserWhereResponse__Output>(client.userWhere, request),
    moveUser: (request) => call<MoveUserRequest, MoveUserResponse__Output>(client.moveUser, request, MOVE_EXTRA_TIMEOUT_MS),
    planRing: (request) =>
      call<PlanRingRequest, PlanRingResponse__Output>(client.planRing, request, request.allUsers === true ? PLAN_EXTRA_TIMEOUT_MS : 0),
    close: () => client.close(),
  };
}
