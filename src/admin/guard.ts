import { status as grpcStatus } from '@grpc/grpc-js';
import type { handleUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { AdminHandlers } from '../adapters/grpc/generated/maildirector/admin/v1/Admin.js';
import { authoriseAdmin } from './access.js';
import type { AdminAccess } from './access.js';

export interface AdminGuardOptions {
  readonly access: AdminAccess;
  /** Where audit lines go (one per mutating call) and refused read-only calls are noted. */
  readonly audit: Pick<Logger, 'info' | 'warn'>;
}

/** The request fields an audit line keeps: named one by one, so a field added later (a secret) stays out until chosen. */
type AuditArguments<Req> = (request: Req) => Record<string, unknown>;

/** `PERMISSION_DENIED: certificate ... is not in grpc_tls.admins`, or the error's message. */
function errorText(error: Parameters<sendUnaryData<unknown>>[0]): string {
  if (error === null) return '';
  const code = error.code === undefined ? 'UNKNOWN' : (grpcStatus[error.code] ?? String(error.code));
  const message = 'message' in error && typeof error.message === 'string' ? error.message : '';
  return `${code}: ${error.details ?? message}`;
}

function guarded<Req, Res>(
  command: string,
  handler: handleUnaryCall<Req, Res>,
  options: AdminGuardOptions,
  auditArguments: AuditArguments<Req> | undefined,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const verdict = authoriseAdmin(call, options.access);
    const peer = call.getPeer();
    const audit = (error: Parameters<sendUnaryData<Res>>[0]): void => {
      if (auditArguments === undefined) return;
      const line = { audit: true, who: verdict.who, command, args: auditArguments(call.request), peer };
      options.audit.info(error === null ? { ...line, result: 'ok' } : { ...line, result: 'error', detail: errorText(error) }, 'admin command');
    };
    if (!verdict.allowed) {
      const error = { code: grpcStatus.PERMISSION_DENIED, details: verdict.reason };
      if (auditArguments === undefined) options.audit.warn({ who: verdict.who, command, peer }, verdict.reason);
      else audit(error);
      callback(error);
      return;
    }
    if (auditArguments === undefined) {
      handler(call, callback);
      return;
    }
    handler(call, (error, value, trailer, flags) => {
      audit(error);
      callback(error, value, trailer, flags);
    });
  };
}

/**
 * Every Admin call goes through here: the caller must be an admin
 * (admin/access.ts), and each mutating call leaves exactly one audit line
 * (who, command, arguments, peer address, result) once it has answered.
 */
export function guardAdminHandlers(h: AdminHandlers, options: AdminGuardOptions): AdminHandlers {
  const readOnly = <Req, Res>(command: string, handler: handleUnaryCall<Req, Res>): handleUnaryCall<Req, Res> =>
    guarded(command, handler, options, undefined);
  const mutating = <Req, Res>(command: string, handler: handleUnaryCall<Req, Res>, args: AuditArguments<Req>): handleUnaryCall<Req, Res> =>
    guarded(command, handler, options, args);
  return {
    Status: readOnly('Status', h.Status),
    Who: readOnly('Who', h.Who),
    Ring: readOnly('Ring', h.Ring),
    UserWhere: readOnly('UserWhere', h.UserWhere),
    // A plan writes nothing (ring/plan.ts): no audit line.
    PlanRing: readOnly('PlanRing', h.PlanRing),
    AddBackend: mutating('AddBackend', h.AddBackend, (r) => ({ id: r.id, host: r.host, ports: { ...r.ports }, weight: r.weight, tag: r.tag })),
    RemoveBackend: mutating('RemoveBackend', h.RemoveBackend, (r) => ({ id: r.id })),
    SetBackendWeight: mutating('SetBackendWeight', h.SetBackendWeight, (r) => ({ id: r.id, weight: r.weight })),
    SetBackendState: mutating('SetBackendState', h.SetBackendState, (r) => ({ id: r.id, state: r.state })),
    MoveUser: mutating('MoveUser', h.MoveUser, (r) => ({ user: r.user, backend: r.backendId, delayMs: r.delayMs })),
    KickUser: mutating('KickUser', h.KickUser, (r) => ({ user: r.user, reason: r.reason, backendHost: r.backendHost })),
    FlushAuthCache: mutating('FlushAuthCache', h.FlushAuthCache, (r) => ({ user: r.user })),
    AddDirector: mutating('AddDirector', h.AddDirector, (r) => ({ id: r.id, address: r.address })),
    RemoveDirector: mutating('RemoveDirector', h.RemoveDirector, (r) => ({ id: r.id })),
  };
}
