// Ring placement micro-benchmark ("Ring" targets: a placement decision under 5 µs).
// Times routeUser (src/routing/route.ts) over a BackendRing as the director calls it, for
// ring users, with and without the MoveCoordinator's sticky lookup, and the cost of
// rebuilding the ring after a gossip change. Prints a table; not a CI test.
//   node --import tsx test/bench/ring-placement.ts [--decisions N] [--sizes 10,50,200] [--json FILE]
import { createHash, hash as oneShotHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { pino } from 'pino';
import type { UserFields } from '../../src/auth/fields.js';
import type { Protocol } from '../../src/core/protocol.js';
import { RingNode } from '../../src/cluster/ring-node.js';
import { SessionPresence } from '../../src/cluster/presence.js';
import { DEFAULTS } from '../../src/config/sections.js';
import { MoveCoordinator } from '../../src/app/moves.js';
import { BackendRing } from '../../src/ring/hash-ring.js';
import { effectiveDown, RingState, seedEntries } from '../../src/ring/state.js';
import type { RingEntry } from '../../src/ring/state.js';
import type { BackendSpec } from '../../src/ring/types.js';
import { normalizeAddress } from '../../src/routing/address.js';
import { routeUser } from '../../src/routing/route.js';
import type { RouteDecision } from '../../src/routing/decision.js';
import { LocalSessionRegistry } from '../../src/session/registry.js';

interface Options {
  readonly decisions: number;
  readonly sizes: readonly number[];
  readonly json: string | undefined;
  /** Presence entries of other directors in the ring state for the sticky variant. */
  readonly presence: readonly number[];
}

function parseArgs(argv: readonly string[]): Options {
  let decisions = 2_000_000;
  let sizes = [10, 50, 200];
  let presence = [0, 10_000, 100_000];
  let json: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new BenchArgError(`${arg} needs a value`);
      return v;
    };
    if (arg === '--decisions') decisions = Number(next());
    else if (arg === '--sizes') sizes = next().split(',').map(Number);
    else if (arg === '--presence') presence = next().split(',').map(Number);
    else if (arg === '--json') json = next();
    else if (arg === '--help') {
      process.stdout.write('ring-placement [--decisions N] [--sizes 10,50,200] [--presence 0,10000,100000] [--json FILE]\n');
      process.exit(0);
    } else throw new BenchArgError(`unknown argument ${arg ?? ''}`);
  }
  if (!Number.isInteger(decisions) || decisions < 1000) throw new BenchArgError('--decisions must be a whole number >= 1000');
  if (sizes.some((n) => !Number.isInteger(n) || n < 3)) throw new BenchArgError('--sizes: whole numbers >= 3');
  return { decisions, sizes, presence, json };
}

class BenchArgError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchArgError';
  }
}

const SELF_HOST = '127.0.0.1';
const SELF = new Set([normalizeAddress(SELF_HOST)]);
const USERS = 200_000;
const BATCH = 256;
// Tags as a mixed cluster has them: most backends untagged, two tagged pools.
const TAGS = ['', '', '', '', '', '', '', 'eu', 'eu', 'archive'] as const;

function backends(n: number): BackendSpec[] {
  const out: BackendSpec[] = [];
  for (let i = 0; i < n; i++) {
    const weight = i % 7 === 3 ? 50 : i % 11 === 5 ? 200 : 100;
    out.push({
      id: `b${String(i).padStart(3, '0')}`,
      host: `10.${1 + Math.floor(i / 250)}.${i % 250}.${10 + (i % 7)}`,
      ports: { imap: 143, pop3: 110 },
      weight,
      tag: TAGS[i % TAGS.length] ?? '',
    });
  }
  return out;
}

/** About 5 % of the backends down (at least one), none of them the only one of a tag. */
function downSet(list: readonly BackendSpec[]): Set<string> {
  const down = new Set<string>();
  for (let i = 0; i < list.length; i += 20) down.add(list[i]?.id ?? '');
  return down;
}

function baseFields(user: string, tag: string, selfHost: boolean): UserFields {
  return {
    user,
    // Dovecot-style ring users: either no host at all, or proxy_maybe + proxy_always with this director as host.
    proxy: selfHost ? 'proxy_maybe' : 'proxy',
    proxyAlways: selfHost,
    host: selfHost ? SELF_HOST : undefined,
    port: undefined,
    sourceIp: undefined,
    protocol: undefined,
    destuser: undefined,
    proxyMech: undefined,
    proxyTimeoutMs: undefined,
    proxyNopipelining: false,
    proxyNotTrusted: false,
    ssl: 'no',
    starttls: 'no',
    master: undefined,
    pass: undefined,
    nopassword: false,
    delayUntil: undefined,
    forward: {},
    directorTag: tag,
    nologin: false,
    reason: undefined,
  };
}

