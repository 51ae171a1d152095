/**
 * `scripts/bench-floor`: what a proxied IMAP login and a relayed MB cost in
 * Node itself. Minimal Node forwarders (test/bench/node-floor.ts: pipe, data,
 * line) run side by side with a direct connection, mail-director and
 * Dovecot's proxy, under the same load generator (test/bench/load.ts) and
 * the same CPU accounting (Δ utime+stime over the proxy's process group,
 * test/bench/procfs.ts) as scripts/bench. Then each proxy is traced once
 * under login load (strace -c: syscalls per login; perf: where its CPU
 * goes, kernel vs node vs JIT). Results: docs/node-floor.md.
 *
 * bench.ts runs its benchmark when imported, so the few pieces needed from
 * it (target setup, the load process, one run) are repeated here, unchanged
 * in method.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LoadProcess } from './load-process.js';
import { setTimeout as sleep } from 'node:timers/promises';
import ts from 'typescript';
import { type Cluster, type ClusterUser } from '../harness/cluster.js';
import { DIRECTOR_CLI_ARGS, REPO_ROOT, startDirector, type DirectorHandle } from '../harness/director.js';
import { freePort } from '../harness/ports.js';
import { groupMembers, isAlive, spawnLogged, waitForPort, type ProcessHandle } from '../harness/process.js';
import { startDovecotProxy, type DovecotProxyHandle } from './dovecot-proxy.js';
import type { LoadJob, LoadResult } from './load.js';
import { FLOOR_MODES, type FloorMode } from './node-floor.js';
import { groupCpuMs } from './procfs.js';
import { BenchArgs, CACHE, canPin, cell, fmt, IDLE_SAMPLE_MS, pinProxies, rotated, startBenchCluster, summarize, UsageError, WARM_UP_MS } from './common.js';


type FloorTarget = `floor-${FloorMode}`;
type DirectorTarget = 'director' | 'director-base';
type TargetName = 'direct' | FloorTarget | DirectorTarget | 'dovecot';
const ALL_TARGETS: readonly TargetName[] = ['direct', ...FLOOR_MODES.map((m): FloorTarget => `floor-${m}`), 'director', 'director-base', 'dovecot'];
const DEFAULT_TARGETS = ALL_TARGETS.filter((t) => t !== 'director-base');

function isDirectorTarget(name: TargetName): name is DirectorTarget {
  return name === 'director' || name === 'director-base';
}
type Scenario = 'login' | 'bulk';

interface Options {
  readonly durationMs: number;
  readonly reps: number;
  readonly scenarios: readonly Scenario[];
  readonly targets: readonly TargetName[];
  readonly concurrency: number;
  readonly users: number;
  readonly pin: boolean;
  readonly trace: boolean;
  readonly traceMs: number;
  readonly out: string | undefined;
  /** A checkout of mail-director with a built dist/: target director-base runs it (A/B). */
  readonly base: string | undefined;
}

const USAGE = `usage: scripts/bench-floor [--duration S] [--reps N] [--scenarios login,bulk]
                           [--targets ${ALL_TARGETS.join(',')}]
                           [--concurrency C] [--users U] [--no-pin] [--no-trace] [--trace-duration S] [--out FILE]
                           [--base DIR]
  IMAP, plain only. --no-trace skips the strace/perf pass after the measured runs.
  --base DIR: also run target director-base, the mail-director built in DIR (e.g. a git worktree of
  an older commit after scripts/build there), interleaved with this checkout's: an A/B comparison
  of two builds under the same load, same machine phase.`;

