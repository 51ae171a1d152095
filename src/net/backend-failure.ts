import { LoginFailure } from '../core/failure.js';
import { BackendConnectError } from './backend-connect.js';
import { BackendLineError } from './backend-lines.js';

/** Where a backend login stood when it failed, for the failure's (log-only) message. */
export interface BackendLoginPlace {
  /** `host:port`. */
  readonly backend: string;
  /** The protocol's state name (Dovecot's proxy state names). */
  readonly state: string;
  readonly elapsedMs: number;
  /** The login's deadline ran out: whatever broke, it is a timeout. */
  readonly timedOut: boolean;
}

/** The connect, TLS, or line reader ran out of the login's time. */
export function isBackendTimeout(err: unknown): boolean {
  return (err instanceof BackendConnectError || err instanceof BackendLineError) && err.code === 'timeout';
}

/**
 * Any error of a backend login as the LoginFailure the session core
 * renders: a refusal the protocol decided (already a LoginFailure) keeps its
 * kind; connect, TLS, timeout and reader errors are `backend_unavailable`
 * (Dovecot's LOGIN_PROXY_FAILURE_TYPE_CONNECT / _REMOTE: "try again later",
 * never "wrong password").
 */
export function backendLoginFailure(err: unknown, place: BackendLoginPlace): LoginFailure {
  const where = `backend ${place.backend}, state=${place.state}, after ${place.elapsedMs} ms`;
  if (err instanceof LoginFailure) return new LoginFailure(err.kind, `${err.message} (${where})`, err.clientText);
  if (place.timedOut || isBackendTimeout(err)) return new LoginFailure('backend_unavailable', `Login timed out (${where})`);
  if (err instanceof BackendConnectError || err instanceof BackendLineError) {
    return new LoginFailure('backend_unavailable', `${err.message} (${where})`);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new LoginFailure('backend_unavailable', `Backend login failed: ${message} (${where})`);
}