function userFields(): UserFields[] {
  const out: UserFields[] = [];
  for (let i = 0; i < USERS; i++) {
    // Mostly the default tag, like the backends; every third user has a self host.
    const tag = i % 10 === 7 ? 'eu' : i % 20 === 9 ? 'archive' : '';
    out.push(baseFields(`user${i}.${(i * 2654435761) % 99991}@example${i % 13}.org`, tag, i % 3 === 0));
  }
  return out;
}

interface Timing {
  readonly decisions: number;
  readonly meanNs: number;
  /** Percentiles of the per-batch mean (BATCH decisions per batch). */
  readonly p50Ns: number;
  readonly p99Ns: number;
  readonly maxBatchNs: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] ?? NaN;
}

let sink = 0;

function consume(d: RouteDecision): void {
  // Keeps the decisions observable so nothing is optimised away.
  if (d.kind === 'proxy') sink += d.destination.port + d.destination.host.length;
  else sink += d.detail.length;
}

/**
 * Runs `decide` over the users in batches; time-bounded so slow variants
 * (sticky with a big presence table) still finish: at least `minDecisions`
 * unless `maxMs` passes first.
 */
function measure(users: readonly UserFields[], decide: (f: UserFields) => RouteDecision, decisions: number, maxMs: number): Timing {
  // Warm-up: the JIT, and hashring's lookup cache in steady state.
  const warmEnd = performance.now() + Math.min(500, maxMs / 4);
  let w = 0;
  while (performance.now() < warmEnd) {
    for (let i = 0; i < BATCH; i++) consume(decide(users[(w + i) % users.length] as UserFields));
    w += BATCH;
  }
  const perBatch: number[] = [];
  let total = 0n;
  let done = 0;
  let u = 0;
  const deadline = performance.now() + maxMs;
  while (done < decisions) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) {
      consume(decide(users[u] as UserFields));
      u = u + 1 === users.length ? 0 : u + 1;
    }
    const dt = process.hrtime.bigint() - t0;
    total += dt;
    done += BATCH;
    perBatch.push(Number(dt) / BATCH);
    if ((done & 0xfff) === 0 && performance.now() > deadline) break;
  }
  perBatch.sort((a, b) => a - b);
  return {
    decisions: done,
    meanNs: Number(total) / done,
    p50Ns: percentile(perBatch, 50),
    p99Ns: percentile(perBatch, 99),
    maxBatchNs: perBatch[perBatch.length - 1] ?? NaN,
  };
}

interface RebuildTiming {
  readonly constructMs: { median: number; p99: number };
  /** What RingNode does on a change: state.backends() + effectiveDown + change key + construction. */
  readonly recomputeMs: { median: number; p99: number };
}

function stats(samples: number[]): { median: number; p99: number } {
  samples.sort((a, b) => a - b);
  return { median: percentile(samples, 50), p99: percentile(samples, 99) };
}

function measureRebuild(list: readonly BackendSpec[], down: ReadonlySet<string>, directors: number): RebuildTiming {
  const vnodes = DEFAULTS.vnodes;
  const reps = list.length >= 200 ? 40 : 150;
  for (let i = 0; i < 5; i++) new BackendRing(list, vnodes, down);
  const construct: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const ring = new BackendRing(list, vnodes, down);
    construct.push(performance.now() - t0);
    sink += ring.vnodes;
  }
  // A state like a running ring's: seeds, every director's probe verdict on every backend.
  const state = new RingState('d00');
  const members = Array.from({ length: directors }, (_, i) => ({ id: `d${String(i).padStart(2, '0')}`, address: `127.0.0.1:${20000 + i}` }));
  state.merge(seedEntries({ backends: list, directors: members }));
  const verdicts: RingEntry[] = [];
  let counter = 1;
  for (const m of members) {
    for (const b of list) {
      verdicts.push({ kind: 'verdict', version: { counter: counter++, origin: m.id }, directorId: m.id, backendId: b.id, down: down.has(b.id), capabilities: { imap: ['IMAP4rev1'], pop3: [] } });
    }
  }
  state.merge(verdicts);
  const live = new Set(members.map((m) => m.id));
  const recompute: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const specs = state.backends();
    const effDown = effectiveDown(state, live);
    const key = JSON.stringify([specs, [...effDown].sort()]);
    const ring = new BackendRing(specs, vnodes, effDown);
    recompute.push(performance.now() - t0);
    sink += ring.vnodes + key.length;
  }
  return { constructMs: stats(construct), recomputeMs: stats(recompute) };
}

