/**
 * `npm run bench`: the same load through (a) a direct backend connection, (b)
 * Dovecot 2.3's proxy and (c) mail-director, against one slapd and one Dovecot
 * backend started by test/harness/. Prints one table with ratios and writes it
 * as JSON. Method: docs/bench.md.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Cluster, type ClusterUser } from '../harness/cluster.js';
import { DIRECTOR_CLI_ARGS, REPO_ROOT, startDirector, type DirectorHandle } from '../harness/director.js';
import { run as runCommand } from '../harness/exec.js';
import { startDovecotProxy, type DovecotProxyHandle } from './dovecot-proxy.js';
import type { LoadJob, LoadResult, Scenario } from './load.js';
import { groupMembers as groupMemberPids } from '../harness/process.js';
import { groupCpuMs, groupRssKb, memberCpuMs } from './procfs.js';
import { LoadProcess } from './load-process.js';
import { topSelfTime, type CpuProfile, type HotFunction } from './profile.js';
import type { Protocol } from './protocol.js';
import { BenchArgs, CACHE, canPin, cell, fmt, IDLE_SAMPLE_MS, pinProxies, rotated, startBenchCluster, summarize, UsageError, WARM_UP_MS, type Summary } from './common.js';

type TargetKind = 'direct' | 'dovecot' | 'director';
const TARGETS: readonly TargetKind[] = ['direct', 'dovecot', 'director'];
/** "direct", "dovecot", "director" (one process) or "director-wN" (a primary and N workers). */
type TargetName = string;

/** One director target per `--workers` value; the single-process one keeps the plain name. */
function directorName(workers: number): TargetName {
  return workers === 1 ? 'director' : `director-w${workers}`;
}

function isDirector(name: TargetName): boolean {
  return name === 'director' || name.startsWith('director-w');
}
const SCENARIOS: readonly Scenario[] = ['login', 'session', 'bulk', 'idle'];


interface Options {
  readonly durationMs: number;
  readonly reps: number;
  readonly scenarios: readonly Scenario[];
  readonly protocols: readonly Protocol[];
  readonly tls: readonly boolean[];
  readonly targets: readonly TargetKind[];
  /** `director.workers` of each director target (1 = no worker processes). */
  readonly workers: readonly number[];
  readonly concurrency: number;
  readonly idle: number;
  readonly users: number;
  readonly cache: boolean;
  readonly pin: boolean;
  readonly unloaded: boolean;
  readonly profile: boolean;
  readonly out: string | undefined;
  readonly keep: boolean;
}

const USAGE = `usage: scripts/bench [--duration S] [--reps N] [--scenarios login,session,bulk,idle]
                     [--protocols imap,pop3] [--tls plain,tls] [--targets direct,dovecot,director]
                     [--workers 1,2] [--concurrency C] [--idle N] [--users U] [--no-cache] [--no-pin]
                     [--no-unloaded] [--profile] [--out FILE] [--keep]
  --workers  one director target per value (director.workers): "director" for 1, "director-wN" for N;
             CPU and RSS are summed over its process group (primary + workers)
  --no-pin   no taskset: every process may run on every core (otherwise proxies on core 0, the rest on 1)
  --profile  instead of the table: mail-director alone under one load (the first of --protocols,
             --tls and --scenarios; default IMAP plain login), CPU-profiled; prints the top
             self-time functions and writes the .cpuprofile`;

