import type { UserFields } from '../auth/fields.js';
import { sanitizeReplyText } from '../core/failure.js';
import { DEFAULT_PORTS, type Protocol } from '../core/protocol.js';
import { asciiLower } from '../ring/dovecot-placement.js';
import { compileHashKey, type HashKeyFn } from '../ring/hash-key.js';
import type { BackendSpec, RingPlacement, RingView } from '../ring/types.js';
import type { Destination, RouteDecision } from './decision.js';
import { normalizeAddress, WILDCARD_ADDRESSES } from './address.js';

export interface RouteInput {
  readonly fields: UserFields;
  readonly protocol: Protocol;
  /** Normalised (normalizeAddress) addresses of this director and its ring. */
  readonly selfAddresses: ReadonlySet<string>;
  readonly ring: RingView;
  /** Hash key template (`%u`, `%d`, ...), applied to fields.user. */
  readonly hashKey: string;
  readonly localBackend: BackendSpec | undefined;
  /**
   * I1 (docs/invariants.md) for ring users: the backend (up, in the ring) where the user has
   * live sessions on some director. When it serves the user's tag, ring
   * placement keeps the user there instead of the hash result, so a weight
   * change or a new backend moves only users without sessions.
   */
  readonly sticky?: BackendSpec | undefined;
}

/** Dovecot's reply when nologin comes without a reason (AUTH_FAILED_MSG). */
export const NOLOGIN_DEFAULT_TEXT = 'Authentication failed.';
/** Dovecot's text for a `proxy` destination that is the proxy itself. */
export const PROXY_LOOP_TEXT = 'Proxying loops';

// Templates are few (one per config); compiling once keeps the per-login cost to the expansion.
const compiled = new Map<string, HashKeyFn>();
function hashKeyFor(template: string, user: string, placement: RingPlacement): string {
  const cacheKey = `${placement}\0${template}`;
  let fn = compiled.get(cacheKey);
  if (fn === undefined) {
    if (compiled.size > 16) compiled.clear();
    // Dovecot's %L lower-cases ASCII only; ketama keeps the Unicode lower-casing it always had.
    fn = placement === 'dovecot' ? compileHashKey(template, asciiLower) : compileHashKey(template);
    compiled.set(cacheKey, fn);
  }
  return fn(user);
}

/**
 * The name the ring hashes. Dovecot's director hashes `destuser` when the
 * passdb gives one, else `user` (auth_input_line in src/director/login-connection.c).
 */
function hashedName(fields: UserFields, placement: RingPlacement): string {
  return placement === 'dovecot' && fields.destuser !== undefined && fields.destuser !== '' ? fields.destuser : fields.user;
}

function portOf(backend: BackendSpec, protocol: Protocol): number {
  return backend.ports[protocol] ?? DEFAULT_PORTS[protocol];
}

/** The key a ring user is placed by: the hash key template over the name the placement hashes. */
export function ringKeyOf(fields: UserFields, hashKey: string, placement: RingPlacement): string {
  return hashKeyFor(hashKey, hashedName(fields, placement), placement);
}

function viaRing(input: RouteInput): RouteDecision {
  const tag = input.fields.directorTag;
  const sticky = input.sticky;
  const placement = input.ring.placement ?? 'ketama';
  const backend =
    sticky !== undefined && sticky.tag === tag
      ? sticky
      : input.ring.pick(ringKeyOf(input.fields, input.hashKey, placement), tag);
  if (backend === undefined) {
    return { kind: 'refuse', failure: 'no_backend', detail: `no backend up for tag "${tag}"` };
  }
  const destination: Destination = { host: backend.host, port: portOf(backend, input.protocol), backend };
  return { kind: 'proxy', reason: 'ring', destination };
}

/**
 * Backends by normalised host, per backend list: a ring hands out the same
 * list until its backends change, and users with an LDAP host ask per login.
 */
const byHostCache = new WeakMap<readonly BackendSpec[], ReadonlyMap<string, BackendSpec>>();

function backendWithHost(ring: RingView, host: string): BackendSpec | undefined {
  const backends = ring.backends();
  let byHost = byHostCache.get(backends);
  if (byHost === undefined) {
    const map = new Map<string, BackendSpec>();
    // The first backend with the host wins, as a search in list order would find.
    for (const b of backends) {
      const key = normalizeAddress(b.host);
      if (!map.has(key)) map.set(key, b);
    }
    byHost = map;
    // A list someone may still change is not remembered.
    if (Object.isFrozen(backends)) byHostCache.set(backends, byHost);
  }
  return byHost.get(host);
}

/**
 * Routing (docs/invariants.md): where a user goes, from the passdb fields alone. Pure: the same
 * input always gives the same decision, and nothing is logged or touched.
 * The first row that matches decides.
 */
export function routeUser(input: RouteInput): RouteDecision {
  const { fields, protocol } = input;

  if (fields.nologin) {
    const reason = sanitizeReplyText(fields.reason ?? '');
    return { kind: 'refuse', failure: 'nologin', detail: reason === '' ? NOLOGIN_DEFAULT_TEXT : reason };
  }

  if (fields.host === undefined || fields.host.trim() === '') return viaRing(input);

  const host = normalizeAddress(fields.host);
  const isSelf = input.selfAddresses.has(host) || WILDCARD_ADDRESSES.has(host);

  if (isSelf) {
    if (fields.proxy === 'proxy_maybe' && fields.proxyAlways) return viaRing(input);
    if (fields.proxy === 'proxy_maybe') {
      const local = input.localBackend;
      if (local === undefined) {
        return { kind: 'refuse', failure: 'proxy_loop', detail: `${PROXY_LOOP_TEXT} (host ${host} is this director and no local_backend is set)` };
      }
      return { kind: 'proxy', reason: 'local', destination: { host: local.host, port: portOf(local, protocol), backend: local } };
    }
    return { kind: 'refuse', failure: 'proxy_loop', detail: PROXY_LOOP_TEXT };
  }

  // A director always proxies: proxy, proxy_maybe and no proxy field all go to another host.
  const backend = backendWithHost(input.ring, host);
  const port = fields.port ?? (backend === undefined ? DEFAULT_PORTS[protocol] : portOf(backend, protocol));
  return { kind: 'proxy', reason: 'ldap_host', destination: { host, port, backend } };
}
