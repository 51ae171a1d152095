// Gossip convergence at scale ("Ring" targets: < 2 s with 3 directors, < 5 s with 50
// directors in one process). Every director is a real RingNode (Gossip + RingState + its
// BackendRing) with its own gRPC server on 127.0.0.1, full mesh over mTLS like production.
// One director makes a backend change; the time until every director's effective ring shows
// it is measured. Prints a table; not a CI test.
//   node --import tsx test/bench/ring-sim.ts [--directors 3,50] [--trials 10] [--backends 10]
//        [--delay-ms 50 --delayed 10] [--no-tls] [--json FILE]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { MutualTls } from '../../src/adapters/grpc/security.js';
import { startGrpcServer, type GrpcServerHandle } from '../../src/adapters/grpc/server.js';
import { RingNode } from '../../src/cluster/ring-node.js';
import { DEFAULT_GOSSIP_TUNING } from '../../src/cluster/tuning.js';
import { DEFAULTS } from '../../src/config/sections.js';
import type { BackendRing } from '../../src/ring/hash-ring.js';
import type { BackendSpec } from '../../src/ring/types.js';
import { makeClusterPki } from '../integration/cluster/certs.js';
import { freePorts } from '../harness/ports.js';

interface Options {
  readonly directors: readonly number[];
  readonly trials: number;
  readonly backends: number;
  readonly delayMs: number;
  readonly delayed: number;
  readonly tls: boolean;
  readonly json: string | undefined;
}

class BenchArgError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchArgError';
  }
}

function parseArgs(argv: readonly string[]): Options {
  let directors = [3, 50];
  let trials = 10;
  let backends = 10;
  let delayMs = 0;
  let delayed = 0;
  let tls = true;
  let json: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new BenchArgError(`${arg} needs a value`);
      return v;
    };
    if (arg === '--directors') directors = next().split(',').map(Number);
    else if (arg === '--trials') trials = Number(next());
    else if (arg === '--backends') backends = Number(next());
    else if (arg === '--delay-ms') delayMs = Number(next());
    else if (arg === '--delayed') delayed = Number(next());
    else if (arg === '--no-tls') tls = false;
    else if (arg === '--json') json = next();
    else if (arg === '--help') {
      process.stdout.write('ring-sim [--directors 3,50] [--trials 10] [--backends 10] [--delay-ms MS --delayed K] [--no-tls] [--json FILE]\n');
      process.exit(0);
    } else throw new BenchArgError(`unknown argument ${arg ?? ''}`);
  }
  if (directors.some((n) => !Number.isInteger(n) || n < 2 || n > 200)) throw new BenchArgError('--directors: whole numbers 2..200');
  if (!Number.isInteger(trials) || trials < 1) throw new BenchArgError('--trials must be >= 1');
  if (!Number.isInteger(backends) || backends < 3) throw new BenchArgError('--backends must be >= 3');
  if (delayMs > 0 && delayed === 0) delayed = Infinity;
  return { directors, trials, backends, delayMs, delayed, tls, json };
}

/** Warnings the ring logs when links break or peers are declared dead, counted (they are the symptom of overload). */
const linkEvents = { linkDown: 0, markedDead: 0 };
const debugLog = process.env['MD_BENCH_LOG'];
const log =
  debugLog !== undefined
    ? pino({ level: debugLog }, pino.destination(2))
    : pino(
        { level: 'warn' },
        {
          write(line: string): void {
            if (line.includes('"gossip link down"')) linkEvents.linkDown += 1;
            else if (line.includes('"director marked dead')) linkEvents.markedDead += 1;
          },
        },
      );

function backendList(n: number): BackendSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `b${String(i).padStart(3, '0')}`,
    host: `10.0.${Math.floor(i / 250)}.${10 + (i % 250)}`,
    ports: { imap: 143, pop3: 110 },
    weight: 100,
    tag: i % 5 === 4 ? 'eu' : '',
  }));
}

const directorId = (i: number): string => `d${String(i).padStart(2, '0')}`;

/**
 * A TCP relay that holds every chunk for `ms` in both directions: the
 * director behind it receives every delta (and sends every ack) that late.
 */
function delayProxy(listenPort: number, targetPort: number, ms: number): Promise<Server> {
  const server = createServer((client: Socket) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    const relay = (from: Socket, to: Socket): void => {
      from.on('data', (chunk: Buffer) => {
        setTimeout(() => {
          if (!to.destroyed) to.write(chunk);
        }, ms);
      });
      from.on('end', () => setTimeout(() => to.end(), ms));
      from.on('error', () => to.destroy());
      from.on('close', () => setTimeout(() => to.destroy(), ms));
    };
    relay(client, upstream);
    relay(upstream, client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: listenPort }, () => resolve(server));
  });
}