function parseArgs(argv: readonly string[]): Options {
  const known = ['duration', 'reps', 'scenarios', 'protocols', 'tls', 'targets', 'workers', 'concurrency', 'idle', 'users', 'out'];
  const args = new BenchArgs(argv, ['no-cache', 'no-pin', 'no-unloaded', 'profile', 'keep'], known, USAGE);
  const workers = (args.value('workers') ?? '1').split(',').map((w) => Number(w.trim()));
  for (const w of workers) if (!Number.isInteger(w) || w < 1 || w > 64) throw new UsageError(`--workers: ${w} is not a whole number in 1..64`);
  if (new Set(workers).size !== workers.length) throw new UsageError('--workers: a value is listed twice');
  return {
    durationMs: args.num('duration', 10, 0.5) * 1000,
    reps: Math.round(args.num('reps', 3, 1)),
    scenarios: args.list('scenarios', SCENARIOS, SCENARIOS),
    protocols: args.list('protocols', ['imap', 'pop3'] as const, ['imap', 'pop3']),
    tls: args.list('tls', ['plain', 'tls'] as const, ['plain', 'tls']).map((t) => t === 'tls'),
    targets: args.list('targets', TARGETS, TARGETS),
    workers,
    concurrency: Math.round(args.num('concurrency', 8, 1)),
    idle: Math.round(args.num('idle', 1000, 1)),
    users: Math.round(args.num('users', 100, 10)),
    cache: !args.flag('no-cache'),
    pin: !args.flag('no-pin'),
    unloaded: !args.flag('no-unloaded'),
    profile: args.flag('profile'),
    out: args.value('out'),
    keep: args.flag('keep'),
  };
}

/** Where a target listens, and which process group is "the proxy" (none for direct). */
interface Target {
  readonly name: TargetName;
  readonly host: string;
  readonly ports: Readonly<Record<`${Protocol}${'' | 's'}`, number>>;
  readonly pgid: number | undefined;
}

interface Case {
  readonly protocol: Protocol;
  readonly tls: boolean;
  readonly scenario: Scenario;
  readonly concurrency: number;
}

interface RepMetrics {
  readonly ops: number;
  readonly errors: number;
  readonly opsPerSec: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly cpuMsPerOp: number | null;
  readonly cpuMsPerMB: number | null;
  readonly mbPerSec: number | null;
  readonly rssKbPerConn: number | null;
  readonly held: number | null;
  readonly errorSamples: readonly string[];
  /** CPU ms per op of each process of the group, the leader (a director's primary) first. */
  readonly cpuMsPerOpByProcess: readonly number[] | null;
}

const METRICS = ['opsPerSec', 'p50Ms', 'p99Ms', 'errors', 'cpuMsPerOp', 'cpuMsPerMB', 'mbPerSec', 'rssKbPerConn'] as const;
type MetricName = (typeof METRICS)[number];

function caseLabel(c: Case): string {
  return `${c.protocol} ${c.tls ? 'tls' : 'plain'} ${c.scenario} c=${c.scenario === 'idle' ? 'N' : c.concurrency}`;
}

function caseKey(c: Case): string {
  return `${c.protocol}-${c.tls ? 'tls' : 'plain'}-${c.scenario}-c${c.concurrency}`;
}

// ---------------------------------------------------------------- setup

interface Bench {
  readonly cluster: Cluster;
  readonly users: readonly ClusterUser[];
  readonly bulkUser: ClusterUser;
  readonly targets: Map<TargetName, Target>;
  /** By target name ("director", "director-w2", ...). */
  readonly directors: Map<TargetName, DirectorHandle>;
  dovecot: DovecotProxyHandle | undefined;
  /** A fresh proxy process (same config): allocators keep what they once grew, so RSS growth is only seen once per process. */
  restart(name: TargetName): Promise<Target>;
}


async function startDirectorTarget(cluster: Cluster, opts: Options, workers: number, profileFile?: string): Promise<DirectorHandle> {
  // The director inherits our environment; only the profiling hook is added, and only for that start.
  const saved = process.env['NODE_OPTIONS'];
  if (profileFile !== undefined) {
    process.env['NODE_OPTIONS'] = `${saved ?? ''} --import ${join(REPO_ROOT, 'test/bench/cpu-profile-hook.mjs')}`.trim();
    process.env['MD_BENCH_CPU_PROFILE'] = profileFile;
  }
  try {
    return await startDirector({
      dir: join(cluster.dir, directorName(workers)),
      id: workers === 1 ? 'bench' : `bench-w${workers}`,
      ca: cluster.ca,
      ldap: cluster.slapd,
      backends: cluster.backends,
      listen: ['imap', 'imaps', 'pop3', 'pop3s'],
      logLevel: 'warn',
      overrides: {
        // Same LDAP work as the Dovecot proxy: one search as the admin DN, password compared locally.
        passdb: { auth_bind: false },
        cache: opts.cache ? { size: CACHE.size, ttl: `${CACHE.ttlSeconds}s`, negative_ttl: `${CACHE.negativeTtlSeconds}s` } : { size: 0 },
        ...(workers > 1 ? { director: { workers } } : {}),
      },
    });
  } finally {
    if (saved === undefined) delete process.env['NODE_OPTIONS'];
    else process.env['NODE_OPTIONS'] = saved;
    delete process.env['MD_BENCH_CPU_PROFILE'];
  }
}

