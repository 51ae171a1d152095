/**
 * `npm run bench`: the same load through (a) a direct backend connection, (b)
 * Dovecot 2.3's proxy and (c) mail-director, against one slapd and one Dovecot
 * backend started by test/harness/, for each configuration profile (--config:
 * "deploy", what an operator runs, and "trimmed"). Prints one table with
 * ratios and writes it as JSON. Method: docs/bench.md.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Cluster, type ClusterUser } from '../harness/cluster.js';
import { DIRECTOR_CLI_ARGS, REPO_ROOT, startDirector, type DirectorHandle, type DirectorListenKey } from '../harness/director.js';
import type { DirectorPeer } from '../harness/cluster.js';
import { freePort } from '../harness/ports.js';
import { ringOverrides } from '../harness/ring.js';
import { run as runCommand } from '../harness/exec.js';
import { startDovecotProxy, type DovecotProxyHandle, type DovecotProxyOptions } from './dovecot-proxy.js';
import type { LoadJob, LoadResult, Scenario } from './load.js';
import { groupMembers as groupMemberPids } from '../harness/process.js';
import { groupCpuMs, groupRssKb, memberCpuMs, pinGroup } from './procfs.js';
import { LoadProcess } from './load-process.js';
import { topSelfTime, type CpuProfile, type HotFunction } from './profile.js';
import { hasMailbox, PROTOCOLS, type Protocol } from './protocol.js';
import {
  LMTP_RECIPIENTS,
  LMTP_SCENARIOS,
  LMTP_SIZES,
  lmtpCaseLabel,
  lmtpCaseResult,
  lmtpCases,
  lmtpRepLine,
  renderLmtpTable,
  runLmtp,
  type LmtpCase,
  type LmtpCaseOptions,
  type LmtpCaseResult,
  type LmtpEnv,
  type LmtpRep,
  type LmtpSize,
  type LmtpTarget,
} from './lmtp-cases.js';
import { BenchArgs, CACHE, canPin, cell, fmt, markdownTable, IDLE_SAMPLE_MS, pinProxies, rotated, startBenchCluster, summarize, UsageError, WARM_UP_MS, type Summary } from './common.js';

type TargetKind = 'direct' | 'dovecot' | 'director';
const TARGETS: readonly TargetKind[] = ['direct', 'dovecot', 'director'];
/**
 * "direct"; "dovecot", "director" (one process) or "director-wN" (a primary and
 * N workers) of the deploy profile; the same with "-trimmed" of the trimmed one.
 */
type TargetName = string;
/** A table column: "direct", "dovecot", "director", "director-wN" (the profile is the row's). */
type ColumnName = string;

/**
 * What the proxies run with (docs/bench.md, "Configuration profiles"):
 * - deploy: the dev cluster's director (scripts/dev-cluster): a ring of --ring directors with mTLS
 *   gRPC (grpc_tls), /metrics (listen.http), log.level info, LDAP auth_bind true, auth cache on;
 *   Dovecot's proxy with auth_bind = yes and its auth cache on.
 * - trimmed: the first bench's director: no ring, no gRPC, no HTTP, log.level warn, auth_bind false
 *   (one search as the admin DN, password compared locally); Dovecot's proxy with auth_bind = no.
 */
const CONFIGS = ['deploy', 'trimmed'] as const;
type ConfigProfile = (typeof CONFIGS)[number];

function profileSuffix(profile: ConfigProfile): string {
  return profile === 'deploy' ? '' : `-${profile}`;
}

/** One director column per `--workers` value; the single-process one keeps the plain name. */
function directorColumn(workers: number): ColumnName {
  return workers === 1 ? 'director' : `director-w${workers}`;
}

function directorName(workers: number, profile: ConfigProfile): TargetName {
  return `${directorColumn(workers)}${profileSuffix(profile)}`;
}

function dovecotName(profile: ConfigProfile): TargetName {
  return `dovecot${profileSuffix(profile)}`;
}

function isDirectorColumn(name: ColumnName): boolean {
  return name === 'director' || name.startsWith('director-w');
}
const SCENARIOS: readonly Scenario[] = ['login', 'session', 'bulk', 'idle'];