interface Member {
  readonly id: string;
  readonly node: RingNode;
  readonly server: GrpcServerHandle;
}

interface Cluster {
  readonly members: readonly Member[];
  readonly proxies: readonly Server[];
  readonly meshMs: number;
}

async function startCluster(n: number, opts: Options, pki: ReadonlyMap<string, MutualTls> | undefined): Promise<Cluster> {
  const ids = Array.from({ length: n }, (_, i) => directorId(i));
  const delayedCount = Math.min(n, opts.delayMs > 0 ? opts.delayed : 0);
  const ports = await freePorts(n + delayedCount);
  const addresses = ids.map((_, i) => `127.0.0.1:${i < delayedCount ? (ports[n + i] as number) : (ports[i] as number)}`);
  const proxies: Server[] = [];
  for (let i = 0; i < delayedCount; i++) proxies.push(await delayProxy(ports[n + i] as number, ports[i] as number, opts.delayMs));
  const seed = { backends: backendList(opts.backends), directors: ids.map((id, i) => ({ id, address: addresses[i] as string })) };
  const members: Member[] = [];
  for (const [i, id] of ids.entries()) {
    const tls = pki?.get(id);
    const node = new RingNode({ selfId: id, seed, vnodes: DEFAULTS.vnodes, stateFile: undefined, tls, log, tuning: DEFAULT_GOSSIP_TUNING });
    const server = await startGrpcServer({ host: '127.0.0.1', port: ports[i] as number }, [node.grpcService()], tls);
    members.push({ id, node, server });
  }
  const started = performance.now();
  // One at a time, like a rolling start: 50 directors dialing 49 peers each at once is
  // 2,450 TLS handshakes on one event loop, longer than dead_after, and links that are
  // still handshaking get cut and re-dialed (see docs/bench.md).
  for (const [i, m] of members.entries()) {
    m.node.start();
    const upTo = members.slice(0, i + 1);
    await waitUntil(
      60_000,
      () => upTo.every((x) => x.node.live().size >= i + 1),
      () => `director ${m.id} joining ${i + 1} started: live ${upTo.map((x) => x.node.live().size).join(',')}`,
    );
  }
  await waitUntil(60_000, () => members.every((m) => m.node.live().size === n), () => `full mesh of ${n}: live ${members.map((m) => m.node.live().size).join(',')}`);
  return { members, proxies, meshMs: performance.now() - started };
}

async function stopCluster(c: Cluster): Promise<void> {
  for (const m of c.members) await m.node.close();
  await Promise.all(c.members.map((m) => m.server.close(200)));
  for (const p of c.proxies) p.close();
}

async function waitUntil(timeoutMs: number, check: () => boolean, what: () => string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new SimTimeout(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await sleep(20);
  }
}

class SimTimeout extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimTimeout';
  }
}

/** A trial that takes longer counts as not converged (reported as ∞). */
const TRIAL_TIMEOUT_MS = 30_000;

type ChangeKind = 'admin-down' | 'admin-none' | 'weight' | 'add-backend' | 'remove-backend';
const CHANGES: readonly ChangeKind[] = ['admin-down', 'admin-none', 'weight', 'add-backend', 'remove-backend'];

interface Trial {
  readonly change: ChangeKind;
  readonly origin: string;
  /** Until every director had merged the entry (onEntries). */
  readonly entriesMs: number;
  /** Until every director's effective BackendRing showed the change (onRingChange). */
  readonly ringMs: number;
  /** Until the origin's admin call returned (local apply + every live peer's ack). */
  readonly ackMs: number;
  readonly statesEqual: boolean;
}

