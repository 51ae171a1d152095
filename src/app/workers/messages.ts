import type { LoginFailureKind } from '../../core/failure.js';
import type { Protocol } from '../../core/protocol.js';
import { RING_PLACEMENTS, type BackendSpec, type RingPlacement } from '../../ring/types.js';
import type { SessionInfo } from '../../session/registry.js';
import { isMetricsSnapshot, type MetricsSnapshot } from '../../adapters/metrics/metrics.js';

/*
 * The IPC between a multi-worker director's primary (ring member, admin,
 * metrics) and its workers (mail ports, logins, relays). Both ends are this
 * program, but a message is still checked at the edge: a half-upgraded or
 * crashing peer must not take the other down.
 */

/** The routing ring and the backends' pre-login capabilities, pushed on every change. */
export interface RingSnapshot {
  readonly backends: readonly BackendSpec[];
  readonly vnodes: number;
  readonly placement: RingPlacement;
  readonly down: readonly string[];
  /** By protocol; null: not known yet. */
  readonly capabilities: Readonly<Partial<Record<Protocol, readonly string[] | null>>>;
}

export type ToWorker =
  | { readonly t: 'ring'; readonly ring: RingSnapshot }
  | { readonly t: 'kick'; readonly sessionId: string; readonly reason: string }
  /** Drop these users from the passdb cache (null: everyone). */
  | { readonly t: 'flush'; readonly users: readonly string[] | null }
  | { readonly t: 'reply'; readonly id: number; readonly value: number | string | null }
  | { readonly t: 'fail'; readonly id: number; readonly kind: LoginFailureKind; readonly message: string }
  | { readonly t: 'reload' }
  | { readonly t: 'drain' }
  /** Open log.file again (the primary got SIGUSR1). */
  | { readonly t: 'reopen' }
  /** Send this worker's registry (login and connect times, process series) for a scrape. */
  | { readonly t: 'metrics'; readonly id: number };

/** Questions a worker's login asks the primary, which holds the ring-wide session presence. */
export type Question =
  /** The backend id the user is sticky to, or null. */
  | { readonly q: 'sticky'; readonly user: string; readonly tag: string }
  /** Resolves with ms waited once no director holds the user's sessions elsewhere, the destination then claimed for sessionId. */
  | { readonly q: 'exclusive'; readonly user: string; readonly host: string; readonly backendId: string | null; readonly sessionId: string }
  /** The auth penalty (ms) of a client address: one table for all workers, as Dovecot's anvil. */
  | { readonly q: 'penalty'; readonly ip: string };

export type FromWorker =
  /** The worker listens for messages now: send it the ring. */
  | { readonly t: 'hello' }
  | { readonly t: 'ready'; readonly ports: Record<string, number> }
  | { readonly t: 'add'; readonly info: SessionInfo }
  | { readonly t: 'remove'; readonly sessionId: string }
  /** A failed login, for the metrics (a relayed session's 'add' counts as an ok login). */
  | { readonly t: 'login'; readonly protocol: Protocol; readonly result: string }
  | ({ readonly t: 'ask'; readonly id: number } & Question)
  /** An authentication's outcome from a client address, for the shared auth penalty. */
  | { readonly t: 'auth'; readonly ip: string; readonly ok: boolean }
  /** The answer to 'metrics'. */
  | { readonly t: 'metrics'; readonly id: number; readonly metrics: MetricsSnapshot };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

const str = (v: unknown): v is string => typeof v === 'string';
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function isSessionInfo(v: unknown): v is SessionInfo {
  return (
    isRecord(v) &&
    str(v.sessionId) &&
    str(v.user) &&
    str(v.protocol) &&
    str(v.clientIp) &&
    num(v.clientPort) &&
    (v.backendId === undefined || str(v.backendId)) &&
    str(v.backendHost) &&
    num(v.backendPort) &&
    num(v.startedAt)
  );
}

/** A message from a worker, or undefined when it is not one we understand. */
export function parseFromWorker(m: unknown): FromWorker | undefined {
  if (!isRecord(m)) return undefined;
  switch (m.t) {
    case 'hello':
      return m as FromWorker;
    case 'ready':
      return isRecord(m.ports) ? (m as FromWorker) : undefined;
    case 'add':
      return isSessionInfo(m.info) ? (m as FromWorker) : undefined;
    case 'remove':
      return str(m.sessionId) ? (m as FromWorker) : undefined;
    case 'login':
      return str(m.protocol) && str(m.result) ? (m as FromWorker) : undefined;
    case 'auth':
      return str(m.ip) && typeof m.ok === 'boolean' ? (m as FromWorker) : undefined;
    case 'metrics':
      return num(m.id) && isMetricsSnapshot(m.metrics) ? (m as FromWorker) : undefined;
    case 'ask':
      if (!num(m.id)) return undefined;
      if (m.q === 'penalty') return str(m.ip) ? (m as FromWorker) : undefined;
      if (!str(m.user)) return undefined;
      if (m.q === 'sticky') return str(m.tag) ? (m as FromWorker) : undefined;
      if (m.q === 'exclusive') return str(m.host) && str(m.sessionId) && (m.backendId === null || str(m.backendId)) ? (m as FromWorker) : undefined;
      return undefined;
    default:
      return undefined;
  }
}

/** A message from the primary, or undefined when it is not one we understand. */
export function parseToWorker(m: unknown): ToWorker | undefined {
  if (!isRecord(m)) return undefined;
  switch (m.t) {
    case 'ring':
      return isRecord(m.ring) &&
        Array.isArray(m.ring.backends) &&
        num(m.ring.vnodes) &&
        RING_PLACEMENTS.some((p) => p === (m.ring as Record<string, unknown>)['placement']) &&
        Array.isArray(m.ring.down)
        ? (m as ToWorker)
        : undefined;
    case 'kick':
      return str(m.sessionId) && str(m.reason) ? (m as ToWorker) : undefined;
    case 'flush':
      return m.users === null || (Array.isArray(m.users) && m.users.every(str)) ? (m as ToWorker) : undefined;
    case 'reply':
      return num(m.id) ? (m as ToWorker) : undefined;
    case 'fail':
      return num(m.id) && str(m.kind) && str(m.message) ? (m as ToWorker) : undefined;
    case 'reload':
    case 'reopen':
    case 'drain':
      return m as ToWorker;
    case 'metrics':
      return num(m.id) ? (m as ToWorker) : undefined;
    default:
      return undefined;
  }
}
