/**
 * Idle-session memory benchmark ("≤ 6 KB per idle proxied plain
 * connection, ≤ 40 KB with TLS on the client side; 100,000 idle IMAP
 * sessions held by one director"). Run through scripts/bench-idle, which
 * raises the open-file limit as far as it may. Two roles in one file:
 *
 * - orchestrator (default): starts the stand-in backends
 *   (test/bench/standin-backend.ts, each on its own 127.0.1.x addresses),
 *   one director (passwd-file passdb, ring of every stand-in address, log
 *   level warn, `director.workers` when one process cannot hold N for lack
 *   of descriptors) with a small hook loaded through NODE_OPTIONS=--import
 *   (inherited by the cluster workers) that reports process.memoryUsage()
 *   after a full GC on SIGUSR2 and writes a heap snapshot on SIGWINCH; warms
 *   the director up, measures its whole process tree, starts the load
 *   processes, measures again, checks the primary sees every session
 *   (/metrics and `who --json`), prints KB per session.
 * - `--load`: one load process: n connections with bounded concurrency,
 *   source addresses spread over 127.0.2.x, each LOGIN then IDLE until
 *   "+ idling", then held; "status" on stdin reports how many are still
 *   open, end of stdin releases them.
 *
 * Every process (director, stand-ins, loads) stays under its own open-file
 * limit: the director needs 2 descriptors per session, a stand-in and a load
 * process 1 per connection.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createCa } from '../harness/certs.js';
import { DIRECTOR_CLI_ARGS, REPO_ROOT, startDirector, TSX_LOADER, type DirectorBackend, type DirectorHandle } from '../harness/director.js';
import { freePort } from '../harness/ports.js';
import { spawnLogged, waitForPort, type ProcessHandle } from '../harness/process.js';

const THIS_FILE = fileURLToPath(import.meta.url);
const PASSWORD = 'idle-pass';
const SESSION_TIMEOUT_MS = 120_000;

// ---------------------------------------------------------------- one session

export interface SessionTarget {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly ca: Buffer | undefined;
}

class SessionError extends Error {
  override readonly name = 'SessionError';
}

/** Connect from `localAddress`, LOGIN, IDLE; resolves with the socket once "+ idling" (any `+`) arrived. */
export function openIdleSession(target: SessionTarget, localAddress: string, user: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const raw = netConnect({ host: target.host, port: target.port, localAddress });
    // tls.connect has no localAddress: it runs over our own TCP socket.
    const socket = target.tls ? tlsConnect({ socket: raw, host: target.host, ...(target.ca === undefined ? {} : { ca: target.ca }) }) : raw;
    let stage = 0;
    let buffered = '';
    const fail = (why: string): void => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.on('error', ignore);
      raw.on('error', ignore);
      socket.destroy();
      raw.destroy();
      reject(new SessionError(why));
    };
    const timer = setTimeout(() => fail(`timeout in stage ${['greeting', 'login', 'idle'][stage] ?? stage}`), SESSION_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('latin1');
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl).replace(/\r$/, '');
        buffered = buffered.slice(nl + 1);
        if (stage === 0) {
          if (!line.startsWith('* OK')) return fail(`greeting: ${line.slice(0, 80)}`);
          stage = 1;
          socket.write(`a LOGIN ${user} ${PASSWORD}\r\n`);
        } else if (stage === 1) {
          if (!line.startsWith('a ')) continue;
          if (!line.startsWith('a OK')) return fail(`login: ${line.slice(0, 80)}`);
          stage = 2;
          socket.write('b IDLE\r\n');
        } else {
          if (line.startsWith('b ')) return fail(`idle: ${line.slice(0, 80)}`);
          if (!line.startsWith('+')) continue;
          clearTimeout(timer);
          socket.removeListener('data', onData);
          socket.removeListener('error', onError);
          socket.removeListener('close', onClose);
          socket.on('error', ignore);
          socket.on('close', onHeldClose);
          resolve(socket);
          return;
        }
      }
    };
    const onError = (err: Error): void => fail(err.message);
    const onClose = (): void => fail(`closed in stage ${stage}`);
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
  });
}

function ignore(): void {
  // errors of held or abandoned sockets are counted through 'close'
}

let heldClosed = 0;
function onHeldClose(): void {
  heldClosed++;
}

export function sourceAddress(i: number, sources: number, thirdOctet = 2): string {
  return `127.0.${thirdOctet}.${(i % sources) + 1}`;
}

// ---------------------------------------------------------------- load process

interface LoadResult {
  readonly type: 'holding';
  readonly requested: number;
  readonly up: number;
  readonly errors: number;
  readonly ms: number;
  /** Sessions that reached "+ idling" and were closed by the director before all were open. */
  readonly closedWhileOpening: number;
  readonly errorSamples: Record<string, number>;
}

interface LoadStatus {
  readonly type: 'status';
  readonly held: number;
  readonly closedWhileHeld: number;
}