async function runTrial(c: Cluster, t: number, backends: readonly BackendSpec[]): Promise<Trial> {
  const n = c.members.length;
  const change = CHANGES[t % CHANGES.length] as ChangeKind;
  const origin = c.members[(t * 7 + 1) % n] as Member;
  // One backend per round of changes: admin-none then undoes that round's admin-down.
  const target = backends[Math.floor(t / CHANGES.length) % backends.length] as BackendSpec;
  const newWeight = 100 + 10 * (t + 1);
  const extraId = `x${String(Math.floor(t / CHANGES.length)).padStart(3, '0')}`;
  const shows = (ring: BackendRing): boolean => {
    switch (change) {
      case 'admin-down':
        return ring.down.has(target.id);
      case 'admin-none':
        return !ring.down.has(target.id);
      case 'weight':
        return ring.backend(target.id)?.weight === newWeight;
      case 'add-backend':
        return ring.backend(extraId) !== undefined;
      case 'remove-backend':
        return ring.backend(extraId) === undefined;
    }
  };
  // The first counter the change can carry: anything older from the origin is not it.
  const originCounter = Math.max(origin.node.state.clock + 1, Date.now() - 1);
  const entryAt = new Map<string, number>();
  const ringAt = new Map<string, number>();
  let t0 = 0;
  const unsubscribe: Array<() => void> = [];
  let allDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    allDone = resolve;
  });
  const check = (): void => {
    if (ringAt.size === n && entryAt.size === n) allDone();
  };
  for (const m of c.members) {
    unsubscribe.push(
      m.node.onEntries((changed) => {
        if (!entryAt.has(m.id) && changed.some((e) => e.version.origin === origin.id && e.version.counter >= originCounter)) {
          entryAt.set(m.id, performance.now() - t0);
          check();
        }
      }),
      m.node.onRingChange((ring) => {
        if (!ringAt.has(m.id) && shows(ring)) {
          ringAt.set(m.id, performance.now() - t0);
          check();
        }
      }),
    );
  }
  t0 = performance.now();
  let apply: Promise<unknown>;
  switch (change) {
    case 'admin-down':
      apply = origin.node.setAdminState(target.id, 'down');
      break;
    case 'admin-none':
      apply = origin.node.setAdminState(target.id, 'none');
      break;
    case 'weight':
      apply = origin.node.setWeight(target.id, newWeight);
      break;
    case 'add-backend':
      apply = origin.node.addBackend({ id: extraId, host: `10.9.0.${(t % 200) + 1}`, ports: { imap: 143 }, weight: 100, tag: '' });
      break;
    case 'remove-backend':
      apply = origin.node.removeBackend(extraId);
      break;
  }
  const ackMs = apply.then(() => performance.now() - t0);
  const timeout = sleep(TRIAL_TIMEOUT_MS).then(() => 'timeout' as const);
  const outcome = await Promise.race([done.then(() => 'ok' as const), timeout]);
  for (const u of unsubscribe) u();
  if (outcome === 'timeout') {
    const missing = c.members.filter((m) => !ringAt.has(m.id)).map((m) => m.id);
    process.stderr.write(`ring-sim: trial ${t} (${change} from ${origin.id}): no convergence after ${TRIAL_TIMEOUT_MS} ms; ring not updated on ${missing.length} directors\n`);
    return { change, origin: origin.id, entriesMs: Infinity, ringMs: Infinity, ackMs: Infinity, statesEqual: false };
  }
  const ack = await ackMs;
  // Agreement, checked directly: every director holds the same entries.
  const reference = JSON.stringify(c.members[0]?.node.state.sortedEntries());
  const statesEqual = c.members.every((m) => JSON.stringify(m.node.state.sortedEntries()) === reference);
  return {
    change,
    origin: origin.id,
    entriesMs: Math.max(...entryAt.values()),
    ringMs: Math.max(...ringAt.values()),
    ackMs: ack,
    statesEqual,
  };
}

