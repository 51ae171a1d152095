import type { Entry, Entry__Output } from '../adapters/grpc/generated/maildirector/ring/v1/Entry.js';
import type { AdminState as WireAdminState__Output } from '../adapters/grpc/generated/maildirector/ring/v1/AdminState.js';
import type { AdminState, BackendValue, RingEntry } from '../ring/state.js';
import { canonicalCapabilities, checkEntry, type Capabilities } from '../ring/state.js';
import { isProtocol, type Protocol } from '../core/protocol.js';

const ADMIN_TO_WIRE = { none: 'ADMIN_STATE_NONE', up: 'ADMIN_STATE_UP', down: 'ADMIN_STATE_DOWN' } as const;

function adminFromWire(state: WireAdminState__Output): AdminState | undefined {
  switch (state) {
    case 'ADMIN_STATE_NONE':
      return 'none';
    case 'ADMIN_STATE_UP':
      return 'up';
    case 'ADMIN_STATE_DOWN':
      return 'down';
    default:
      return undefined;
  }
}

export function entryToWire(entry: RingEntry): Entry {
  const version = { counter: entry.version.counter, origin: entry.version.origin };
  switch (entry.kind) {
    case 'backend':
      return {
        version,
        backend:
          entry.spec === null
            ? { backendId: entry.backendId, removed: true }
            : { backendId: entry.backendId, removed: false, spec: { ...entry.spec, ports: { ...entry.spec.ports } }, since: entry.since ?? 0 },
      };
    case 'admin':
      return { version, admin: { backendId: entry.backendId, state: ADMIN_TO_WIRE[entry.state] } };
    case 'verdict':
      return {
        version,
        verdict: {
          directorId: entry.directorId,
          backendId: entry.backendId,
          down: entry.down,
          // Both forms: a director of the previous version reads only the two lists.
          imapCapabilities: [...(entry.capabilities.imap ?? [])],
          pop3Capabilities: [...(entry.capabilities.pop3 ?? [])],
          capabilities: Object.fromEntries(canonicalCapabilities(entry.capabilities).map(([protocol, names]) => [protocol, { names }])),
        },
      };
    case 'director':
      return {
        version,
        director: { directorId: entry.directorId, removed: entry.address === null, address: entry.address ?? '' },
      };
    case 'move':
      return { version, move: { user: entry.user, cleared: entry.backendId === null, backendId: entry.backendId ?? '', host: entry.host ?? '' } };
    case 'presence':
      return {
        version,
        presence: {
          user: entry.user,
          directorId: entry.directorId,
          placements: entry.placements.map((p) => ({ host: p.host, backendId: p.backendId, sessions: p.sessions })),
        },
      };
  }
}

/** A sound RingEntry from a decoded wire entry, or undefined (counted and dropped by the caller). */
export function entryFromWire(wire: Entry__Output): RingEntry | undefined {
  const v = wire.version;
  if (v === null || typeof v !== 'object') return undefined;
  const version = { counter: v.counter, origin: v.origin };
  let entry: RingEntry | undefined;
  switch (wire.entry) {
    case 'backend': {
      const b = wire.backend;
      if (b == null) return undefined;
      if (b.removed) entry = { kind: 'backend', version, backendId: b.backendId, spec: null };
      else {
        if (b.spec === null) return undefined;
        const spec: BackendValue = { host: b.spec.host, ports: { ...b.spec.ports }, weight: b.spec.weight, tag: b.spec.tag };
        // 0: from a seed or a director that does not send it; such entries carry none, as before.
        entry = { kind: 'backend', version, backendId: b.backendId, spec, ...(b.since > 0 ? { since: b.since } : {}) };
      }
      break;
    }
    case 'admin': {
      const a = wire.admin;
      const state = a == null ? undefined : adminFromWire(a.state);
      if (a == null || state === undefined) return undefined;
      entry = { kind: 'admin', version, backendId: a.backendId, state };
      break;
    }
    case 'verdict': {
      const d = wire.verdict;
      if (d == null) return undefined;
      entry = {
        kind: 'verdict',
        version,
        directorId: d.directorId,
        backendId: d.backendId,
        down: d.down,
        capabilities: capabilitiesFromWire(d),
      };
      break;
    }
    case 'director': {
      const d = wire.director;
      if (d == null) return undefined;
      entry = { kind: 'director', version, directorId: d.directorId, address: d.removed ? null : d.address };
      break;
    }
    case 'move': {
      const m = wire.move;
      if (m == null) return undefined;
      entry = { kind: 'move', version, user: m.user, backendId: m.cleared ? null : m.backendId, ...(m.host === '' ? {} : { host: m.host }) };
      break;
    }
    case 'presence': {
      const p = wire.presence;
      if (p == null) return undefined;
      entry = {
        kind: 'presence',
        version,
        user: p.user,
        directorId: p.directorId,
        placements: p.placements.map((x) => ({ host: x.host, backendId: x.backendId, sessions: x.sessions })),
      };
      break;
    }
    default:
      return undefined;
  }
  return checkEntry(entry) === undefined ? entry : undefined;
}

/**
 * The per-protocol map when the peer sent one; from a director of the
 * previous version, which sends only the IMAP and POP3 lists, those.
 * Protocol names this version does not know are dropped.
 */
function capabilitiesFromWire(d: { imapCapabilities: string[]; pop3Capabilities: string[]; capabilities: Record<string, { names: string[] }> }): Capabilities {
  const out: Partial<Record<Protocol, readonly string[]>> = {};
  const map = Object.entries(d.capabilities);
  if (map.length === 0) {
    if (d.imapCapabilities.length > 0) out.imap = [...d.imapCapabilities];
    if (d.pop3Capabilities.length > 0) out.pop3 = [...d.pop3Capabilities];
    return out;
  }
  for (const [name, list] of map) {
    if (isProtocol(name) && list.names.length > 0) out[name] = [...list.names];
  }
  return out;
}