interface Options {
  readonly configs: readonly ConfigProfile[];
  /** Directors in the deploy profile's ring (the measured ones plus idle peers). */
  readonly ring: number;
  readonly durationMs: number;
  readonly reps: number;
  readonly scenarios: readonly Scenario[];
  readonly protocols: readonly Protocol[];
  /** LMTP cases: scenarios (none when --protocols leaves lmtp out), sizes, recipients, connections. */
  readonly lmtp: LmtpCaseOptions;
  /** LMTP stall: transactions held mid-DATA at once. */
  readonly lmtpStalled: number;
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

const USAGE = `usage: scripts/bench [--config deploy,trimmed] [--ring N] [--duration S] [--reps N]
                     [--scenarios login,session,bulk,idle] [--protocols imap,pop3,submission,sieve,lmtp]
                     [--tls plain,tls] [--targets direct,dovecot,director] [--lmtp deliver,stall]
                     [--lmtp-sizes 1k,1m] [--lmtp-rcpts 1,5] [--lmtp-concurrency C] [--lmtp-stalled N]
                     [--workers 1,2] [--concurrency C] [--idle N] [--users U] [--no-cache] [--no-pin]
                     [--no-unloaded] [--profile] [--out FILE] [--keep]
  --config   configuration profiles, each a row of the table with its own Dovecot proxy and director
             (default both): deploy = the dev cluster's director (a ring of --ring directors, mTLS gRPC,
             /metrics, log info, LDAP auth_bind true, auth cache) and Dovecot with auth_bind = yes;
             trimmed = no ring/gRPC/HTTP, log warn, auth_bind false, and Dovecot with auth_bind = no
  --ring     directors in the deploy ring (default 3, as scripts/dev-cluster): the measured ones and
             idle peers that gossip with them (pinned with slapd and the backend)
  --protocols submission and sieve (ManageSieve) have the login scenario only, over plain TCP;
             lmtp has its own scenarios (--lmtp), plain TCP, after all the others
  --lmtp     deliver = 1 KB and 1 MB messages to 1 and 5 recipients over --lmtp-concurrency (default 4)
             persistent connections; stall = memory per transaction with --lmtp-stalled (default 100)
             transactions held mid-DATA, at each of --lmtp-sizes (default both scenarios)
  --workers  one director target per value (director.workers): "director" for 1, "director-wN" for N;
             CPU and RSS are summed over its process group (primary + workers)
  --no-pin   no taskset: every process may run on every core (otherwise proxies on core 0, the rest on 1)
  --profile  instead of the table: mail-director alone under one load (the first of --protocols,
             --tls and --scenarios; default IMAP plain login), CPU-profiled; prints the top
             self-time functions and writes the .cpuprofile`;

function parseArgs(argv: readonly string[]): Options {
  const known = ['config', 'ring', 'duration', 'reps', 'scenarios', 'protocols', 'tls', 'targets', 'workers', 'concurrency', 'idle', 'users', 'out', 'lmtp', 'lmtp-sizes', 'lmtp-rcpts', 'lmtp-concurrency', 'lmtp-stalled'];
  const args = new BenchArgs(argv, ['no-cache', 'no-pin', 'no-unloaded', 'profile', 'keep'], known, USAGE);
  const workers = (args.value('workers') ?? '1').split(',').map((w) => Number(w.trim()));
  for (const w of workers) if (!Number.isInteger(w) || w < 1 || w > 64) throw new UsageError(`--workers: ${w} is not a whole number in 1..64`);
  if (new Set(workers).size !== workers.length) throw new UsageError('--workers: a value is listed twice');
  const configs = args.list('config', CONFIGS, CONFIGS);
  if (new Set(configs).size !== configs.length) throw new UsageError('--config: a profile is listed twice');
  const protocols = args.list('protocols', [...PROTOCOLS, 'lmtp'] as const);
  return {
    configs,
    ring: Math.round(args.num('ring', 3, 1)),
    durationMs: args.num('duration', 10, 0.5) * 1000,
    reps: Math.round(args.num('reps', 3, 1)),
    scenarios: args.list('scenarios', SCENARIOS, SCENARIOS),
    protocols: protocols.filter((p): p is Protocol => p !== 'lmtp'),
    lmtp: {
      scenarios: protocols.includes('lmtp') ? args.list('lmtp', LMTP_SCENARIOS) : [],
      sizes: args.list('lmtp-sizes', Object.keys(LMTP_SIZES) as LmtpSize[]),
      recipients: args.list('lmtp-rcpts', LMTP_RECIPIENTS),
      concurrency: Math.round(args.num('lmtp-concurrency', 4, 1)),
    },
    lmtpStalled: Math.round(args.num('lmtp-stalled', 100, 1)),
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

type PortKey = 'imap' | 'imaps' | 'pop3' | 'pop3s' | 'submission' | 'sieve' | 'lmtp';

/** Submission and ManageSieve are measured over plain TCP only (the backend has no implicit-TLS port for them). */
function portKey(protocol: Protocol, tls: boolean): PortKey {
  if (protocol === 'imap') return tls ? 'imaps' : 'imap';
  if (protocol === 'pop3') return tls ? 'pop3s' : 'pop3';
  return protocol;
}

/** Where a target listens, and which process group is "the proxy" (none for direct). */
interface Target {
  readonly name: TargetName;
  readonly kind: TargetKind;
  /** undefined for direct (the same backend in every profile). */
  readonly profile: ConfigProfile | undefined;
  readonly host: string;
  readonly ports: Readonly<Record<PortKey, number>>;
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
  /** CPU per op less the target's CPU with no clients (ms/s before the runs) over the run: what the logins themselves cost. */
  readonly cpuMsPerOpLessIdle: number | null;
  readonly cpuMsPerMB: number | null;
  readonly mbPerSec: number | null;
  readonly rssKbPerConn: number | null;
  readonly held: number | null;
  readonly errorSamples: readonly string[];
  /** CPU ms per op of each process of the group, the leader (a director's primary) first. */
  readonly cpuMsPerOpByProcess: readonly number[] | null;
}

const METRICS = ['opsPerSec', 'p50Ms', 'p99Ms', 'errors', 'cpuMsPerOp', 'cpuMsPerOpLessIdle', 'cpuMsPerMB', 'mbPerSec', 'rssKbPerConn'] as const;
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
  /** By target name ("director", "director-w2", "director-trimmed", ...). */
  readonly directors: Map<TargetName, DirectorHandle>;
  /** By target name ("dovecot", "dovecot-trimmed"). */
  readonly dovecots: Map<TargetName, DovecotProxyHandle>;
  /** Deploy ring members that are not measured: they gossip with the measured directors. */
  readonly peers: DirectorHandle[];
  /** Each proxy's CPU with no clients, ms per second (sampled before the runs). */
  readonly idleCpu: Map<TargetName, number>;
  /** A fresh proxy process (same config): allocators keep what they once grew, so RSS growth is only seen once per process. */
  restart(name: TargetName): Promise<Target>;
}

const MAIL_LISTEN: readonly DirectorListenKey[] = ['imap', 'imaps', 'pop3', 'pop3s', 'submission', 'sieve', 'lmtp'];

interface DirectorSpec {
  readonly name: TargetName;
  readonly id: string;
  readonly workers: number;
  readonly profile: ConfigProfile;
  /** Deploy: this director's place in the ring. */
  readonly ring?: { readonly self: DirectorPeer; readonly all: readonly DirectorPeer[] };
}

/** The director's YAML overrides of each profile (on top of test/harness/director.ts's base config). */
async function startDirectorTarget(cluster: Cluster, opts: Options, spec: DirectorSpec, profileFile?: string): Promise<DirectorHandle> {
  // The director inherits our environment; only the profiling hook is added, and only for that start.
  const saved = process.env['NODE_OPTIONS'];
  if (profileFile !== undefined) {
    process.env['NODE_OPTIONS'] = `${saved ?? ''} --import ${join(REPO_ROOT, 'test/bench/cpu-profile-hook.mjs')}`.trim();
    process.env['MD_BENCH_CPU_PROFILE'] = profileFile;
  }
  const cache = opts.cache ? { size: CACHE.size, ttl: `${CACHE.ttlSeconds}s`, negative_ttl: `${CACHE.negativeTtlSeconds}s` } : { size: 0 };
  const workers = spec.workers > 1 ? { director: { workers: spec.workers } } : {};
  try {
    if (spec.profile === 'deploy') {
      const ring = spec.ring;
      if (ring === undefined || ring.self.grpc === null) throw new UsageError(`${spec.name}: no place in the ring`);
      return await startDirector({
        dir: join(cluster.dir, spec.name),
        id: spec.id,
        ca: cluster.ca,
        ldap: cluster.slapd,
        backends: cluster.backends,
        // As scripts/dev-cluster: every mail port, mTLS gRPC (ring and admin) and HTTP (/metrics).
        listen: [...MAIL_LISTEN, 'grpc', 'http'],
        ports: { grpc: ring.self.grpc },
        logLevel: 'info',
        overrides: {
          ...ringOverrides(cluster.dir)(ring.self, ring.all),
          // The user binds (after one search as the admin DN) on a cache miss, as in production.
          passdb: { auth_bind: true },
          cache,
          ...workers,
        },
      });
    }
    return await startDirector({
      dir: join(cluster.dir, spec.name),
      id: spec.id,
      ca: cluster.ca,
      ldap: cluster.slapd,
      backends: cluster.backends,
      listen: MAIL_LISTEN,
      logLevel: 'warn',
      overrides: {
        // Same LDAP work as the trimmed Dovecot proxy: one search as the admin DN, password compared locally.
        passdb: { auth_bind: false },
        cache,
        ...workers,
      },
    });
  } finally {
    if (saved === undefined) delete process.env['NODE_OPTIONS'];
    else process.env['NODE_OPTIONS'] = saved;
    delete process.env['MD_BENCH_CPU_PROFILE'];
  }
}

function directorTarget(name: TargetName, profile: ConfigProfile, d: DirectorHandle): Target {
  return {
    name,
    kind: 'director',
    profile,
    host: d.host,
    ports: { imap: d.imap ?? 0, imaps: d.imaps ?? 0, pop3: d.pop3 ?? 0, pop3s: d.pop3s ?? 0, submission: d.submission ?? 0, sieve: d.sieve ?? 0, lmtp: d.lmtp ?? 0 },
    pgid: d.pid,
  };
}

function dovecotTarget(name: TargetName, profile: ConfigProfile, dc: DovecotProxyHandle): Target {
  return {
    name,
    kind: 'dovecot',
    profile,
    host: dc.host,
    ports: { imap: dc.imap, imaps: dc.imaps, pop3: dc.pop3, pop3s: dc.pop3s, submission: dc.submission, sieve: dc.sieve, lmtp: dc.lmtp },
    pgid: dc.pid,
  };
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

/** Each profile's Dovecot proxy on its own loopback address (they are separate Dovecot instances). */
const DOVECOT_HOST: Readonly<Record<ConfigProfile, string>> = { deploy: '127.0.0.2', trimmed: '127.0.0.3' };

async function setUp(opts: Options, dir: string, withDovecot: boolean, profileFile?: string): Promise<Bench> {
  const { cluster, backend, users, bulkUser } = await startBenchCluster(dir, opts.users);

  const dovecotOptions = (profile: ConfigProfile): DovecotProxyOptions => ({
    dir: join(dir, dovecotName(profile)),
    host: DOVECOT_HOST[profile],
    ca: cluster.ca,
    slapd: cluster.slapd,
    backend,
    cache: opts.cache ? CACHE : { ...CACHE, size: 0 },
    authBind: profile === 'deploy',
  });
  const workersOf = new Map<TargetName, number>();
  const bench: Bench = {
    cluster,
    users,
    bulkUser,
    targets: new Map(),
    directors: new Map(),
    dovecots: new Map(),
    peers: [],
    idleCpu: new Map(),
    restart: async (name) => {
      const t = bench.targets.get(name);
      if (t === undefined || t.profile === undefined) throw new UsageError(`no proxy target ${name}`);
      const d = bench.directors.get(name);
      const dc = bench.dovecots.get(name);
      if (d !== undefined) {
        await d.stop();
        const fresh = await d.restart();
        bench.directors.set(name, fresh);
        bench.targets.set(name, directorTarget(name, t.profile, fresh));
        await waitForGroup(name, fresh.pid, workersOf.get(name) ?? 1);
      } else if (dc !== undefined) {
        await dc.stop();
        const fresh = await startDovecotProxy(dovecotOptions(t.profile));
        bench.dovecots.set(name, fresh);
        bench.targets.set(name, dovecotTarget(name, t.profile, fresh));
      }
      const out = bench.targets.get(name);
      if (out === undefined) throw new UsageError(`no target ${name}`);
      return out;
    },
  };
  bench.targets.set('direct', {
    name: 'direct',
    kind: 'direct',
    profile: undefined,
    host: backend.host,
    ports: { imap: backend.imap, imaps: backend.imaps, pop3: backend.pop3, pop3s: backend.pop3s, submission: backend.submission, sieve: backend.sieve, lmtp: backend.lmtp },
    pgid: undefined,
  });
  if (withDovecot) {
    for (const profile of opts.configs) {
      const name = dovecotName(profile);
      const dc = await startDovecotProxy(dovecotOptions(profile));
      bench.dovecots.set(name, dc);
      bench.targets.set(name, dovecotTarget(name, profile, dc));
    }
  }
  const workerCounts = profileFile !== undefined ? [1] : opts.targets.includes('director') ? opts.workers : [];
  for (const profile of opts.configs) {
    const specs: DirectorSpec[] = workerCounts.map((w) => ({
      name: directorName(w, profile),
      id: `bench${w === 1 ? '' : `-w${w}`}${profileSuffix(profile)}`,
      workers: w,
      profile,
    }));
    const peerSpecs: DirectorSpec[] = [];
    if (profile === 'deploy' && specs.length > 0) {
      // One ring: the measured directors first, then idle peers up to --ring members.
      for (let i = 1; specs.length + peerSpecs.length < opts.ring; i++) peerSpecs.push({ name: `ring-peer${i}`, id: `peer${i}`, workers: 1, profile });
      const all: DirectorPeer[] = [];
      for (const s of [...specs, ...peerSpecs]) all.push({ id: s.id, host: '127.0.0.1', grpc: await freePort('127.0.0.1') });
      const placed = (s: DirectorSpec, i: number): DirectorSpec => {
        const self = all[i];
        if (self === undefined) throw new UsageError(`${s.name}: no ring place`);
        return { ...s, ring: { self, all } };
      };
      specs.splice(0, specs.length, ...specs.map(placed));
      peerSpecs.splice(0, peerSpecs.length, ...peerSpecs.map((s, i) => placed(s, specs.length + i)));
    }
    for (const spec of specs) {
      const d = await startDirectorTarget(cluster, opts, spec, profileFile);
      bench.directors.set(spec.name, d);
      bench.targets.set(spec.name, directorTarget(spec.name, profile, d));
      workersOf.set(spec.name, spec.workers);
      await waitForGroup(spec.name, d.pid, spec.workers);
    }
    for (const spec of peerSpecs) bench.peers.push(await startDirectorTarget(cluster, opts, spec));
  }
  return bench;
}

function pin(bench: Bench, opts: Options): void {
  if (!canPin(opts.pin)) return;
  pinProxies([...bench.targets.values()].map((t) => t.pgid), bench.cluster);
  // The ring's idle peers are infrastructure, like slapd and the backend.
  for (const p of bench.peers) pinGroup(p.pid, 1);
}

async function tearDown(bench: Bench): Promise<void> {
  for (const d of bench.directors.values()) await d.stop().catch(() => undefined);
  for (const p of bench.peers) await p.stop().catch(() => undefined);
  for (const dc of bench.dovecots.values()) await dc.stop().catch(() => undefined);
  await bench.cluster.stop();
}


// ---------------------------------------------------------------- one run

async function runOnce(bench: Bench, target: Target, c: Case, opts: Options, durationMs: number): Promise<RepMetrics> {
  const port = target.ports[portKey(c.protocol, c.tls)];
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
  const idleMsPerS = bench.idleCpu.get(target.name);
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
    cpuMsPerOpLessIdle:
      proxied && r.ops > 0 && idleMsPerS !== undefined && (c.scenario === 'login' || c.scenario === 'session') ? (cpu - (idleMsPerS * r.elapsedMs) / 1000) / r.ops : null,
    cpuMsPerMB: proxied && c.scenario === 'bulk' && mb > 0 ? cpu / mb : null,
    mbPerSec: c.scenario === 'bulk' && r.elapsedMs > 0 ? (mb * 1000) / r.elapsedMs : null,
    rssKbPerConn: proxied && c.scenario === 'idle' && held !== null && held > 0 ? (rss1 - rss0) / held : null,
    held,
    errorSamples: r.errorSamples,
    cpuMsPerOpByProcess: byProcess,
  };
}

// ---------------------------------------------------------------- LMTP

function lmtpTarget(t: Target): LmtpTarget {
  return { name: t.name, host: t.host, port: t.ports.lmtp, pgid: t.pgid };
}

function lmtpEnv(bench: Bench, opts: Options): LmtpEnv {
  return {
    // Host users: every target sends them to the one backend (LDAP mailHost), as the mail cases do.
    recipients: bench.users.map((u) => `${u.name}@example.org`),
    stalled: opts.lmtpStalled,
    pinned: opts.pin,
    pin: (t) => {
      if (canPin(opts.pin) && t.pgid !== undefined) pinGroup(t.pgid, 0);
    },
    idleCpuMsPerS: (name) => bench.idleCpu.get(name),
  };
}

/** 1 KB to one recipient: warms the LMTP path (JIT, auth caches, backend lmtp processes). */
function lmtpWarmUp(opts: Options, size: number): LmtpCase {
  return { scenario: 'deliver', size, perMessage: 1, concurrency: opts.lmtp.concurrency };
}

/** Every LMTP case, targets interleaved and rotated per repetition as the other cases are. */
async function runLmtpCases(bench: Bench, opts: Options, names: readonly TargetName[]): Promise<LmtpCaseResult[]> {
  const env = lmtpEnv(bench, opts);
  const results: LmtpCaseResult[] = [];
  for (const c of lmtpCases(opts.lmtp)) {
    const reps = new Map<TargetName, LmtpRep[]>();
    for (let rep = 0; rep < opts.reps; rep++) {
      for (const name of rotated(names, rep)) {
        let t = bench.targets.get(name);
        if (t === undefined) continue;
        if (c.scenario === 'stall') {
          // Memory is a proxy's figure: the backend alone has none to compare.
          if (t.pgid === undefined) continue;
          // A fresh process (allocators keep what they once grew), which first delivers messages of
          // the same size, so code, caches and buffers are not counted per transaction.
          t = await bench.restart(t.name);
          await runLmtp(env, lmtpTarget(t), lmtpWarmUp(opts, c.size), 1000);
        }
        const m = await runLmtp(env, lmtpTarget(t), c, opts.durationMs);
        reps.set(t.name, [...(reps.get(t.name) ?? []), m]);
        process.stderr.write(lmtpRepLine(c, rep, t.name, m));
      }
    }
    for (const profile of opts.configs) results.push(lmtpCaseResult(c, profile, profileColumns(opts, profile), reps));
  }
  return results;
}

// ---------------------------------------------------------------- summary and table

/** One case in one profile: the columns are "direct", "dovecot", "director", "director-wN". */
interface CaseResult {
  readonly case: string;
  readonly key: string;
  readonly profile: ConfigProfile;
  readonly spec: Case;
  readonly targets: Partial<Record<ColumnName, { target: TargetName; reps: RepMetrics[]; summary: Record<MetricName, Summary> }>>;
  readonly ratios: Record<string, number | null>;
}

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a === null || a === undefined || b === null || b === undefined || b === 0 ? null : a / b;
}

/** The table's columns of one profile: column name -> target name. */
function profileColumns(opts: Options, profile: ConfigProfile): Array<[ColumnName, TargetName]> {
  return opts.targets.flatMap((t): Array<[ColumnName, TargetName]> => {
    if (t === 'direct') return [['direct', 'direct']];
    if (t === 'dovecot') return [['dovecot', dovecotName(profile)]];
    return opts.workers.map((w): [ColumnName, TargetName] => [directorColumn(w), directorName(w, profile)]);
  });
}

function caseResult(c: Case, profile: ConfigProfile, columns: ReadonlyArray<[ColumnName, TargetName]>, reps: Map<TargetName, RepMetrics[]>): CaseResult {
  const targets: CaseResult['targets'] = {};
  for (const [column, name] of columns) {
    const rs = reps.get(name);
    if (rs === undefined) continue;
    const summary = Object.fromEntries(METRICS.map((m) => [m, summarize(rs.map((r) => r[m]))])) as Record<MetricName, Summary>;
    targets[column] = { target: name, reps: rs, summary };
  }
  const med = (t: TargetName, m: MetricName): number | null | undefined => targets[t]?.summary[m].median;
  const ratios: Record<string, number | null> = {
    'director/dovecot cpuMsPerOp': ratio(med('director', 'cpuMsPerOp'), med('dovecot', 'cpuMsPerOp')),
    'director/dovecot cpuMsPerOpLessIdle': ratio(med('director', 'cpuMsPerOpLessIdle'), med('dovecot', 'cpuMsPerOpLessIdle')),
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
  for (const name of Object.keys(targets).filter((t) => isDirectorColumn(t) && t !== 'director')) {
    for (const m of ['cpuMsPerOp', 'cpuMsPerMB', 'rssKbPerConn', 'p99Ms'] as const) ratios[`${name}/director ${m}`] = ratio(med(name, m), med('director', m));
    ratios[`${name}/director opsPerSec`] = ratio(med(name, 'opsPerSec'), med('director', 'opsPerSec'));
    ratios[`${name}/direct opsPerSec`] = ratio(med(name, 'opsPerSec'), med('direct', 'opsPerSec'));
  }
  if (c.concurrency === 1 && c.scenario !== 'idle') {
    for (const name of Object.keys(targets).filter((t) => t !== 'direct')) ratios[`${name} addedP50Ms`] = added(name);
  }
  return { case: `${caseLabel(c)} ${profile}`, key: `${caseKey(c)}-${profile}`, profile, spec: c, targets, ratios };
}

const METRIC_LABEL: Record<MetricName, string> = {
  opsPerSec: 'ops/s',
  p50Ms: 'p50 ms',
  p99Ms: 'p99 ms',
  errors: 'errors',
  cpuMsPerOp: 'CPU ms/op',
  cpuMsPerOpLessIdle: 'CPU ms/op − idle',
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
      return ['opsPerSec', 'p50Ms', 'p99Ms', 'errors', 'cpuMsPerOp', 'cpuMsPerOpLessIdle'];
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

export function renderTable(results: readonly CaseResult[], targets: readonly ColumnName[], reps: number): string {
  const multi = targets.filter((t) => isDirectorColumn(t) && t !== 'director' && targets.includes('director'));
  const header = ['case', 'metric', ...targets, 'director ÷ dovecot (rate: ÷ direct)', ...multi.map((t) => `${t} ÷ director`)];
  const rows: string[][] = [];
  results.forEach((r) => {
    const c = r.spec;
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
  return markdownTable(header, rows);
}

// ---------------------------------------------------------------- main

/** Table columns: the targets asked for, "director" expanded to one per `--workers` value. */
function columnNames(opts: Options): ColumnName[] {
  return opts.targets.flatMap((t) => (t === 'director' ? opts.workers.map(directorColumn) : [t]));
}

/** Every target measured: direct once, then each profile's Dovecot proxy and directors. */
function targetNames(opts: Options): TargetName[] {
  const names = opts.targets.includes('direct') ? ['direct'] : [];
  for (const profile of opts.configs) for (const [column, name] of profileColumns(opts, profile)) if (column !== 'direct') names.push(name);
  return names;
}

const PROFILE_NOTE: Readonly<Record<ConfigProfile, string>> = {
  deploy:
    'deploy: director as scripts/dev-cluster runs it (ring with mTLS gRPC, /metrics on listen.http, log.level info, passdb auth_bind true, auth cache), Dovecot proxy with auth_bind = yes and its auth cache',
  trimmed: 'trimmed: director without ring, gRPC or HTTP, log.level warn, auth_bind false; Dovecot proxy with auth_bind = no (both compare the password locally)',
};

function profileNotes(opts: Options): string[] {
  return opts.configs.map((p) => (p === 'deploy' ? `${PROFILE_NOTE[p]}; ${opts.ring} directors in the ring` : PROFILE_NOTE[p]));
}

function pinningNote(opts: Options): string {
  if (canPin(opts.pin)) {
    const peers = opts.configs.includes('deploy') && opts.ring > 1 ? ", the deploy ring's idle peers" : '';
    return `pinned: the proxies (every process of each) on core 0; slapd, the backend${peers}, the load and the orchestrator on core 1`;
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

function buildCases(opts: Options, skipped: string[]): Case[] {
  const cases: Case[] = [];
  // Priority order of the issue: IMAP before POP3, plain before TLS.
  for (const protocol of opts.protocols) {
    for (const tls of opts.tls) {
      for (const scenario of opts.scenarios) {
        // Submission and ManageSieve: logins over plain TCP only.
        if (!hasMailbox(protocol) && (tls || scenario !== 'login')) {
          skipped.push(`${protocol} ${tls ? 'tls' : 'plain'} ${scenario}`);
          continue;
        }
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
  const profile = opts.configs[0] ?? 'deploy';
  const bench = await setUp({ ...opts, targets: ['director'], configs: [profile] }, dir, false, profileFile);
  try {
    const target = bench.targets.get(directorName(1, profile));
    const director = bench.directors.get(directorName(1, profile));
    if (target === undefined || director === undefined) return;
    const c: Case = {
      protocol: opts.protocols[0] ?? 'imap',
      tls: opts.tls[0] ?? false,
      scenario: opts.scenarios[0] ?? 'login',
      concurrency: opts.concurrency,
    };
    // `--protocols lmtp`: the first deliver case of --lmtp-sizes and --lmtp-rcpts.
    const lmtp = opts.protocols.length === 0 ? lmtpCases({ ...opts.lmtp, scenarios: ['deliver'] })[0] : undefined;
    const what = lmtp !== undefined ? lmtpCaseLabel(lmtp) : `${c.protocol.toUpperCase()} ${c.tls ? 'tls' : 'plain'} ${c.scenario}, c=${c.concurrency}`;
    const measure = async (durationMs: number): Promise<string> => {
      if (lmtp === undefined) {
        const m = await runOnce(bench, target, c, opts, durationMs);
        return `${m.ops} ops, ${fmt(m.opsPerSec)}/s, ${m.errors} errors, CPU ${fmt(m.cpuMsPerOp)} ms/op`;
      }
      const m = await runLmtp(lmtpEnv(bench, opts), lmtpTarget(target), lmtp, durationMs);
      return `${m.messages} messages, ${fmt(m.msgPerSec)}/s, ${m.deliveries} delivered, ${m.failedRecipients} failed recipients, CPU ${fmt(m.cpuMsPerMsg)} ms/message`;
    };
    // Warm-up (JIT, auth cache) before the profiler starts; the hook toggles on SIGUSR2.
    await measure(2000);
    process.kill(director.pid, 'SIGUSR2');
    const measured = await measure(opts.durationMs);
    process.kill(director.pid, 'SIGUSR2');
    const deadline = Date.now() + 10_000;
    while (!existsSync(profileFile) && Date.now() < deadline) await sleep(100);
    const cpuProfile = JSON.parse(await readFile(profileFile, 'utf8')) as CpuProfile;
    const { busyMs, top, areas } = topSelfTime(cpuProfile, REPO_ROOT, 15);
    const lines = [
      `mail-director (${profile} profile), ${what}, ${opts.durationMs / 1000} s: ${measured} (with profiler)`,
      `sampled busy time ${fmt(busyMs)} ms; top self time:`,
      ...top.map((f: HotFunction, i) => `${String(i + 1).padStart(2)}. ${fmt(f.selfMs).padStart(7)} ms ${f.percent.toFixed(1).padStart(5)}%  ${f.name}  ${f.where}`),
      'self time by area:',
      ...areas.map((a) => `    ${fmt(a.selfMs).padStart(7)} ms ${a.percent.toFixed(1).padStart(5)}%  ${a.area}`),
    ];
    const kept = resolve(opts.out ?? join(REPO_ROOT, '.bench', `director-${lmtp === undefined ? `${c.protocol}-${c.scenario}` : `lmtp-${lmtp.size}-x${lmtp.perMessage}`}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`));
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
  const skipped: string[] = [];
  const cases = buildCases(opts, skipped);
  if (cases.length === 0 && opts.lmtp.scenarios.length === 0) throw new UsageError(`nothing to run (skipped: ${skipped.join(', ')})`);
  const bench = await setUp(opts, dir, opts.targets.includes('dovecot'));
  const results: CaseResult[] = [];
  let lmtpResults: LmtpCaseResult[] = [];
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
      if (t.pgid === undefined) return;
      idleCpu[t.name] = ((groupCpuMs(t.pgid) - (before[i] ?? 0)) * 1000) / IDLE_SAMPLE_MS;
      bench.idleCpu.set(t.name, idleCpu[t.name] ?? 0);
    });
    process.stderr.write(`idle CPU ms/s: ${JSON.stringify(idleCpu)}\n`);
    background = idleCpu;
    // Warm up every target (JIT, auth caches, backend processes) with logins of each protocol before anything counts.
    for (const t of targets) {
      for (const protocol of opts.protocols) await runOnce(bench, t, { protocol, tls: false, scenario: 'login', concurrency: opts.concurrency }, opts, WARM_UP_MS);
      if (opts.lmtp.scenarios.length > 0) await runLmtp(lmtpEnv(bench, opts), lmtpTarget(t), lmtpWarmUp(opts, LMTP_SIZES['1k']), WARM_UP_MS);
    }
    for (const c of cases) {
      const reps = new Map<TargetName, RepMetrics[]>();
      // Every target of every profile, interleaved within each repetition.
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
          if (t.kind === 'director' && (m.cpuMsPerOpByProcess?.length ?? 0) > 1) note += `  cpu/op primary+workers ${m.cpuMsPerOpByProcess?.map(fmt).join(' + ')}`;
          process.stderr.write(`${caseLabel(c)} rep ${rep + 1} ${t.name}: ${fmt(m.opsPerSec)} ops/s cpu/op ${fmt(m.cpuMsPerOp)} cpu/MB ${fmt(m.cpuMsPerMB)} rss/conn ${fmt(m.rssKbPerConn)}${note}\n`);
        }
      }
      for (const profile of opts.configs) results.push(caseResult(c, profile, profileColumns(opts, profile), reps));
    }
    // Last: deliveries grow the users' mailboxes, which the session scenario reads.
    if (opts.lmtp.scenarios.length > 0) lmtpResults = await runLmtpCases(bench, opts, names);
    for (const [name, d] of bench.directors) process.stderr.write(await logSummary(name, d.logFile));
    for (const p of bench.peers) process.stderr.write(await logSummary(`ring peer ${p.id}`, p.logFile));
  } finally {
    if (!opts.keep) await tearDown(bench);
  }
  const table = [
    results.length > 0 ? renderTable(results, columnNames(opts), opts.reps) : '',
    lmtpResults.length > 0 ? renderLmtpTable(lmtpResults, columnNames(opts), opts.reps) : '',
  ]
    .filter((t) => t !== '')
    .join('\n\n');
  const out = resolve(opts.out ?? join(REPO_ROOT, '.bench', `results-${started.toISOString().replace(/[:.]/g, '-')}.json`));
  await mkdir(join(out, '..'), { recursive: true });
  const meta = {
    started: started.toISOString(),
    finished: new Date().toISOString(),
    ...(await versions()),
    loadavgAtStart,
    loadavgAtEnd: (await readFile('/proc/loadavg', 'utf8')).trim(),
    pinning: pinningNote(opts),
    profiles: profileNotes(opts),
    skipped,
    idleCpuMsPerSecond: background,
    pinned: canPin(opts.pin),
    options: { ...opts, durationMs: opts.durationMs },
  };
  await writeFile(out, `${JSON.stringify({ meta, table, results, lmtpResults }, null, 2)}\n`);
  const idleNote = Object.entries(background).map(([t, v]) => `${t} ${fmt(v)}`).join(', ');
  process.stdout.write(
    `${table}\n\n${profileNotes(opts).join('\n')}\n` +
      `auth cache ${opts.cache ? 'on' : 'off (--no-cache)'}${skipped.length > 0 ? `; not measured (logins over plain TCP only): ${skipped.join(', ')}` : ''}\n` +
      `median [min–max] of ${opts.reps} run(s) of ${opts.durationMs / 1000} s; proxy CPU with no clients (ms/s): ${idleNote}\n` +
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