interface StickyResult {
  readonly presenceEntries: number;
  readonly stateEntries: number;
  readonly timing: Timing;
}

const silent = pino({ level: 'silent' });

/**
 * The sticky hint exactly as the director gets it: a real MoveCoordinator over
 * a real (not started) RingNode and SessionPresence. This director holds
 * sessions of every 5th user; `remotePresence` entries from 49 other
 * directors sit in the state, as they do in a ring with that many logged-in
 * users (they are scanned whether or not their directors are live).
 */
async function measureSticky(
  list: readonly BackendSpec[],
  ring: BackendRing,
  users: readonly UserFields[],
  remotePresence: number,
  decisions: number,
): Promise<StickyResult> {
  const directors = Array.from({ length: 50 }, (_, i) => ({ id: `d${String(i).padStart(2, '0')}`, address: `127.0.0.1:${20000 + i}` }));
  const node = new RingNode({ selfId: 'd00', seed: { backends: list, directors }, vnodes: DEFAULTS.vnodes, stateFile: undefined, tls: undefined, log: silent });
  const presence = new SessionPresence(node);
  const up = list.filter((b) => ring.isUp(b.id));
  const localUsers = Math.min(users.length, 20_000);
  for (let i = 0; i < localUsers; i += 5) {
    const b = up[i % up.length] as BackendSpec;
    presence.added((users[i] as UserFields).user, b.host, b.id);
  }
  // Let SessionPresence publish its entries (it flushes on setImmediate).
  await new Promise((r) => setImmediate(r));
  const remote: RingEntry[] = [];
  let counter = node.state.clock + 1;
  for (let i = 0; i < remotePresence; i++) {
    const d = directors[1 + (i % 49)] as { id: string };
    const b = up[(i * 7) % up.length] as BackendSpec;
    const user = (users[(i * 13 + 1) % users.length] as UserFields).user;
    remote.push({ kind: 'presence', version: { counter: counter++, origin: d.id }, user, directorId: d.id, placements: [{ host: b.host, backendId: b.id, sessions: 1 }] });
  }
  node.state.merge(remote);
  // A variable, not a literal: the options are still growing (claims), and sticky() needs none of the extras.
  const moveOptions = {
    node,
    presence,
    registry: new LocalSessionRegistry(),
    claims: { claim: (): void => undefined, remove: (): void => undefined },
    ring: (): BackendRing => ring,
    route: (fields: UserFields, protocol: Protocol): RouteDecision =>
      routeUser({ fields, protocol, selfAddresses: SELF, ring, hashKey: DEFAULTS.hashKey, localBackend: undefined }),
    moveWaitMs: (): number => 5_000,
    forgetUser: (): void => undefined,
    log: silent,
  };
  const moves = new MoveCoordinator(moveOptions);
  const decide = (fields: UserFields): RouteDecision =>
    routeUser({
      fields,
      protocol: 'imap',
      selfAddresses: SELF,
      ring,
      hashKey: DEFAULTS.hashKey,
      localBackend: undefined,
      sticky: moves.sticky(fields.user, fields.directorTag),
    });
  const timing = measure(users, decide, decisions, 4_000);
  moves.close();
  presence.close();
  await node.close();
  return { presenceEntries: remotePresence, stateEntries: node.state.size, timing };
}

/** Where the plain decision's time goes: the ring lookup alone, and the md5 hashring computes per uncached key. */
interface Breakdown {
  readonly pickNs: number;
  readonly md5CreateHashNs: number;
  readonly md5OneShotNs: number;
}

function timeLoop(n: number, body: (i: number) => number): number {
  for (let i = 0; i < Math.min(n, 100_000); i++) sink += body(i);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink += body(i);
  return Number(process.hrtime.bigint() - t0) / n;
}