async function runLoad(args: { host: string; port: number; tls: boolean; ca: string | undefined; n: number; concurrency: number; sources: number; userOffset: number; label: string }): Promise<void> {
  const target: SessionTarget = { host: args.host, port: args.port, tls: args.tls, ca: args.ca === undefined ? undefined : readFileSync(args.ca) };
  const held: Socket[] = [];
  const samples = new Map<string, number>();
  let errors = 0;
  let next = 0;
  const started = Date.now();
  const progress = setInterval(() => {
    process.stderr.write(
      `idle-load ${args.label}: ${held.length}/${args.n} up, ${heldClosed} of them closed again, ${errors} errors, ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
    );
  }, 10_000);
  const lane = async (): Promise<void> => {
    while (next < args.n) {
      const i = next++;
      try {
        held.push(await openIdleSession(target, sourceAddress(i, args.sources), `u${i + args.userOffset}`));
      } catch (err: unknown) {
        errors++;
        // Group messages by their shape, not by the numbers in them.
        const key = (err instanceof Error ? err.message : String(err)).replace(/\d+/g, '#');
        samples.set(key, (samples.get(key) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(args.concurrency, args.n) }, lane));
  clearInterval(progress);
  const result: LoadResult = { type: 'holding', requested: args.n, up: held.length, errors, ms: Date.now() - started, closedWhileOpening: heldClosed, errorSamples: Object.fromEntries(samples) };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // Hold until the orchestrator closes our stdin (or kills us); "status" asks how many are still open.
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() !== 'status') return;
    const status: LoadStatus = { type: 'status', held: held.length - heldClosed, closedWhileHeld: heldClosed };
    process.stdout.write(`${JSON.stringify(status)}\n`);
  });
  lines.on('close', () => {
    process.stderr.write(`idle-load ${args.label}: releasing ${held.length} sessions (${heldClosed} had closed while held)\n`);
    for (const socket of held) socket.destroy();
    process.exit(0);
  });
}

// ---------------------------------------------------------------- measuring the director's processes

interface MemoryUsage {
  readonly loopDelayMaxMs: number;
  readonly loopDelayP99Ms: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly rss: number;
}

interface ProcessSample extends MemoryUsage {
  readonly pid: number;
  readonly rssKb: number;
  readonly fds: number;
}

/** The director's process tree at one moment: the primary first, then its workers. */
interface TreeSample {
  readonly primary: ProcessSample;
  readonly workers: readonly ProcessSample[];
}

/**
 * Loaded into every director process (NODE_OPTIONS is inherited by cluster
 * workers): full GC then memory figures to MEM_OUT-<pid>.json on SIGUSR2,
 * with the event loop's longest stall since the previous SIGUSR2 (a primary
 * that stalls past the probe timeout sees every backend down);
 * full GC and heap snapshot SNAPSHOT_OUT-<pid>-N on the Nth SIGWINCH.
 */
const HOOK = `
import { renameSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
setFlagsFromString('--expose-gc');
const loop = monitorEventLoopDelay({ resolution: 20 });
loop.enable();
const gc = runInNewContext('gc');
const memOut = process.env.MD_IDLE_MEM_OUT + '-' + process.pid + '.json';
const snapOut = process.env.MD_IDLE_SNAPSHOT_OUT + '-' + process.pid;
process.on('SIGUSR2', () => {
  const lag = { loopDelayMaxMs: loop.max / 1e6, loopDelayP99Ms: loop.percentile(99) / 1e6 };
  loop.reset();
  gc();
  writeFileSync(memOut + '.tmp', JSON.stringify({ ...process.memoryUsage(), ...lag }));
  renameSync(memOut + '.tmp', memOut);
});
let snapshots = 0;
process.on('SIGWINCH', () => {
  gc();
  const out = snapOut + '-' + ++snapshots + '.heapsnapshot';
  writeHeapSnapshot(out + '.tmp');
  renameSync(out + '.tmp', out);
});
`;

function vmRssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** The cluster workers of a director's primary (not, say, tsx's esbuild service, which has no hook). */
function workerPids(pid: number): number[] {
  return childPids(pid).filter((child) => {
    try {
      return readFileSync(`/proc/${child}/environ`, 'latin1').split('\0').some((kv) => kv.startsWith('MAIL_DIRECTOR_WORKER='));
    } catch {
      return false;
    }
  });
}

/** Direct children of `pid`. */
function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) out.push(Number(name));
  }
  return out.sort((a, b) => a - b);
}

async function waitForFile(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${timeoutMs} ms`);
    await sleep(50);
  }
}

async function sampleProcess(pid: number, memOut: string): Promise<ProcessSample> {
  const file = `${memOut}-${pid}.json`;
  await rm(file, { force: true });
  process.kill(pid, 'SIGUSR2');
  await waitForFile(file, 120_000);
  const mem = JSON.parse(await readFile(file, 'utf8')) as MemoryUsage;
  return { ...mem, pid, rssKb: vmRssKb(pid), fds: fdCount(pid) };
}

/** One process after the other: a full GC in all of them at once would only make them queue for the 2 cores. */
async function sampleTree(primary: number, memOut: string): Promise<TreeSample> {
  const first = await sampleProcess(primary, memOut);
  const workers: ProcessSample[] = [];
  for (const pid of workerPids(primary)) workers.push(await sampleProcess(pid, memOut));
  return { primary: first, workers };
}

function sumOf(samples: readonly ProcessSample[], pick: (s: ProcessSample) => number): number {
  return samples.reduce((total, s) => total + pick(s), 0);
}

function openFileLimit(): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return m === null || m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1]);
}