interface Summary {
  readonly directors: number;
  readonly backends: number;
  readonly tls: boolean;
  readonly delayMs: number;
  readonly delayedDirectors: number;
  readonly meshMs: number;
  readonly trials: readonly Trial[];
  readonly ringMedianMs: number;
  readonly ringMaxMs: number;
  readonly entriesMedianMs: number;
  readonly ackMedianMs: number;
  readonly allStatesEqual: boolean;
  /** Event-loop delay of the whole process during the trials (all directors share it). */
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
  /** Process CPU over the trials, ms per wall second (200 % on two busy cores would be 2000). */
  readonly cpuMsPerSecond: number;
  /** Process CPU in a quiet 3 s window before the trials: the cost of heartbeats alone. */
  readonly idleCpuMsPerSecond: number;
  /** Open links cut and peers declared dead while the trials ran (0 on a healthy ring). */
  readonly linkDownDuringTrials: number;
  readonly markedDeadDuringTrials: number;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

async function simulate(n: number, opts: Options, pki: ReadonlyMap<string, MutualTls> | undefined): Promise<Summary> {
  const cluster = await startCluster(n, opts, pki);
  const backends = backendList(opts.backends);
  try {
    // Let the initial full-state exchanges and ring builds settle.
    await sleep(1_000);
    // A quiet window first: what the links cost with nothing changing (heartbeats only).
    const idleCpu0 = process.cpuUsage();
    const idleWall0 = performance.now();
    await sleep(3_000);
    const idleCpu = process.cpuUsage(idleCpu0);
    const idleCpuMsPerSecond = ((idleCpu.user + idleCpu.system) / 1000 / (performance.now() - idleWall0)) * 1000;
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const events0 = { ...linkEvents };
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    const trials: Trial[] = [];
    for (let t = 0; t < opts.trials; t++) {
      trials.push(await runTrial(cluster, t, backends));
      process.stderr.write(`ring-sim: ${n} directors, trial ${t + 1}/${opts.trials}: ${trials[t]?.change} ${trials[t]?.ringMs.toFixed(0)} ms\n`);
      // Quiet between changes, as operator changes are: each measures a change on a settled ring.
      await sleep(500);
    }
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - wall0;
    loop.disable();
    const ring = trials.map((t) => t.ringMs);
    return {
      directors: n,
      backends: opts.backends,
      tls: pki !== undefined,
      delayMs: opts.delayMs,
      delayedDirectors: Math.min(n, opts.delayMs > 0 ? opts.delayed : 0),
      meshMs: cluster.meshMs,
      trials,
      ringMedianMs: median(ring),
      ringMaxMs: Math.max(...ring),
      entriesMedianMs: median(trials.map((t) => t.entriesMs)),
      ackMedianMs: median(trials.map((t) => t.ackMs)),
      allStatesEqual: trials.every((t) => t.statesEqual),
      loopDelayP99Ms: loop.percentile(99) / 1e6,
      loopDelayMaxMs: loop.max / 1e6,
      cpuMsPerSecond: ((cpu.user + cpu.system) / 1000 / wall) * 1000,
      idleCpuMsPerSecond,
      linkDownDuringTrials: linkEvents.linkDown - events0.linkDown,
      markedDeadDuringTrials: linkEvents.markedDead - events0.markedDead,
    };
  } finally {
    await stopCluster(cluster);
  }
}

function ms(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(0)} ms` : `> ${TRIAL_TIMEOUT_MS / 1000} s`;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]): string => `| ${r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(' | ')} |`;
  const [head, ...body] = rows;
  return [line(head ?? []), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const maxN = Math.max(...opts.directors);
  let tmp: string | undefined;
  let pki: ReadonlyMap<string, MutualTls> | undefined;
  if (opts.tls) {
    tmp = mkdtempSync(join(tmpdir(), 'md-ring-sim-'));
    pki = makeClusterPki(tmp, Array.from({ length: maxN }, (_, i) => directorId(i))).directors;
  }
  const summaries: Summary[] = [];
  try {
    for (const n of opts.directors) summaries.push(await simulate(n, opts, pki));
  } finally {
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  }
  const rows: string[][] = [
    ['directors', 'links', 'trials', 'ring agrees: median', 'max', 'entries merged: median', 'admin call acked: median', 'states equal', 'loop delay p99 / max', 'CPU ms/s trials / idle', 'links cut / peers dead', 'mesh up'],
  ];
  for (const s of summaries) {
    const delay = s.delayMs > 0 ? ` (${s.delayedDirectors} behind +${s.delayMs} ms)` : '';
    rows.push([
      `${s.directors}${delay}`,
      `${s.tls ? 'mTLS' : 'plain'}`,
      String(s.trials.length),
      ms(s.ringMedianMs),
      ms(s.ringMaxMs),
      ms(s.entriesMedianMs),
      ms(s.ackMedianMs),
      s.allStatesEqual ? 'yes' : 'NO',
      `${s.loopDelayP99Ms.toFixed(0)} / ${s.loopDelayMaxMs.toFixed(0)} ms`,
      `${s.cpuMsPerSecond.toFixed(0)} / ${s.idleCpuMsPerSecond.toFixed(0)}`,
      `${s.linkDownDuringTrials} / ${s.markedDeadDuringTrials}`,
      `${(s.meshMs / 1000).toFixed(1)} s`,
    ]);
  }
  process.stdout.write(`\nGossip convergence: real RingNodes in one process, full mesh on 127.0.0.1, ${opts.backends} backends, vnodes ${DEFAULTS.vnodes}, heartbeat ${DEFAULT_GOSSIP_TUNING.heartbeatMs} ms\n`);
  process.stdout.write(`${table(rows)}\n`);
  const per: string[][] = [['directors', ...CHANGES]];
  for (const s of summaries) {
    per.push([String(s.directors), ...CHANGES.map((k) => s.trials.filter((t) => t.change === k).map((t) => (Number.isFinite(t.ringMs) ? t.ringMs.toFixed(0) : '∞')).join(', '))]);
  }
  process.stdout.write(`\nPer change (ms until every director's ring shows it)\n${table(per)}\n`);
  if (opts.json !== undefined) writeFileSync(opts.json, `${JSON.stringify({ kind: 'ring-sim', at: new Date().toISOString(), summaries }, null, 2)}\n`);
  // gRPC keeps handles (channels closing) a little while; the numbers are out.
  process.exit(0);
}

await main();