function parseArgs(argv: readonly string[]): Options {
  const known = ['duration', 'reps', 'scenarios', 'targets', 'concurrency', 'users', 'trace-duration', 'out', 'base'];
  const args = new BenchArgs(argv, ['no-pin', 'no-trace'], known, USAGE);
  return {
    durationMs: args.num('duration', 10, 0.5) * 1000,
    reps: Math.round(args.num('reps', 3, 1)),
    scenarios: args.list<Scenario>('scenarios', ['login', 'bulk']),
    targets: withBase(args.list('targets', ALL_TARGETS, DEFAULT_TARGETS), args.value('base')),
    concurrency: Math.round(args.num('concurrency', 8, 1)),
    users: Math.round(args.num('users', 100, 10)),
    pin: !args.flag('no-pin'),
    trace: !args.flag('no-trace'),
    traceMs: args.num('trace-duration', 5, 1) * 1000,
    out: args.value('out'),
    base: args.value('base'),
  };
}

/** --base adds director-base right after director (interleaved A/B); director-base needs --base. */
function withBase(targets: TargetName[], base: string | undefined): TargetName[] {
  if (base === undefined) {
    if (targets.includes('director-base')) throw new UsageError('target director-base needs --base DIR');
    return targets;
  }
  if (!existsSync(baseMain(base))) throw new UsageError(`--base ${base}: no ${baseMain(base)} (run scripts/build there)`);
  if (targets.includes('director-base')) return targets;
  const at = targets.indexOf('director');
  const out = [...targets];
  out.splice(at < 0 ? out.length : at + 1, 0, 'director-base');
  return out;
}

function baseMain(base: string): string {
  return join(base, 'dist/src/cli/main.js');
}

// ---------------------------------------------------------------- setup (as bench.ts)

interface Target {
  readonly name: TargetName;
  readonly host: string;
  readonly port: number;
  /** The proxy's process group (none for direct). */
  readonly pgid: number | undefined;
}

interface Bench {
  readonly cluster: Cluster;
  readonly users: readonly ClusterUser[];
  readonly bulkUser: ClusterUser;
  readonly targets: Map<TargetName, Target>;
  readonly directors: Map<DirectorTarget, DirectorHandle>;
  dovecot: DovecotProxyHandle | undefined;
  readonly floors: ProcessHandle[];
}

/** node-floor.ts as plain JavaScript: no loader between node and the forwarder (tsx would wrap its closures). */
async function compileFloor(dir: string): Promise<string> {
  const source = await readFile(join(REPO_ROOT, 'test/bench/node-floor.ts'), 'utf8');
  const out = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true } });
  const file = join(dir, 'node-floor.mjs');
  await writeFile(file, out.outputText);
  return file;
}

async function startFloorTarget(dir: string, script: string, mode: FloorMode, host: string, backend: { host: string; imap: number }): Promise<{ handle: ProcessHandle; target: Target }> {
  const port = await freePort(host);
  const handle = spawnLogged({
    name: `floor-${mode}`,
    command: process.execPath,
    args: [script, '--mode', mode, '--listen', `${host}:${port}`, '--backend', `${backend.host}:${backend.imap}`],
    logFile: join(dir, `floor-${mode}.log`),
    // Nothing inherited that would load tsx or a profiler into it.
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
  });
  await waitForPort(host, port, 10_000, { alive: () => handle.alive(), what: `floor-${mode}`, logFile: handle.logFile });
  return { handle, target: { name: `floor-${mode}`, host, port, pgid: handle.pgid } };
}