/** JSON lines from a child's stdout, one at a time. */
class LineQueue {
  readonly #lines: string[] = [];
  readonly #waiters: Array<{ resolve: (line: string) => void; reject: (err: Error) => void }> = [];
  #ended: Error | undefined;

  constructor(child: ChildProcess, what: string) {
    if (child.stdout === null) throw new Error(`${what}: no stdout`);
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const waiter = this.#waiters.shift();
      if (waiter === undefined) this.#lines.push(line);
      else waiter.resolve(line);
    });
    child.once('exit', (code, signal) => {
      this.#ended = new Error(`${what} exited (code ${code}, signal ${signal})`);
      for (const w of this.#waiters.splice(0)) w.reject(this.#ended);
    });
  }

  next<T>(): Promise<T> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(JSON.parse(line) as T);
    if (this.#ended !== undefined) return Promise.reject(this.#ended);
    return new Promise<string>((resolve, reject) => this.#waiters.push({ resolve, reject })).then((l) => JSON.parse(l) as T);
  }
}

interface LoadProcess {
  readonly child: ChildProcess;
  readonly lines: LineQueue;
  readonly n: number;
}

/** Sum of `maildirector_sessions` on the primary's /metrics. */
async function metricsSessions(address: string): Promise<number> {
  const res = await fetch(`http://${address}/metrics`);
  const text = await res.text();
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^maildirector_sessions(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m) total += Number(m[1]);
  }
  return total;
}

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runCli(args: readonly string[], timeoutMs: number): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...DIRECTOR_CLI_ARGS, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

interface WhoCount {
  /** Distinct session ids the primary listed. */
  readonly sessions: number | null;
  readonly how: string;
  readonly ms: number;
  readonly error?: string;
}

/**
 * `mail-director who --json` against the primary. At 100,000 sessions the
 * whole list may be larger than the gRPC client's 4 MB receive limit; then
 * the users are counted in ten slices by mask (u0*..u9*: every user name
 * starts with u and a digit), and the error of the whole list is kept.
 */
async function whoCount(grpc: string): Promise<WhoCount> {
  const started = Date.now();
  const count = async (mask: string[]): Promise<{ ids: string[] } | { error: string }> => {
    const r = await runCli(['who', ...mask, '--json', '--director', grpc], 300_000);
    if (r.code !== 0) return { error: `exit ${r.code}: ${(r.stderr || r.stdout).trim().slice(0, 300)}` };
    const parsed = JSON.parse(r.stdout) as { sessions: Array<{ session_id: string }> };
    return { ids: parsed.sessions.map((s) => s.session_id) };
  };
  const whole = await count([]);
  if ('ids' in whole) return { sessions: new Set(whole.ids).size, how: 'who --json', ms: Date.now() - started };
  const ids = new Set<string>();
  for (let digit = 0; digit <= 9; digit++) {
    const part = await count([`u${digit}*`]);
    if ('error' in part) return { sessions: null, how: `who --json, then who 'u${digit}*' --json`, ms: Date.now() - started, error: `${whole.error}; slice: ${part.error}` };
    for (const id of part.ids) ids.add(id);
  }
  return { sessions: ids.size, how: "who 'u0*' … 'u9*' --json (the whole list failed)", ms: Date.now() - started, error: whole.error };
}

interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly count: number;
  readonly first: string;
}

/** The director's warnings and errors, counted by message (a backend marked down, sessions ended, a worker died). */
async function summariseLog(file: string): Promise<LogLine[]> {
  const byMsg = new Map<string, { level: string; msg: string; count: number; first: string }>();
  const text = existsSync(file) ? await readFile(file, 'utf8') : '';
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: { level?: unknown; msg?: unknown; time?: unknown };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    const level = String(entry.level);
    const msg = String(entry.msg);
    const key = `${level} ${msg}`;
    const slot = byMsg.get(key) ?? { level, msg, count: 0, first: String(entry.time) };
    slot.count++;
    byMsg.set(key, slot);
  }
  return [...byMsg.values()].sort((a, b) => b.count - a.count);
}