function directorTarget(name: TargetName, d: DirectorHandle): Target {
  return { name, host: d.host, ports: { imap: d.imap ?? 0, imaps: d.imaps ?? 0, pop3: d.pop3 ?? 0, pop3s: d.pop3s ?? 0 }, pgid: d.pid };
}

function workersOf(opts: Options, name: TargetName): number {
  return opts.workers.find((w) => directorName(w) === name) ?? 1;
}

/**
 * The workers are forked by the primary without a new session, so they are in
 * its process group: groupCpuMs/groupRssKb (and pinGroup) cover them. Checked
 * here rather than assumed: a director whose workers are not all up (or that
 * left the group) would be measured wrong.
 */
async function waitForGroup(name: TargetName, pgid: number, workers: number): Promise<void> {
  const want = workers > 1 ? workers + 1 : 1;
  const deadline = Date.now() + 10_000;
  let members = groupMemberPids(pgid);
  while (members.length < want && Date.now() < deadline) {
    await sleep(100);
    members = groupMemberPids(pgid);
  }
  if (members.length < want) throw new UsageError(`${name}: ${members.length} process(es) in its group, expected ${want}`);
  const argv = DIRECTOR_CLI_ARGS.includes('--import') ? 'TypeScript through tsx' : 'compiled dist/';
  process.stderr.write(`${name}: ${members.length} process(es) in group ${pgid} (${members.join(', ')}), runs ${argv}\n`);
}

async function setUp(opts: Options, dir: string, withDovecot: boolean, profileFile?: string): Promise<Bench> {
  const { cluster, backend, users, bulkUser } = await startBenchCluster(dir, opts.users);

  const dovecotOptions = { dir: join(dir, 'dovecot-proxy'), host: '127.0.0.2', ca: cluster.ca, slapd: cluster.slapd, backend, cache: opts.cache ? CACHE : { ...CACHE, size: 0 } };
  const dovecotTarget = (dc: DovecotProxyHandle): Target => ({ name: 'dovecot', host: dc.host, ports: { imap: dc.imap, imaps: dc.imaps, pop3: dc.pop3, pop3s: dc.pop3s }, pgid: dc.pid });
  const bench: Bench = {
    cluster,
    users,
    bulkUser,
    targets: new Map(),
    directors: new Map(),
    dovecot: undefined,
    restart: async (name) => {
      const d = bench.directors.get(name);
      if (d !== undefined) {
        await d.stop();
        const fresh = await d.restart();
        bench.directors.set(name, fresh);
        bench.targets.set(name, directorTarget(name, fresh));
        if (fresh.pid !== undefined) await waitForGroup(name, fresh.pid, workersOf(opts, name));
      } else if (name === 'dovecot' && bench.dovecot !== undefined) {
        await bench.dovecot.stop();
        bench.dovecot = await startDovecotProxy(dovecotOptions);
        bench.targets.set('dovecot', dovecotTarget(bench.dovecot));
      }
      const t = bench.targets.get(name);
      if (t === undefined) throw new UsageError(`no target ${name}`);
      return t;
    },
  };
  bench.targets.set('direct', {
    name: 'direct',
    host: backend.host,
    ports: { imap: backend.imap, imaps: backend.imaps, pop3: backend.pop3, pop3s: backend.pop3s },
    pgid: undefined,
  });
  if (withDovecot) {
    const dc = await startDovecotProxy(dovecotOptions);
    bench.dovecot = dc;
    bench.targets.set('dovecot', dovecotTarget(dc));
  }
  const workerCounts = profileFile !== undefined ? [1] : opts.targets.includes('director') ? opts.workers : [];
  for (const w of workerCounts) {
    const name = directorName(w);
    const d = await startDirectorTarget(cluster, opts, w, profileFile);
    bench.directors.set(name, d);
    bench.targets.set(name, directorTarget(name, d));
    await waitForGroup(name, d.pid, w);
  }
  return bench;
}