async function setUp(opts: Options, dir: string): Promise<Bench> {
  const { cluster, backend, users, bulkUser } = await startBenchCluster(dir, opts.users);
  const bench: Bench = { cluster, users, bulkUser, targets: new Map(), directors: new Map(), dovecot: undefined, floors: [] };
  bench.targets.set('direct', { name: 'direct', host: backend.host, port: backend.imap, pgid: undefined });

  const script = await compileFloor(dir);
  for (const [i, mode] of FLOOR_MODES.entries()) {
    if (!opts.targets.includes(`floor-${mode}`)) continue;
    const { handle, target } = await startFloorTarget(dir, script, mode, `127.0.0.${3 + i}`, backend);
    bench.floors.push(handle);
    bench.targets.set(target.name, target);
  }
  if (opts.targets.includes('dovecot')) {
    const dc = await startDovecotProxy({ dir: join(dir, 'dovecot-proxy'), host: '127.0.0.2', ca: cluster.ca, slapd: cluster.slapd, backend, cache: CACHE, authBind: false });
    bench.dovecot = dc;
    bench.targets.set('dovecot', { name: 'dovecot', host: dc.host, port: dc.imap, pgid: dc.pid });
  }
  for (const name of opts.targets) {
    if (!isDirectorTarget(name)) continue;
    const mainScript = name === 'director-base' && opts.base !== undefined ? resolve(baseMain(opts.base)) : undefined;
    // The trimmed profile of scripts/bench (single process).
    const d = await startDirector({
      dir: join(dir, name),
      id: 'bench',
      ca: cluster.ca,
      ldap: cluster.slapd,
      backends: cluster.backends,
      listen: ['imap', 'imaps', 'pop3', 'pop3s'],
      logLevel: 'warn',
      overrides: {
        passdb: { auth_bind: false },
        cache: { size: CACHE.size, ttl: `${CACHE.ttlSeconds}s`, negative_ttl: `${CACHE.negativeTtlSeconds}s` },
      },
      ...(mainScript !== undefined ? { mainScript } : {}),
    });
    bench.directors.set(name, d);
    bench.targets.set(name, { name, host: d.host, port: d.imap ?? 0, pgid: d.pid });
    const runs = mainScript ?? (DIRECTOR_CLI_ARGS.includes('--import') ? 'TypeScript through tsx (run scripts/build first!)' : 'compiled dist/');
    process.stderr.write(`${name}: pid ${d.pid}, runs ${runs}\n`);
  }
  return bench;
}

function pinned(opts: Options): boolean {
  return canPin(opts.pin);
}

function pin(bench: Bench, opts: Options): void {
  if (pinned(opts)) pinProxies([...bench.targets.values()].map((t) => t.pgid), bench.cluster);
}

async function tearDown(bench: Bench): Promise<void> {
  for (const d of bench.directors.values()) await d.stop().catch(() => undefined);
  await bench.dovecot?.stop().catch(() => undefined);
  for (const f of bench.floors) await f.stop().catch(() => undefined);
  await bench.cluster.stop();
}

// ---------------------------------------------------------------- one run (as bench.ts)


interface CpuSplit {
  readonly user: number;
  readonly sys: number;
}

const TICK_MS = ((): number => {
  try {
    return 1000 / (Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100);
  } catch {
    return 10;
  }
})();

/** utime+cutime and stime+cstime of the group (ms), the same fields groupCpuMs sums. */
function groupCpuSplit(pgid: number): CpuSplit {
  let user = 0;
  let sys = 0;
  for (const pid of groupMembers(pgid)) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    user += (Number(f[11] ?? 0) + Number(f[13] ?? 0)) * TICK_MS;
    sys += (Number(f[12] ?? 0) + Number(f[14] ?? 0)) * TICK_MS;
  }
  return { user, sys };
}

interface RepMetrics {
  readonly ops: number;
  readonly errors: number;
  readonly opsPerSec: number;
  readonly p50Ms: number | null;
  readonly cpuMsPerOp: number | null;
  readonly cpuMsPerMB: number | null;
  /** Share of the proxy's CPU spent in the kernel (stime / (utime+stime)). */
  readonly sysShare: number | null;
  readonly errorSamples: readonly string[];
}

interface Hooks {
  /** Called once the load is connected (bulk: logged in), right before "go". */
  readonly started?: () => Promise<void> | void;
  /** Called when the load has reported its result. */
  readonly finished?: () => Promise<void> | void;
}

/** Director restarts during the run (a dead director would show as refused connections, not as CPU). */
let directorRestarts = 0;

