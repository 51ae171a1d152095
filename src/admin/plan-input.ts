import { isProtocol, type Protocol } from '../core/protocol.js';
import { parseHost } from '../config/net-syntax.js';
import { PlanInputError, type DesiredBackend, type PlanOutcome, type RingChange } from '../ring/plan.js';
import type { BackendSpec } from '../ring/types.js';
import type { PlannedBackend, PlannedBackend__Output } from '../adapters/grpc/generated/maildirector/admin/v1/PlannedBackend.js';
import type { PlannedChange__Output } from '../adapters/grpc/generated/maildirector/admin/v1/PlannedChange.js';
import type { PlanRingResponse } from '../adapters/grpc/generated/maildirector/admin/v1/PlanRingResponse.js';

/*
 * A desired backend list or one change, parsed at the edge (the admin
 * PlanRing request, the JSON POSTed to /ring/plan, the CLI's `ring plan
 * FILE`) into ring/plan.ts's typed values. The list is shaped like the
 * config's ring.backends: { id, host, weight, tag, ports } plus `down`.
 */

const BACKEND_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const DEFAULT_WEIGHT = 100;
const MAX_WEIGHT = 10_000;
/** More backends than any ring has: a list larger than this is a mistake, not a plan. */
const MAX_BACKENDS = 10_000;

function fail(where: string, message: string): never {
  throw new PlanInputError(`${where}: ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkId(where: string, id: unknown): string {
  if (typeof id !== 'string' || !BACKEND_ID.test(id)) fail(`${where}.id`, "letters, digits, '.', '_' or '-' (at most 64)");
  return id;
}

function checkHost(where: string, host: unknown): string {
  if (typeof host !== 'string' || host === '') fail(`${where}.host`, 'required');
  const parsed = parseHost(host);
  if (!parsed.ok) fail(`${where}.host`, parsed.message);
  return parsed.value;
}

function checkWeight(where: string, weight: unknown, fallback: number | undefined): number {
  if (weight === undefined && fallback !== undefined) return fallback;
  if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > MAX_WEIGHT) {
    fail(`${where}.weight`, `a whole number from 0 to ${MAX_WEIGHT}`);
  }
  return weight;
}

function checkPorts(where: string, ports: unknown): Partial<Record<Protocol, number>> {
  if (ports === undefined) return {};
  if (!isRecord(ports)) fail(`${where}.ports`, 'a map of protocol to port');
  const out: Partial<Record<Protocol, number>> = {};
  for (const [protocol, port] of Object.entries(ports)) {
    if (!isProtocol(protocol)) fail(`${where}.ports`, `unknown protocol "${protocol}"`);
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) fail(`${where}.ports.${protocol}`, 'a port 1..65535');
    out[protocol] = port;
  }
  return out;
}

function checkTag(where: string, tag: unknown): string {
  if (tag === undefined || tag === null) return '';
  if (typeof tag !== 'string') fail(`${where}.tag`, 'a string');
  return tag;
}

/** One backend of a desired list; `down` true/false overrides its health, absent keeps it. */
function desiredBackend(where: string, value: unknown): DesiredBackend {
  if (!isRecord(value)) fail(where, 'a map with id, host, weight, tag, ports, down');
  for (const key of Object.keys(value)) {
    if (!['id', 'host', 'weight', 'tag', 'ports', 'down'].includes(key)) fail(`${where}.${key}`, 'unknown key');
  }
  const down = value['down'];
  if (down !== undefined && typeof down !== 'boolean') fail(`${where}.down`, 'true or false');
  const spec: BackendSpec = {
    id: checkId(where, value['id']),
    host: checkHost(where, value['host']),
    ports: checkPorts(where, value['ports']),
    weight: checkWeight(where, value['weight'], DEFAULT_WEIGHT),
    tag: checkTag(where, value['tag']),
  };
  return down === undefined ? { spec } : { spec, down };
}

/**
 * A desired list from parsed YAML or JSON: the list itself, `{backends: [...]}`
 * or a whole config file's `{ring: {backends: [...]}}`.
 */
export function parseDesiredList(value: unknown): DesiredBackend[] {
  let list: unknown = value;
  if (isRecord(list) && isRecord(list['ring'])) list = list['ring']['backends'];
  else if (isRecord(list)) list = list['backends'];
  if (!Array.isArray(list)) fail('backends', 'a list of backends (as ring.backends in the config)');
  if (list.length > MAX_BACKENDS) fail('backends', `at most ${MAX_BACKENDS}`);
  const out = list.map((b, i) => desiredBackend(`backends[${i}]`, b));
  const seen = new Set<string>();
  for (const [i, b] of out.entries()) {
    if (seen.has(b.spec.id)) fail(`backends[${i}].id`, `duplicate backend id "${b.spec.id}"`);
    seen.add(b.spec.id);
  }
  return out;
}

/** The list as the PlanRing request carries it. */
export function desiredToWire(list: readonly DesiredBackend[]): PlannedBackend[] {
  return list.map((d) => ({
    id: d.spec.id,
    host: d.spec.host,
    ports: { ...d.spec.ports },
    weight: d.spec.weight,
    tag: d.spec.tag,
    health: d.down === undefined ? '' : d.down ? 'down' : 'up',
  }));
}

/** The request's list, checked again: the server trusts no client. */
export function desiredFromWire(list: readonly PlannedBackend__Output[]): DesiredBackend[] {
  return parseDesiredList(
    list.map((b) => {
      if (b.health !== '' && b.health !== 'up' && b.health !== 'down') fail(`backend ${b.id}.health`, '"", "up" or "down"');
      return {
        id: b.id,
        host: b.host,
        ports: b.ports,
        weight: b.weight,
        tag: b.tag,
        ...(b.health === '' ? {} : { down: b.health === 'down' }),
      };
    }),
  );
}

/** One change as the backend commands make it (`backend weight b1 50 --dry-run`, /ring/plan?weight=b1:50). */
export function changeFromWire(c: PlannedChange__Output): RingChange {
  const where = 'change';
  switch (c.action) {
    case 'add': {
      const spec: BackendSpec = {
        id: checkId(where, c.id),
        host: checkHost(where, c.host),
        ports: checkPorts(where, c.ports),
        weight: c.weight === 0 ? DEFAULT_WEIGHT : checkWeight(where, c.weight, undefined),
        tag: c.tag,
      };
      return { action: 'add', spec };
    }
    case 'remove':
    case 'up':
    case 'down':
      return { action: c.action, id: checkId(where, c.id) };
    case 'weight':
      return { action: 'weight', id: checkId(where, c.id), weight: checkWeight(where, c.weight, undefined) };
    default:
      return fail(`${where}.action`, 'add, remove, weight, up or down');
  }
}

/** Moves listed at most: 100k names would pass gRPC's 4 MB message limit. `moved` still counts them all. */
export const MAX_LISTED_MOVES = 20_000;

export function planResponse(plan: PlanOutcome, listMoves: boolean): PlanRingResponse {
  return {
    source: plan.source,
    placement: plan.placement,
    users: plan.users,
    moved: plan.moved,
    keptBySessions: plan.keptBySessions,
    unplaced: plan.unplaced,
    skipped: plan.skipped,
    shares: plan.shares.map((s) => ({ backendId: s.backendId, before: s.before, after: s.after })),
    moves: listMoves ? plan.moves.slice(0, MAX_LISTED_MOVES).map((m) => ({ user: m.user, from: m.from, to: m.to, keptBySessions: m.keptBySessions })) : [],
  };
}