function pin(bench: Bench, opts: Options): void {
  if (canPin(opts.pin)) pinProxies([...bench.targets.values()].map((t) => t.pgid), bench.cluster);
}

async function tearDown(bench: Bench): Promise<void> {
  for (const d of bench.directors.values()) await d.stop().catch(() => undefined);
  await bench.dovecot?.stop().catch(() => undefined);
  await bench.cluster.stop();
}

// ---------------------------------------------------------------- one run

async function runOnce(bench: Bench, target: Target, c: Case, opts: Options, durationMs: number): Promise<RepMetrics> {
  const key: keyof Target['ports'] = c.tls ? (c.protocol === 'imap' ? 'imaps' : 'pop3s') : c.protocol;
  const port = target.ports[key];
  const creds = (u: ClusterUser): { name: string; password: string } => ({ name: u.name, password: u.password });
  const job: LoadJob = {
    scenario: c.scenario,
    protocol: c.protocol,
    tls: c.tls,
    host: target.host,
    port,
    caFile: bench.cluster.ca.cert,
    users: bench.users.map(creds),
    bulkUser: creds(bench.bulkUser),
    concurrency: c.concurrency,
    durationMs,
    idleConnections: opts.idle,
    timeoutMs: 15_000,
  };
  pin(bench, opts);
  const load = new LoadProcess(job, opts.pin);
  await load.next('ready', 60_000);
  const pgid = target.pgid;
  const cpu0 = pgid === undefined ? 0 : groupCpuMs(pgid);
  const each0 = pgid === undefined ? new Map<number, number>() : memberCpuMs(pgid);
  const rss0 = pgid === undefined ? 0 : groupRssKb(pgid);
  load.send('go');
  let rss1 = 0;
  if (c.scenario === 'idle') {
    await load.next('holding', 300_000);
    // Let lazily freed buffers and the proxies' own timers settle before reading RSS.
    await sleep(1000);
    rss1 = pgid === undefined ? 0 : groupRssKb(pgid);
    load.send('release');
  }
  const r = (await load.next('result', durationMs + 120_000)) as unknown as LoadResult;
  const cpu1 = pgid === undefined ? 0 : groupCpuMs(pgid);
  const each1 = pgid === undefined ? new Map<number, number>() : memberCpuMs(pgid);
  await load.done();
  // Leader first, then the others by pid; a process that came or went during the run counts from 0 / is left out.
  const byProcess =
    pgid === undefined || r.ops === 0
      ? null
      : [...each1.keys()].sort((a, b) => (a === pgid ? -1 : b === pgid ? 1 : a - b)).map((pid) => ((each1.get(pid) ?? 0) - (each0.get(pid) ?? 0)) / r.ops);
  const cpu = cpu1 - cpu0;
  const mb = r.bytes / 1e6;
  const proxied = pgid !== undefined;
  const held = r.held ?? null;
  return {
    ops: r.ops,
    errors: r.errors,
    opsPerSec: r.elapsedMs > 0 ? (r.ops * 1000) / r.elapsedMs : 0,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    cpuMsPerOp: proxied && r.ops > 0 && c.scenario !== 'idle' ? cpu / r.ops : null,
    cpuMsPerMB: proxied && c.scenario === 'bulk' && mb > 0 ? cpu / mb : null,
    mbPerSec: c.scenario === 'bulk' && r.elapsedMs > 0 ? (mb * 1000) / r.elapsedMs : null,
    rssKbPerConn: proxied && c.scenario === 'idle' && held !== null && held > 0 ? (rss1 - rss0) / held : null,
    held,
    errorSamples: r.errorSamples,
    cpuMsPerOpByProcess: byProcess,
  };
}