async function reviveDirector(bench: Bench, opts: Options, name: TargetName): Promise<void> {
  if (!isDirectorTarget(name)) return;
  const d = bench.directors.get(name);
  if (d === undefined || isAlive(d.pid)) return;
  directorRestarts++;
  process.stderr.write(`director pid ${d.pid} is gone (log: ${d.logFile}); restarting it\n`);
  const fresh = await d.restart();
  bench.directors.set(name, fresh);
  bench.targets.set(name, { name, host: fresh.host, port: fresh.imap ?? 0, pgid: fresh.pid });
  // The fresh process warms up (JIT, auth cache) before it is measured.
  const t = bench.targets.get(name);
  if (t !== undefined) await runOnce(bench, t, 'login', opts, 1000);
}

async function runOnce(bench: Bench, listed: Target, scenario: Scenario, opts: Options, durationMs: number, hooks: Hooks = {}): Promise<RepMetrics> {
  await reviveDirector(bench, opts, listed.name);
  const target = bench.targets.get(listed.name) ?? listed;
  const creds = (u: ClusterUser): { name: string; password: string } => ({ name: u.name, password: u.password });
  const job: LoadJob = {
    scenario,
    protocol: 'imap',
    tls: false,
    host: target.host,
    port: target.port,
    caFile: bench.cluster.ca.cert,
    users: bench.users.map(creds),
    bulkUser: creds(bench.bulkUser),
    concurrency: opts.concurrency,
    durationMs,
    idleConnections: 0,
    timeoutMs: 15_000,
  };
  pin(bench, opts);
  const load = new LoadProcess(job, pinned(opts));
  await load.next('ready', 60_000);
  await hooks.started?.();
  const pgid = target.pgid;
  const cpu0 = pgid === undefined ? 0 : groupCpuMs(pgid);
  const split0 = pgid === undefined ? { user: 0, sys: 0 } : groupCpuSplit(pgid);
  load.send('go');
  const r = (await load.next('result', durationMs + 120_000)) as unknown as LoadResult;
  const cpu1 = pgid === undefined ? 0 : groupCpuMs(pgid);
  const split1 = pgid === undefined ? { user: 0, sys: 0 } : groupCpuSplit(pgid);
  await hooks.finished?.();
  await load.done();
  const cpu = cpu1 - cpu0;
  const sys = split1.sys - split0.sys;
  const user = split1.user - split0.user;
  const mb = r.bytes / 1e6;
  const proxied = pgid !== undefined;
  return {
    ops: r.ops,
    errors: r.errors,
    opsPerSec: r.elapsedMs > 0 ? (r.ops * 1000) / r.elapsedMs : 0,
    p50Ms: r.p50Ms,
    cpuMsPerOp: proxied && r.ops > 0 ? cpu / r.ops : null,
    cpuMsPerMB: proxied && scenario === 'bulk' && mb > 0 ? cpu / mb : null,
    sysShare: proxied && user + sys > 0 ? sys / (user + sys) : null,
    errorSamples: r.errorSamples,
  };
}

// ---------------------------------------------------------------- strace and perf

/** A tracer attached to every process (and, with -f, every thread) of a group; stopped with SIGINT by its PID. */
class Tracer {
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  readonly #stderr: Buffer[] = [];

  constructor(command: string, args: readonly string[]) {
    this.#child = spawn(command, [...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child.stderr?.on('data', (b: Buffer) => this.#stderr.push(b));
    this.#exited = new Promise((r) => this.#child.once('exit', () => r()));
  }