const kb = (bytes: number): number => bytes / 1024;
const mb = (kib: number): string => fmt(kib / 1024);
const fmt = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

/** How many sessions one director process can hold: 2 descriptors each, some kept for listeners, IPC, logs. */
function sessionsPerProcess(limit: number): number {
  return Math.floor((limit - 512) / 2);
}

/** Sessions per worker the default aims at: well under the ~9,700 a 20,000-descriptor process holds, as round robin is not exact. */
const SESSIONS_PER_WORKER = 8000;
/** Connections per stand-in and per load process: under a 20,000-descriptor limit with room for the ring's uneven spread. */
const CONNECTIONS_PER_STANDIN = 12_000;
const CONNECTIONS_PER_LOAD = 15_000;

interface Plan {
  readonly n: number;
  readonly workers: number;
  readonly workersWhy: string;
  readonly standins: number;
  readonly addressesPerStandin: number;
  readonly loads: number;
}

function plan(opts: Options, limit: number): Plan {
  const perProcess = sessionsPerProcess(limit);
  let n = opts.n;
  let workers: number;
  let workersWhy: string;
  if (opts.workers !== undefined) {
    workers = opts.workers;
    workersWhy = '--workers';
  } else if (n <= perProcess) {
    workers = 1;
    workersWhy = `N fits one process (open-file limit ${limit}, 2 descriptors per session: ~${perProcess} sessions)`;
  } else {
    workers = Math.min(64, Math.ceil(n / SESSIONS_PER_WORKER));
    workersWhy =
      `open-file limit ${limit} per process allows ~${perProcess} sessions at 2 descriptors each; ` +
      `ceil(N / ${SESSIONS_PER_WORKER}) workers keep each near ${Math.ceil(n / workers)}, with room for round robin's uneven spread`;
  }
  const capacity = workers * perProcess;
  if (n > capacity) {
    process.stderr.write(
      `bench-idle: WARNING: ${workers} director process(es) with open-file limit ${limit} hold at most ~${capacity} sessions` +
        ` (2 descriptors each); N is lowered from ${n} to ${capacity} (use --workers, or raise the hard limit)\n`,
    );
    n = capacity;
  }
  const perChild = limit - 1000;
  const standins = opts.standins ?? Math.max(1, Math.ceil(n / Math.min(CONNECTIONS_PER_STANDIN, perChild)));
  const loads = opts.loads ?? Math.max(1, Math.ceil(n / Math.min(CONNECTIONS_PER_LOAD, perChild)));
  if (standins * opts.backends > 254) throw new Error(`${standins} stand-ins × ${opts.backends} addresses do not fit in 127.0.1.1-254 (lower --backends)`);
  return { n, workers, workersWhy, standins, addressesPerStandin: opts.backends, loads };
}

interface Options {
  readonly n: number;
  readonly tls: boolean;
  readonly concurrency: number;
  readonly backends: number;
  readonly sources: number;
  readonly workers: number | undefined;
  readonly standins: number | undefined;
  readonly loads: number | undefined;
  /** ring.probe overrides ("10s", 5); undefined keeps the director's defaults. */
  readonly probeTimeout: string | undefined;
  readonly probeFailures: number | undefined;
  readonly snapshot: boolean;
  readonly who: boolean;
  readonly out: string | undefined;
  readonly keep: boolean;
}