// ---------------------------------------------------------------- summary and table

interface CaseResult {
  readonly case: string;
  readonly key: string;
  readonly targets: Partial<Record<TargetName, { reps: RepMetrics[]; summary: Record<MetricName, Summary> }>>;
  readonly ratios: Record<string, number | null>;
}

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a === null || a === undefined || b === null || b === undefined || b === 0 ? null : a / b;
}

function caseResult(c: Case, reps: Map<TargetName, RepMetrics[]>): CaseResult {
  const targets: CaseResult['targets'] = {};
  for (const [name, rs] of reps) {
    const summary = Object.fromEntries(METRICS.map((m) => [m, summarize(rs.map((r) => r[m]))])) as Record<MetricName, Summary>;
    targets[name] = { reps: rs, summary };
  }
  const med = (t: TargetName, m: MetricName): number | null | undefined => targets[t]?.summary[m].median;
  const ratios: Record<string, number | null> = {
    'director/dovecot cpuMsPerOp': ratio(med('director', 'cpuMsPerOp'), med('dovecot', 'cpuMsPerOp')),
    'director/dovecot cpuMsPerMB': ratio(med('director', 'cpuMsPerMB'), med('dovecot', 'cpuMsPerMB')),
    'director/dovecot rssKbPerConn': ratio(med('director', 'rssKbPerConn'), med('dovecot', 'rssKbPerConn')),
    'director/dovecot p99Ms': ratio(med('director', 'p99Ms'), med('dovecot', 'p99Ms')),
    'director/direct opsPerSec': ratio(med('director', 'opsPerSec'), med('direct', 'opsPerSec')),
    'dovecot/direct opsPerSec': ratio(med('dovecot', 'opsPerSec'), med('direct', 'opsPerSec')),
  };
  const p50 = (t: TargetName): number | null | undefined => med(t, 'p50Ms');
  const added = (t: TargetName): number | null => {
    const a = p50(t);
    const d = p50('direct');
    return a === null || a === undefined || d === null || d === undefined ? null : a - d;
  };
  // Each multi-worker director against the single-process one (same metrics as against Dovecot).
  for (const name of Object.keys(targets).filter((t) => isDirector(t) && t !== 'director')) {
    for (const m of ['cpuMsPerOp', 'cpuMsPerMB', 'rssKbPerConn', 'p99Ms'] as const) ratios[`${name}/director ${m}`] = ratio(med(name, m), med('director', m));
    ratios[`${name}/director opsPerSec`] = ratio(med(name, 'opsPerSec'), med('director', 'opsPerSec'));
    ratios[`${name}/direct opsPerSec`] = ratio(med(name, 'opsPerSec'), med('direct', 'opsPerSec'));
  }
  if (c.concurrency === 1 && c.scenario !== 'idle') {
    for (const name of Object.keys(targets).filter((t) => t !== 'direct')) ratios[`${name} addedP50Ms`] = added(name);
  }
  return { case: caseLabel(c), key: caseKey(c), targets, ratios };
}

const METRIC_LABEL: Record<MetricName, string> = {
  opsPerSec: 'ops/s',
  p50Ms: 'p50 ms',
  p99Ms: 'p99 ms',
  errors: 'errors',
  cpuMsPerOp: 'CPU ms/op',
  cpuMsPerMB: 'CPU ms/MB',
  mbPerSec: 'MB/s',
  rssKbPerConn: 'RSS KB/conn',
};

function metricsFor(c: Case): MetricName[] {
  switch (c.scenario) {
    case 'bulk':
      return ['opsPerSec', 'mbPerSec', 'p50Ms', 'p99Ms', 'errors', 'cpuMsPerOp', 'cpuMsPerMB'];
    case 'idle':
      return ['rssKbPerConn', 'errors'];
    default:
      return ['opsPerSec', 'p50Ms', 'p99Ms', 'errors', 'cpuMsPerOp'];
  }
}