  get stderr(): string {
    return Buffer.concat(this.#stderr).toString('utf8');
  }

  async stop(): Promise<void> {
    this.#signal('SIGINT');
    await Promise.race([this.#exited, sleep(15_000)]);
    this.#signal('SIGKILL');
  }

  #signal(signal: NodeJS.Signals): void {
    const pid = this.#child.pid;
    if (pid === undefined || this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    try {
      process.kill(pid, signal);
    } catch {
      // exited meanwhile
    }
  }
}

interface SyscallCount {
  readonly name: string;
  readonly calls: number;
  readonly errors: number;
  /** Seconds strace attributes to the call (inflated by tracing; for ranking only). */
  readonly seconds: number;
}

/** strace -c's table: "% time seconds usecs/call calls [errors] syscall". */
function parseStraceSummary(text: string): SyscallCount[] {
  const out: SyscallCount[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim().split(/\s+/);
    if (t.length < 5 || !/^[\d.]+$/.test(t[0] ?? '') || t[t.length - 1] === 'total') continue;
    out.push({ name: t[t.length - 1] ?? '', calls: Number(t[3]), errors: t.length >= 6 ? Number(t[4]) : 0, seconds: Number(t[1]) });
  }
  return out.sort((a, b) => b.calls - a.calls);
}

interface PerfShare {
  readonly what: string;
  readonly percent: number;
}

interface TraceResult {
  readonly target: TargetName;
  readonly scenario: Scenario;
  readonly ops: number;
  readonly syscallsPerOp: number;
  readonly syscalls: readonly (SyscallCount & { perOp: number })[];
  readonly contextSwitchesPerOp: number | null;
  readonly byDso: readonly PerfShare[];
  readonly topKernel: readonly PerfShare[];
  readonly topUser: readonly PerfShare[];
}

function perfShares(text: string, limit: number): PerfShare[] {
  const out: PerfShare[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s+([\d.]+)%\s+(.+?)\s*$/.exec(line);
    if (m === null) continue;
    out.push({ percent: Number(m[1]), what: (m[2] ?? '').replace(/\s+/g, ' ').replace(/\[JIT\] tid \d+/, '[JIT]') });
    if (out.length >= limit) break;
  }
  return out;
}

async function perfReport(dataFile: string, sort: string, extra: readonly string[] = []): Promise<string> {
  const child = spawn('perf', ['report', '-i', dataFile, '--stdio', '--no-children', '--sort', sort, ...extra], { stdio: ['ignore', 'pipe', 'ignore'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => chunks.push(b));
  await new Promise((r) => child.once('exit', r));
  return Buffer.concat(chunks).toString('utf8');
}

const PERF = ['/usr/bin/perf', '/usr/local/bin/perf'].find((p) => existsSync(p));
const STRACE = ['/usr/bin/strace', '/bin/strace'].find((p) => existsSync(p));

/**
 * One login run under strace -c, then one under perf stat + perf record
 * (separately: strace slows the traced process a lot, perf hardly).
 */
async function traceTarget(bench: Bench, listed: Target, scenario: Scenario, opts: Options, dir: string): Promise<TraceResult | undefined> {
  await reviveDirector(bench, opts, listed.name);
  const target = bench.targets.get(listed.name) ?? listed;
  const pgid = target.pgid;
  if (pgid === undefined || STRACE === undefined) return undefined;
  const pids = (): string[] => groupMembers(pgid).flatMap((p) => ['-p', String(p)]);
  const straceFile = join(dir, `strace-${target.name}-${scenario}.txt`);
  let tracer: Tracer | undefined;
  const s = await runOnce(bench, target, scenario, opts, opts.traceMs, {
    started: async () => {
      tracer = new Tracer(STRACE, ['-c', '-f', '-qq', '-o', straceFile, ...pids()]);
      // Attaching to every thread takes a moment; logins before that are not counted.
      await sleep(500);
    },
    finished: async () => tracer?.stop(),
  });
  const counts = parseStraceSummary(await readFile(straceFile, 'utf8').catch(() => ''));
  if (counts.length === 0) process.stderr.write(`strace ${target.name}: no counts; ${tracer?.stderr.slice(-500) ?? ''}\n`);
  const ops = Math.max(1, s.ops);
  const total = counts.reduce((a, c) => a + c.calls, 0);

  let contextSwitchesPerOp: number | null = null;
  let byDso: PerfShare[] = [];
  let topKernel: PerfShare[] = [];
  let topUser: PerfShare[] = [];
  if (PERF !== undefined) {
    const statFile = join(dir, `perf-stat-${target.name}-${scenario}.csv`);
    const dataFile = join(dir, `perf-${target.name}-${scenario}.data`);
    let stat: Tracer | undefined;
    let rec: Tracer | undefined;
    const p = await runOnce(bench, target, scenario, opts, opts.traceMs, {
      started: async () => {
        const ids = groupMembers(pgid).join(',');
        stat = new Tracer(PERF, ['stat', '-x', ',', '-e', 'task-clock,context-switches,cpu-migrations,page-faults', '-o', statFile, '-p', ids]);
        rec = new Tracer(PERF, ['record', '-q', '-e', 'cpu-clock', '-F', '1999', '-o', dataFile, '-p', ids]);
        await sleep(300);
      },
      finished: async () => {
        await stat?.stop();
        await rec?.stop();
      },
    });
    const csv = await readFile(statFile, 'utf8').catch(() => '');
    const cs = /^([\d.]+),[^,]*,context-switches/m.exec(csv);
    if (cs !== null && p.ops > 0) contextSwitchesPerOp = Number(cs[1]) / p.ops;
    byDso = perfShares(await perfReport(dataFile, 'dso'), 8);
    topKernel = perfShares(await perfReport(dataFile, 'sym', ['--dsos', '[kernel.kallsyms]', '--percentage', 'relative']), 12);
    topUser = perfShares(await perfReport(dataFile, 'dso,sym'), 15);
  }
  return {
    target: target.name,
    scenario,
    ops: s.ops,
    syscallsPerOp: total / ops,
    syscalls: counts.slice(0, 14).map((c) => ({ ...c, perOp: c.calls / ops })),
    contextSwitchesPerOp,
    byDso,
    topKernel,
    topUser,
  };
}

// ---------------------------------------------------------------- summary

function cellOf(values: ReadonlyArray<number | null>): string {
  return cell(summarize(values), values.length);
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string => `| ${r.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const dir = await mkdtemp(join(tmpdir(), 'md-floor-'));
  const started = new Date();
  const loadavgAtStart = (await readFile('/proc/loadavg', 'utf8')).trim();
  const bench = await setUp(opts, dir);
  const results = new Map<string, RepMetrics[]>();
  const traces: TraceResult[] = [];
  const idleCpu: Record<string, number> = {};
  try {
    const targets = opts.targets.map((t) => bench.targets.get(t)).filter((t): t is Target => t !== undefined);
    pin(bench, opts);
    const before = targets.map((t) => (t.pgid === undefined ? 0 : groupCpuMs(t.pgid)));
    await sleep(IDLE_SAMPLE_MS);
    targets.forEach((t, i) => {
      if (t.pgid !== undefined) idleCpu[t.name] = ((groupCpuMs(t.pgid) - (before[i] ?? 0)) * 1000) / IDLE_SAMPLE_MS;
    });
    process.stderr.write(`idle CPU ms/s: ${JSON.stringify(idleCpu)}\n`);
    // V8 needs a few seconds of load to optimize; 1 s left the first repetition up to 2x (bench.ts).
    for (const t of targets) await runOnce(bench, t, 'login', opts, WARM_UP_MS);
    for (const scenario of opts.scenarios) {
      for (let rep = 0; rep < opts.reps; rep++) {
        for (const t of rotated(targets, rep)) {
          const m = await runOnce(bench, t, scenario, opts, opts.durationMs);
          const key = `${scenario}/${t.name}`;
          results.set(key, [...(results.get(key) ?? []), m]);
          const errs = m.errors > 0 ? `  errors ${m.errors}: ${m.errorSamples.join(' | ')}` : '';
          process.stderr.write(
            `${scenario} rep ${rep + 1} ${t.name}: ${fmt(m.opsPerSec)} ops/s cpu/op ${fmt(m.cpuMsPerOp)} cpu/MB ${fmt(m.cpuMsPerMB)} sys ${m.sysShare === null ? 'n/a' : `${(m.sysShare * 100).toFixed(0)}%`}  load ${(await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')}${errs}\n`,
          );
        }
      }
    }
    if (opts.trace) {
      for (const scenario of opts.scenarios) {
        for (const t of targets) {
          if (t.pgid === undefined) continue;
          const tr = await traceTarget(bench, t, scenario, opts, dir);
          if (tr === undefined) continue;
          traces.push(tr);
          process.stderr.write(`trace ${scenario} ${t.name}: ${fmt(tr.syscallsPerOp)} syscalls/op, ${fmt(tr.contextSwitchesPerOp)} cs/op, dso ${tr.byDso.map((d) => `${d.what} ${d.percent}%`).join(', ')}\n`);
        }
      }
    }
  } finally {
    await tearDown(bench);
    await rm(dir, { recursive: true, force: true });
  }

  const names = opts.targets;
  const get = (scenario: Scenario, t: TargetName): RepMetrics[] => results.get(`${scenario}/${t}`) ?? [];
  const rows: string[][] = [];
  for (const scenario of opts.scenarios) {
    const metric = scenario === 'login' ? 'CPU ms/login' : 'CPU ms/MB';
    rows.push([`imap ${scenario} c=${opts.concurrency}`, metric, ...names.map((t) => cellOf(get(scenario, t).map((m) => (scenario === 'login' ? m.cpuMsPerOp : m.cpuMsPerMB))))]);
    rows.push(['', 'kernel share', ...names.map((t) => cellOf(get(scenario, t).map((m) => (m.sysShare === null ? null : m.sysShare * 100))))]);
    rows.push(['', scenario === 'login' ? 'logins/s' : 'fetches/s', ...names.map((t) => cellOf(get(scenario, t).map((m) => m.opsPerSec)))]);
    rows.push(['', 'errors', ...names.map((t) => cellOf(get(scenario, t).map((m) => m.errors)))]);
  }
  const main = table(['case', 'metric', ...names], rows);
  const traceRows = traces.map((tr) => [
    tr.scenario,
    tr.target,
    fmt(tr.syscallsPerOp),
    tr.syscalls.slice(0, 8).map((c) => `${c.name} ${fmt(c.perOp)}`).join(', '),
    fmt(tr.contextSwitchesPerOp),
    tr.byDso.slice(0, 4).map((d) => `${d.what} ${d.percent.toFixed(0)}%`).join(', '),
  ]);
  const traceTable = traces.length === 0 ? '' : `\n\n${table(['scenario', 'target', 'syscalls/op', 'top syscalls per op', 'ctx switches/op', 'CPU by object (perf)'], traceRows)}`;
  const loadavgAtEnd = (await readFile('/proc/loadavg', 'utf8')).trim();
  const out = resolve(opts.out ?? join(REPO_ROOT, '.bench', `floor-${started.toISOString().replace(/[:.]/g, '-')}.json`));
  await mkdir(join(out, '..'), { recursive: true });
  const meta = {
    started: started.toISOString(),
    finished: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '',
    loadavgAtStart,
    loadavgAtEnd,
    pinned: pinned(opts),
    idleCpuMsPerSecond: idleCpu,
    directorRestarts,
    options: opts,
  };
  await writeFile(out, `${JSON.stringify({ meta, table: main, results: Object.fromEntries(results), traces }, null, 2)}\n`);
  process.stdout.write(
    `${main}${traceTable}\n\nmedian [min–max] of ${opts.reps} run(s) of ${opts.durationMs / 1000} s; idle CPU (ms/s): ${Object.entries(idleCpu)
      .map(([t, v]) => `${t} ${fmt(v)}`)
      .join(', ')}; director restarts: ${directorRestarts}\n${pinned(opts) ? 'pinned: proxies on core 0, the rest on core 1' : 'not pinned'}; load average at start ${loadavgAtStart}, at end ${loadavgAtEnd}\nJSON: ${out}\n`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof UsageError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