async function runOrchestrator(opts: Options): Promise<void> {
  const limit = openFileLimit();
  const p = plan(opts, limit);
  const n = p.n;
  process.stderr.write(
    `bench-idle: N = ${n}; director workers: ${p.workers === 1 ? 'none (one process)' : p.workers} (${p.workersWhy}); ` +
      `${p.standins} stand-in process(es) × ${p.addressesPerStandin} addresses; ${p.loads} load process(es)\n`,
  );
  const probe =
    opts.probeTimeout === undefined && opts.probeFailures === undefined
      ? undefined
      : { ...(opts.probeTimeout === undefined ? {} : { timeout: opts.probeTimeout }), ...(opts.probeFailures === undefined ? {} : { failures: opts.probeFailures }) };
  if (probe !== undefined) process.stderr.write(`bench-idle: ring.probe ${JSON.stringify(probe)} (the director's defaults: timeout 1s, failures 2)\n`);
  const dir = await mkdtemp(join(tmpdir(), 'md-bench-idle-'));
  const standins: ProcessHandle[] = [];
  let director: DirectorHandle | undefined;
  const loads: LoadProcess[] = [];
  let treePids: number[] = [];
  try {
    const ca = await createCa(join(dir, 'ca'), 'idle-ca');
    // Each stand-in listens on its own addresses (one port per stand-in); the ring holds every address.
    const backends: DirectorBackend[] = [];
    for (let s = 0; s < p.standins; s++) {
      const hosts = Array.from({ length: p.addressesPerStandin }, (_, j) => `127.0.1.${s * p.addressesPerStandin + j + 1}`);
      const port = await freePort(hosts[0]);
      const standin = spawnLogged({
        name: `standin ${s + 1}`,
        command: process.execPath,
        args: ['--import', TSX_LOADER, join(REPO_ROOT, 'test/bench/standin-backend.ts'), '--hosts', hosts.join(','), '--port', String(port)],
        logFile: join(dir, `standin-${s + 1}.log`),
        cwd: REPO_ROOT,
      });
      standins.push(standin);
      for (const host of hosts) {
        await waitForPort(host, port, 20_000, { alive: standin.alive, what: `standin ${s + 1}`, logFile: standin.logFile });
        backends.push({ id: `s${backends.length + 1}`, host, imap: port, pop3: port });
      }
    }

    // Distinct users, routed by the ring over the stand-ins' addresses.
    const users = n + 1000;
    const lines: string[] = [];
    for (let i = 0; i < users; i++) lines.push(`u${i}:{PLAIN}${PASSWORD}::::::`);
    const usersFile = join(dir, 'users');
    await writeFile(usersFile, `${lines.join('\n')}\n`);

    const hookFile = join(dir, 'memory-hook.mjs');
    await writeFile(hookFile, HOOK);
    const memOut = join(dir, 'memory');
    const snapshotBase = join(dir, `director-${opts.tls ? 'tls' : 'plain'}-${n}`);
    const snapshotCount = new Map<number, number>();
    const takeSnapshot = async (pid: number): Promise<string> => {
      const index = (snapshotCount.get(pid) ?? 0) + 1;
      snapshotCount.set(pid, index);
      const file = `${snapshotBase}-${pid}-${index}.heapsnapshot`;
      process.kill(pid, 'SIGWINCH');
      await waitForFile(file, 600_000);
      return file;
    };
    const savedEnv = { ...process.env };
    process.env['NODE_OPTIONS'] = `${savedEnv['NODE_OPTIONS'] ?? ''} --import ${hookFile}`.trim();
    process.env['MD_IDLE_MEM_OUT'] = memOut;
    process.env['MD_IDLE_SNAPSHOT_OUT'] = snapshotBase;
    try {
      director = await startDirector({
        dir: join(dir, 'director'),
        id: 'idle',
        ca,
        ldap: { url: 'ldap://127.0.0.1:1', bindDn: 'cn=unused', bindPassword: 'unused', peopleDn: 'dc=unused' },
        backends,
        listen: [opts.tls ? 'imaps' : 'imap', 'grpc', 'http'],
        logLevel: 'warn',
        readyTimeoutMs: 120_000,
        overrides: {
          ...(p.workers > 1 ? { director: { workers: p.workers } } : {}),
          ...(probe === undefined ? {} : { ring: { probe } }),
          passdb: {
            driver: 'passwd-file',
            path: usersFile,
            ...Object.fromEntries(['uris', 'bind_dn', 'bind_password', 'base', 'scope', 'filter', 'auth_bind', 'password_attribute', 'fields', 'timeout', 'connect_timeout'].map((k) => [k, null])),
          },
        },
      });
    } finally {
      process.env = savedEnv;
    }
    const primaryPid = director.pid;
    const port = (opts.tls ? director.imaps : director.imap) as number;
    const grpcAddress = director.address('grpc') as string;
    const httpAddress = director.address('http') as string;
    const target: SessionTarget = { host: director.host, port, tls: opts.tls, ca: readFileSync(ca.cert) };

    // Warm-up: the ring needs its first probes, the passwd-file is read on the
    // first login (in every worker), and the JIT should have seen the login
    // path; then let it all close.
    const warmupDeadline = Date.now() + 60_000;
    for (;;) {
      try {
        (await openIdleSession(target, '127.0.3.1', 'u0')).destroy();
        break;
      } catch (err: unknown) {
        if (Date.now() > warmupDeadline) throw err;
        await sleep(250);
      }
    }
    const warmups = 200 * p.workers;
    const warm = await Promise.allSettled(Array.from({ length: warmups }, (_, i) => openIdleSession(target, sourceAddress(i, 4, 3), `u${n + (i % 1000)}`)));
    for (const r of warm) if (r.status === 'fulfilled') r.value.destroy();
    await sleep(3000);

    const before = await sampleTree(primaryPid, memOut);
    treePids = [before.primary.pid, ...before.workers.map((w) => w.pid)];
    const snapshotsBefore = opts.snapshot ? [await takeSnapshot(primaryPid), ...(before.workers[0] ? [await takeSnapshot(before.workers[0].pid)] : [])] : undefined;
    const standinFdsBefore = standins.map((s) => fdCount(s.pid));
    process.stderr.write(
      `bench-idle: director ready (primary ${primaryPid}, ${before.workers.length} workers; tree RSS ${mb(before.primary.rssKb + sumOf(before.workers, (w) => w.rssKb))} MB); ` +
        `opening ${n} ${opts.tls ? 'TLS' : 'plain'} sessions from ${p.loads} load process(es)\n`,
    );

    const startedAt = Date.now();
    const perLoad = Math.ceil(n / p.loads);
    for (let l = 0; l < p.loads; l++) {
      const count = Math.min(perLoad, n - l * perLoad);
      if (count <= 0) break;
      const child = spawn(
        process.execPath,
        [
          '--max-old-space-size=8192',
          '--import',
          TSX_LOADER,
          THIS_FILE,
          '--load',
          '--label',
          `${l + 1}/${p.loads}`,
          '--host',
          director.host,
          '--port',
          String(port),
          ...(opts.tls ? ['--tls', '--ca', ca.cert] : []),
          '--n',
          String(count),
          '--user-offset',
          String(l * perLoad),
          '--concurrency',
          String(Math.max(1, Math.ceil(opts.concurrency / p.loads))),
          '--sources',
          String(opts.sources),
        ],
        { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
      );
      loads.push({ child, lines: new LineQueue(child, `load ${l + 1}`), n: count });
    }
    const results = await Promise.all(loads.map((l) => l.lines.next<LoadResult>()));
    const openMs = Date.now() - startedAt;
    await sleep(3000);
    const after = await sampleTree(primaryPid, memOut);
    const standinConnections = standins.map((s, i) => fdCount(s.pid) - (standinFdsBefore[i] ?? 0));
    const primarySees = await metricsSessions(httpAddress);
    const who = opts.who ? await whoCount(grpcAddress) : undefined;
    // Still open after the checks?
    for (const l of loads) l.child.stdin?.write('status\n');
    const statuses = await Promise.all(loads.map((l) => l.lines.next<LoadStatus>()));
    const snapshotsAfter = opts.snapshot ? [await takeSnapshot(primaryPid), ...(after.workers[0] ? [await takeSnapshot(after.workers[0].pid)] : [])] : undefined;

    const logSummary = await summariseLog(director.logFile);
    const up = results.reduce((t, r) => t + r.up, 0);
    const closedWhileOpening = results.reduce((t, r) => t + r.closedWhileOpening, 0);
    const errors = results.reduce((t, r) => t + r.errors, 0);
    const errorSamples: Record<string, number> = {};
    for (const r of results) for (const [k, v] of Object.entries(r.errorSamples)) errorSamples[k] = (errorSamples[k] ?? 0) + v;
    const held = statuses.reduce((t, s) => t + s.held, 0);
    const closedWhileHeld = statuses.reduce((t, s) => t + s.closedWhileHeld, 0);

    const beforePids = new Set(before.workers.map((w) => w.pid));
    const sameWorkers = after.workers.length === before.workers.length && after.workers.every((w) => beforePids.has(w.pid));
    if (!sameWorkers) {
      process.stderr.write(`bench-idle: WARNING: the director's workers changed during the run: ${[...beforePids].join(',')} → ${after.workers.map((w) => w.pid).join(',')}\n`);
    }
    const all = (t: TreeSample): ProcessSample[] => [t.primary, ...t.workers];
    const per = (a: number, b: number): number => (up > 0 ? (b - a) / up : Number.NaN);
    const perKb = (pick: (s: ProcessSample) => number, which: (t: TreeSample) => readonly ProcessSample[]): number =>
      per(sumOf(which(before), pick), sumOf(which(after), pick));
    const workersOf = (t: TreeSample): readonly ProcessSample[] => t.workers;
    const primaryOf = (t: TreeSample): readonly ProcessSample[] => [t.primary];
    const workerSessions = after.workers.map((w) => {
      const was = before.workers.find((b) => b.pid === w.pid);
      return was === undefined ? Number.NaN : (w.fds - was.fds) / 2;
    });
    const figures = (which: (t: TreeSample) => readonly ProcessSample[]) => ({
      rssKbBefore: sumOf(which(before), (s) => s.rssKb),
      rssKbAfter: sumOf(which(after), (s) => s.rssKb),
      rss: perKb((s) => s.rssKb, which),
      heapUsed: kb(perKb((s) => s.heapUsed, which)),
      heapTotal: kb(perKb((s) => s.heapTotal, which)),
      external: kb(perKb((s) => s.external, which)),
      arrayBuffers: kb(perKb((s) => s.arrayBuffers, which)),
      // RSS outside the V8 heap (native sockets, TLS state, allocator).
      rssMinusHeapTotal: perKb((s) => s.rssKb - kb(s.heapTotal), which),
    });
    const result = {
      when: new Date().toISOString(),
      node: process.version,
      directorCli: DIRECTOR_CLI_ARGS.join(' '),
      mode: opts.tls ? 'tls' : 'plain',
      requested: opts.n,
      n,
      openFileLimit: limit,
      workers: p.workers,
      workersWhy: p.workersWhy,
      standins: p.standins,
      ringBackends: p.standins * p.addressesPerStandin,
      loads: p.loads,
      up,
      errors,
      errorSamples,
      openSeconds: openMs / 1000,
      openPerSecond: up / (openMs / 1000),
      loadSeconds: results.map((r) => r.ms / 1000),
      heldAtEnd: held,
      closedWhileOpening,
      closedWhileHeld,
      probe: probe ?? 'defaults',
      directorLog: logSummary,
      loopDelayMaxMs: { primary: after.primary.loopDelayMaxMs, workers: Math.max(0, ...after.workers.map((w) => w.loopDelayMaxMs)) },
      backendConnections: standinConnections.reduce((a, b) => a + b, 0),
      backendConnectionsPerStandin: standinConnections,
      primarySeesMetrics: primarySees,
      primarySeesWho: who,
      workerSessions,
      sameWorkers,
      before,
      after,
      kbPerSession: {
        tree: figures(all),
        primary: figures(primaryOf),
        workers: figures(workersOf),
      },
      snapshots: opts.snapshot ? { before: snapshotsBefore, after: snapshotsAfter } : undefined,
    };

    const t = result.kbPerSession.tree;
    const pr = result.kbPerSession.primary;
    const wk = result.kbPerSession.workers;
    const k = after.workers.length;
    const finite = workerSessions.filter((x) => Number.isFinite(x));
    process.stdout.write(
      [
        `idle ${result.mode} IMAP sessions through one director (${result.node}, ${k > 0 ? `primary + ${k} workers` : 'one process'}, ${DIRECTOR_CLI_ARGS.some((a) => a.endsWith('.js')) ? 'compiled dist/' : 'tsx'})`,
        `  sessions     ${up} "+ idling" of ${n}${n !== opts.n ? ` (asked for ${opts.n}; capped by the open-file limit)` : ''}, ${errors} errors, all open after ${fmt(result.openSeconds)} s (${fmt(result.openPerSecond, 0)}/s); still held at the end ${held} (${closedWhileHeld} closed while held)`,
        ...(errors > 0 ? [`  errors       ${JSON.stringify(errorSamples)}`] : []),
        `  closed       ${closedWhileOpening} sessions were closed by the director before all were open; ${closedWhileHeld - closedWhileOpening} more by the end`,
        `  stalls       longest event-loop stall while opening: primary ${fmt(result.loopDelayMaxMs.primary, 0)} ms, workers ${fmt(result.loopDelayMaxMs.workers, 0)} ms (probe ${probe === undefined ? 'timeout 1s, failures 2' : JSON.stringify(probe)})`,
        ...logSummary.map((l) => `  director log ${l.count} × ${l.level} "${l.msg}" (first ${l.first})`),
        `  backend      +${result.backendConnections} connections on ${p.standins} stand-in(s) [${standinConnections.join(', ')}]`,
        `  primary sees /metrics maildirector_sessions ${primarySees}; ${who === undefined ? 'who not asked (--no-who)' : `${who.how}: ${who.sessions ?? 'n/a'} sessions (${fmt(who.ms / 1000)} s)${who.error === undefined ? '' : `; error: ${who.error}`}`}`,
        ...(k > 0 ? [`  per worker   sessions (fds Δ / 2) min ${Math.min(...finite)} avg ${fmt(finite.reduce((a, b) => a + b, 0) / Math.max(1, finite.length), 0)} max ${Math.max(...finite)}; fds max ${Math.max(...after.workers.map((w) => w.fds))} of ${limit}`] : []),
        `  tree RSS     ${mb(t.rssKbBefore)} MB → ${mb(t.rssKbAfter)} MB: ${fmt(t.rss, 2)} KB per session (V8 heap used ${fmt(t.heapUsed, 2)} KB, heap total ${fmt(t.heapTotal, 2)} KB, external ${fmt(t.external, 2)} KB, RSS − heap total ${fmt(t.rssMinusHeapTotal, 2)} KB)`,
        ...(k > 0
          ? [
              `  primary      ${mb(pr.rssKbBefore)} MB → ${mb(pr.rssKbAfter)} MB: ${fmt(pr.rss, 2)} KB per session (heap used ${fmt(pr.heapUsed, 2)} KB) — the mirror of every worker's session`,
              `  workers      ${mb(wk.rssKbBefore / k)} MB → ${mb(wk.rssKbAfter / k)} MB each on average: ${fmt(wk.rss, 2)} KB per session (heap used ${fmt(wk.heapUsed, 2)} KB, heap total ${fmt(wk.heapTotal, 2)} KB, RSS − heap total ${fmt(wk.rssMinusHeapTotal, 2)} KB)`,
            ]
          : []),
        ...(result.snapshots === undefined
          ? []
          : [`  heap snapshots (primary, first worker) before ${snapshotsBefore?.join(' ')} after ${snapshotsAfter?.join(' ')}`, '  (taking a snapshot grows RSS: use a run without --snapshot for the RSS figure)']),
      ].join('\n') + '\n',
    );
    const out = opts.out ?? join(REPO_ROOT, '.bench', `idle-${result.mode}-${n}-${result.when.replace(/[:.]/g, '-')}.json`);
    await mkdir(join(out, '..'), { recursive: true });
    await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
    process.stderr.write(`bench-idle: wrote ${out}\n`);
  } finally {
    await Promise.all(
      loads.map(async (l) => {
        if (l.child.exitCode !== null || l.child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => l.child.once('exit', () => resolve()));
        l.child.stdin?.end();
        const timer = setTimeout(() => l.child.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(timer);
      }),
    );
    if (director !== undefined) {
      const workers = childPids(director.pid);
      await director.stop();
      // A worker outliving its primary would keep its sockets: by PID, as seen before the stop.
      for (const pid of new Set([...workers, ...treePids.slice(1)])) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone with the primary, as it should be
        }
      }
    }
    for (const s of standins) await s.stop();
    if (!opts.keep && !opts.snapshot) await rm(dir, { recursive: true, force: true });
    else process.stderr.write(`bench-idle: kept ${dir}\n`);
  }
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      load: { type: 'boolean', default: false },
      label: { type: 'string', default: '1/1' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
      tls: { type: 'boolean', default: false },
      ca: { type: 'string' },
      n: { type: 'string', default: '100000' },
      concurrency: { type: 'string', default: '500' },
      sources: { type: 'string', default: '16' },
      'user-offset': { type: 'string', default: '0' },
      backends: { type: 'string', default: '4' },
      workers: { type: 'string' },
      standins: { type: 'string' },
      loads: { type: 'string' },
      snapshot: { type: 'boolean', default: false },
      'no-who': { type: 'boolean', default: false },
      'probe-timeout': { type: 'string' },
      'probe-failures': { type: 'string' },
      out: { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'scripts/bench-idle [--n N] [--tls] [--workers K] [--standins S] [--loads L] [--concurrency C] [--sources S] [--backends B]\n' +
        '                  [--probe-timeout D] [--probe-failures F] [--snapshot] [--no-who] [--keep] [--out FILE]\n' +
        '  --n            idle sessions to hold (default 100000)\n' +
        '  --tls          clients use implicit TLS (imaps); the director talks plain to the stand-ins\n' +
        `  --workers      director.workers (default: 1 if N fits one process's open-file limit, else ceil(N / ${SESSIONS_PER_WORKER}));\n` +
        '                 1 = one process, no cluster\n' +
        `  --standins     stand-in backend processes (default ceil(N / ${CONNECTIONS_PER_STANDIN}))\n` +
        `  --loads        load processes (default ceil(N / ${CONNECTIONS_PER_LOAD}))\n` +
        '  --concurrency  logins in flight, over all load processes (default 500)\n' +
        '  --sources      client source addresses 127.0.2.1..S (default 16, ~28k ports each)\n' +
        '  --backends     addresses per stand-in, 127.0.1.x (default 4); the ring has standins × backends members\n' +
        '  --snapshot     V8 heap snapshots of the primary and the first worker before and with the sessions up (temp dir is kept)\n' +
        '  --no-who       skip the `who --json` count on the primary (/metrics is always read)\n' +
        '  --probe-timeout, --probe-failures  ring.probe timeout (e.g. 10s) and failures for this run (default: the director\'s, 1s and 2)\n',
    );
    return;
  }
  const int = (name: string, text: string, min: number): number => {
    const v = Number(text);
    if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
    return v;
  };
  const optionalInt = (name: string, text: string | undefined, min: number): number | undefined => (text === undefined ? undefined : int(name, text, min));
  const n = int('n', values.n, 1);
  const concurrency = int('concurrency', values.concurrency, 1);
  const sources = int('sources', values.sources, 1);
  if (sources > 254) throw new Error('--sources must be ≤ 254');
  if (values.load) {
    await runLoad({ host: values.host, port: int('port', values.port, 1), tls: values.tls, ca: values.ca, n, concurrency, sources, userOffset: int('user-offset', values['user-offset'], 0), label: values.label });
    return;
  }
  const workers = optionalInt('workers', values.workers, 1);
  if (workers !== undefined && workers > 64) throw new Error('--workers must be ≤ 64 (director.workers)');
  await runOrchestrator({
    n,
    tls: values.tls,
    concurrency,
    backends: int('backends', values.backends, 1),
    sources,
    workers,
    standins: optionalInt('standins', values.standins, 1),
    loads: optionalInt('loads', values.loads, 1),
    probeTimeout: values['probe-timeout'],
    probeFailures: optionalInt('probe-failures', values['probe-failures'], 1),
    snapshot: values.snapshot,
    who: !values['no-who'],
    out: values.out,
    keep: values.keep,
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`idle-load: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