function ratioFor(m: MetricName, r: CaseResult): string {
  const key = m === 'opsPerSec' ? 'director/direct opsPerSec' : `director/dovecot ${m}`;
  const v = r.ratios[key];
  if (v === undefined || v === null) return '';
  const peer = m === 'opsPerSec' ? ` (dovecot ${fmt(r.ratios['dovecot/direct opsPerSec'])}× direct)` : '';
  return `${fmt(v)}×${m === 'opsPerSec' ? ' direct' : ''}${peer}`;
}

/** A multi-worker director against the single-process one: rates as a plain ratio (more is better). */
function workersRatioFor(m: MetricName, r: CaseResult, name: TargetName): string {
  const v = r.ratios[`${name}/director ${m}`];
  return v === undefined || v === null ? '' : `${fmt(v)}×`;
}

export function renderTable(results: readonly CaseResult[], cases: readonly Case[], targets: readonly TargetName[], reps: number): string {
  const multi = targets.filter((t) => isDirector(t) && t !== 'director' && targets.includes('director'));
  const header = ['case', 'metric', ...targets, 'director ÷ dovecot (rate: ÷ direct)', ...multi.map((t) => `${t} ÷ director`)];
  const rows: string[][] = [];
  results.forEach((r, i) => {
    const c = cases[i];
    if (c === undefined) return;
    for (const m of metricsFor(c)) {
      rows.push([
        r.case,
        METRIC_LABEL[m],
        ...targets.map((t) => cell(r.targets[t]?.summary[m], reps)),
        ratioFor(m, r),
        ...multi.map((t) => workersRatioFor(m, r, t)),
      ]);
    }
    for (const t of targets.filter((name) => name !== 'direct')) {
      const added = r.ratios[`${t} addedP50Ms`];
      if (added !== undefined) rows.push([r.case, `${t} adds (p50)`, ...targets.map(() => ''), `${fmt(added)} ms`, ...multi.map(() => '')]);
    }
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]): string => `| ${row.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------- main

/** Table columns: the targets asked for, "director" expanded to one per `--workers` value. */
function targetNames(opts: Options): TargetName[] {
  return opts.targets.flatMap((t) => (t === 'director' ? opts.workers.map(directorName) : [t]));
}

function pinningNote(opts: Options): string {
  if (canPin(opts.pin)) {
    return 'pinned: the proxies (every process of each) on core 0; slapd, the backend, the load and the orchestrator on core 1';
  }
  return `not pinned: every process may run on any of the ${cpus().length} cores (proxies, workers, slapd, backend and load share them)`;
}

/** Warnings and errors a director logged (a dead worker, failed logins): the table alone would hide them. */
async function logSummary(name: TargetName, logFile: string): Promise<string> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  const lines = text.split('\n').filter((l) => /"level":(40|50|60)/.test(l));
  if (lines.length === 0) return `${name}: no warnings or errors in ${logFile}\n`;
  return `${name}: ${lines.length} warning/error line(s) in ${logFile}, first ones:\n${lines.slice(0, 5).map((l) => `  ${l.slice(0, 400)}`).join('\n')}\n`;
}

function buildCases(opts: Options): Case[] {
  const cases: Case[] = [];
  // Priority order of the issue: IMAP before POP3, plain before TLS.
  for (const protocol of opts.protocols) {
    for (const tls of opts.tls) {
      for (const scenario of opts.scenarios) {
        if (scenario === 'idle') cases.push({ protocol, tls, scenario, concurrency: 16 });
        else if (scenario === 'bulk') cases.push({ protocol, tls, scenario, concurrency: opts.concurrency });
        else {
          cases.push({ protocol, tls, scenario, concurrency: opts.concurrency });
          // Unloaded latency (one connection at a time) is what the issue asks of logins.
          if (opts.unloaded && scenario === 'login') cases.push({ protocol, tls, scenario, concurrency: 1 });
        }
      }
    }
  }
  return cases;
}

async function versions(): Promise<Record<string, string>> {
  const out: Record<string, string> = { node: process.version, cpus: String(cpus().length), cpuModel: cpus()[0]?.model ?? '' };
  try {
    out['dovecot'] = (await runCommand('/usr/sbin/dovecot', ['--version'])).stdout.trim();
  } catch {
    out['dovecot'] = 'unknown';
  }
  return out;
}

async function profileRun(opts: Options, dir: string): Promise<void> {
  const profileFile = join(dir, 'director-login.cpuprofile');
  const bench = await setUp({ ...opts, targets: ['director'] }, dir, false, profileFile);
  try {
    const target = bench.targets.get('director');
    const director = bench.directors.get('director');
    if (target === undefined || director === undefined) return;
    const c: Case = {
      protocol: opts.protocols[0] ?? 'imap',
      tls: opts.tls[0] ?? false,
      scenario: opts.scenarios[0] ?? 'login',
      concurrency: opts.concurrency,
    };
    const what = `${c.protocol.toUpperCase()} ${c.tls ? 'tls' : 'plain'} ${c.scenario}`;
    // Warm-up (JIT, auth cache) before the profiler starts; the hook toggles on SIGUSR2.
    await runOnce(bench, target, c, opts, 2000);
    process.kill(director.pid, 'SIGUSR2');
    const m = await runOnce(bench, target, c, opts, opts.durationMs);
    process.kill(director.pid, 'SIGUSR2');
    const deadline = Date.now() + 10_000;
    while (!existsSync(profileFile) && Date.now() < deadline) await sleep(100);
    const profile = JSON.parse(await readFile(profileFile, 'utf8')) as CpuProfile;
    const { busyMs, top, areas } = topSelfTime(profile, REPO_ROOT, 15);
    const lines = [
      `mail-director, ${what}, c=${c.concurrency}, ${opts.durationMs / 1000} s: ${m.ops} ops, ${fmt(m.opsPerSec)}/s, ${m.errors} errors, CPU ${fmt(m.cpuMsPerOp)} ms/op (with profiler)`,
      `sampled busy time ${fmt(busyMs)} ms; top self time:`,
      ...top.map((f: HotFunction, i) => `${String(i + 1).padStart(2)}. ${fmt(f.selfMs).padStart(7)} ms ${f.percent.toFixed(1).padStart(5)}%  ${f.name}  ${f.where}`),
      'self time by area:',
      ...areas.map((a) => `    ${fmt(a.selfMs).padStart(7)} ms ${a.percent.toFixed(1).padStart(5)}%  ${a.area}`),
    ];
    const kept = resolve(opts.out ?? join(REPO_ROOT, '.bench', `director-${c.protocol}-${c.scenario}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`));
    await mkdir(join(kept, '..'), { recursive: true });
    await copyFile(profileFile, kept);
    process.stdout.write(`${lines.join('\n')}\nprofile: ${kept}\n`);
  } finally {
    await tearDown(bench);
  }
  if (!opts.keep) await rm(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const dir = await mkdtemp(join(tmpdir(), 'md-bench-'));
  if (opts.profile) {
    await profileRun(opts, dir);
    return;
  }
  const started = new Date();
  const loadavgAtStart = (await readFile('/proc/loadavg', 'utf8')).trim();
  const names = targetNames(opts);
  const bench = await setUp(opts, dir, opts.targets.includes('dovecot'));
  const cases = buildCases(opts);
  const results: CaseResult[] = [];
  let background: Record<string, number> = {};
  try {
    const targets = names.map((t) => bench.targets.get(t)).filter((t): t is Target => t !== undefined);
    // Background CPU with no clients (timers, LDAP change polling, Dovecot's stats and anvil):
    // at low rates it is a visible share of CPU per op.
    const idleCpu: Record<string, number> = {};
    pin(bench, opts);
    const before = targets.map((t) => (t.pgid === undefined ? 0 : groupCpuMs(t.pgid)));
    await sleep(IDLE_SAMPLE_MS);
    targets.forEach((t, i) => {
      if (t.pgid !== undefined) idleCpu[t.name] = ((groupCpuMs(t.pgid) - (before[i] ?? 0)) * 1000) / IDLE_SAMPLE_MS;
    });
    process.stderr.write(`idle CPU ms/s: ${JSON.stringify(idleCpu)}\n`);
    background = idleCpu;
    // Warm up every target (JIT, auth caches, backend processes) with logins of each protocol before anything counts.
    for (const t of targets) {
      for (const protocol of opts.protocols) await runOnce(bench, t, { protocol, tls: false, scenario: 'login', concurrency: opts.concurrency }, opts, WARM_UP_MS);
    }
    for (const c of cases) {
      const reps = new Map<TargetName, RepMetrics[]>();
      for (let rep = 0; rep < opts.reps; rep++) {
        for (const listed of rotated(targets, rep)) {
          let t = bench.targets.get(listed.name) ?? listed;
          if (c.scenario === 'idle' && t.pgid !== undefined) {
            t = await bench.restart(t.name);
            // The fresh process serves some logins first, so code and caches are not counted per connection.
            await runOnce(bench, t, { protocol: c.protocol, tls: c.tls, scenario: 'login', concurrency: opts.concurrency }, opts, 1000);
          }
          const members0 = t.pgid === undefined ? [] : groupMemberPids(t.pgid);
          const m = await runOnce(bench, t, c, opts, opts.durationMs);
          reps.set(t.name, [...(reps.get(t.name) ?? []), m]);
          let note = m.errors > 0 ? `  errors ${m.errors}: ${m.errorSamples.join(' | ')}` : '';
          // A worker that died and was replaced during the run shows as a changed member list.
          const members1 = t.pgid === undefined ? [] : groupMemberPids(t.pgid);
          if (members0.join(',') !== members1.join(',')) note += `  processes changed: [${members0.join(',')}] -> [${members1.join(',')}]`;
          if (isDirector(t.name) && (m.cpuMsPerOpByProcess?.length ?? 0) > 1) note += `  cpu/op primary+workers ${m.cpuMsPerOpByProcess?.map(fmt).join(' + ')}`;
          process.stderr.write(`${caseLabel(c)} rep ${rep + 1} ${t.name}: ${fmt(m.opsPerSec)} ops/s cpu/op ${fmt(m.cpuMsPerOp)} cpu/MB ${fmt(m.cpuMsPerMB)} rss/conn ${fmt(m.rssKbPerConn)}${note}\n`);
        }
      }
      results.push(caseResult(c, reps));
    }
    for (const [name, d] of bench.directors) process.stderr.write(await logSummary(name, d.logFile));
  } finally {
    if (!opts.keep) await tearDown(bench);
  }
  const table = renderTable(results, cases, names, opts.reps);
  const out = resolve(opts.out ?? join(REPO_ROOT, '.bench', `results-${started.toISOString().replace(/[:.]/g, '-')}.json`));
  await mkdir(join(out, '..'), { recursive: true });
  const meta = {
    started: started.toISOString(),
    finished: new Date().toISOString(),
    ...(await versions()),
    loadavgAtStart,
    loadavgAtEnd: (await readFile('/proc/loadavg', 'utf8')).trim(),
    pinning: pinningNote(opts),
    idleCpuMsPerSecond: background,
    pinned: canPin(opts.pin),
    options: { ...opts, durationMs: opts.durationMs },
  };
  await writeFile(out, `${JSON.stringify({ meta, table, results }, null, 2)}\n`);
  const idleNote = Object.entries(background).map(([t, v]) => `${t} ${fmt(v)}`).join(', ');
  process.stdout.write(
    `${table}\n\nmedian [min–max] of ${opts.reps} run(s) of ${opts.durationMs / 1000} s; proxy CPU with no clients (ms/s): ${idleNote}\n` +
      `${pinningNote(opts)}; load average at start ${loadavgAtStart}, at end ${meta.loadavgAtEnd}\nJSON: ${out}\n`,
  );
  if (!opts.keep) await rm(dir, { recursive: true, force: true });
  else process.stdout.write(`kept: ${dir}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