function breakdown(ring: BackendRing, users: readonly UserFields[], n: number): Breakdown {
  const keys = users.map((f) => `k:${f.user}`);
  return {
    pickNs: timeLoop(n, (i) => {
      const f = users[i % users.length] as UserFields;
      return ring.pick(f.user, f.directorTag)?.weight ?? 0;
    }),
    // hashring hashes with crypto.createHash(md5).update(key).digest() on every cache miss.
    md5CreateHashNs: timeLoop(n, (i) => createHash('md5').update(keys[i % keys.length] as string).digest()[0] ?? 0),
    md5OneShotNs: timeLoop(n, (i) => oneShotHash('md5', keys[i % keys.length] as string, 'buffer')[0] ?? 0),
  };
}

interface SizeResult {
  readonly backends: number;
  readonly breakdown: Breakdown;
  readonly vnodes: number;
  readonly down: number;
  readonly tags: readonly string[];
  readonly plain: Timing;
  readonly sticky: readonly StickyResult[];
  readonly rebuild: RebuildTiming;
}

function fmtNs(ns: number): string {
  return ns >= 10_000 ? `${(ns / 1000).toFixed(0)} µs` : ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`;
}

function fmtMs(ms: number): string {
  return ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]): string => `| ${r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(' | ')} |`;
  const [head, ...body] = rows;
  return [line(head ?? []), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const users = userFields();
  const results: SizeResult[] = [];
  for (const n of opts.sizes) {
    const list = backends(n);
    const down = downSet(list);
    const ring = new BackendRing(list, DEFAULTS.vnodes, down);
    const plain = measure(
      users,
      (fields) => routeUser({ fields, protocol: 'imap', selfAddresses: SELF, ring, hashKey: DEFAULTS.hashKey, localBackend: undefined, sticky: undefined }),
      opts.decisions,
      60_000,
    );
    const parts = breakdown(ring, users, Math.min(opts.decisions, 1_000_000));
    const sticky: StickyResult[] = [];
    for (const p of opts.presence) sticky.push(await measureSticky(list, ring, users, p, opts.decisions));
    const rebuild = measureRebuild(list, down, 50);
    results.push({ backends: n, breakdown: parts, vnodes: DEFAULTS.vnodes, down: down.size, tags: ring.tags(), plain, sticky, rebuild });
    process.stderr.write(`ring-placement: ${n} backends done\n`);
  }

  const rows: string[][] = [['backends (down)', 'variant', 'decisions', 'mean', 'p50 batch', 'p99 batch', 'max batch']];
  for (const r of results) {
    const label = `${r.backends} (${r.down})`;
    const row = (variant: string, t: Timing): string[] => [label, variant, String(t.decisions), fmtNs(t.meanNs), fmtNs(t.p50Ns), fmtNs(t.p99Ns), fmtNs(t.maxBatchNs)];
    rows.push(row('no sticky hint', r.plain));
    for (const s of r.sticky) rows.push(row(`sticky, ${s.presenceEntries} remote presence`, s.timing));
  }
  const rebuildRows: string[][] = [['backends', 'new BackendRing median', 'p99', 'RingNode recompute (50 directors) median', 'p99']];
  for (const r of results) {
    rebuildRows.push([String(r.backends), fmtMs(r.rebuild.constructMs.median), fmtMs(r.rebuild.constructMs.p99), fmtMs(r.rebuild.recomputeMs.median), fmtMs(r.rebuild.recomputeMs.p99)]);
  }
  process.stdout.write(`\nPlacement decision: routeUser for ring users, vnodes ${DEFAULTS.vnodes}, hash_key ${DEFAULTS.hashKey}, ${USERS} distinct users, batches of ${BATCH}\n`);
  const partRows: string[][] = [['backends', 'ring.pick() alone', 'md5 createHash (hashring)', 'md5 crypto.hash one-shot']];
  for (const r of results) partRows.push([String(r.backends), fmtNs(r.breakdown.pickNs), fmtNs(r.breakdown.md5CreateHashNs), fmtNs(r.breakdown.md5OneShotNs)]);
  process.stdout.write(`${table(rows)}\n\nParts of the plain decision (mean per call)\n${table(partRows)}\n\nRing rebuild after a change\n${table(rebuildRows)}\n`);
  if (opts.json !== undefined) {
    writeFileSync(opts.json, `${JSON.stringify({ kind: 'ring-placement', at: new Date().toISOString(), batch: BATCH, users: USERS, results }, null, 2)}\n`);
  }
  if (sink === 42) process.stdout.write('\n');
}

await main();
