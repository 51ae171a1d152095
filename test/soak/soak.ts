// scripts/soak: a ring of three directors on real slapd and Dovecot under a
// steady load of IMAP and POP3 logins and relayed sessions for a long time,
// with a backend restarted every few minutes. Every minute it prints each
// director's resident memory, heap, open file descriptors, event-loop delay
// p99, sessions and ring entries; at the end it says whether they stayed flat
// (no leak) and whether any user was on two backends at once (I1 in
// docs/invariants.md, read from the backends' own logs as scripts/chaos does).
// Not part of the test suite. Output goes into docs/reliability.md.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCluster, type Cluster, type ClusterUser } from '../harness/cluster.js';
import type { DirectorHandle } from '../harness/director.js';
import { adminCert, cliTlsArgs, ringOverrides } from '../harness/ring.js';
import { main as cliMain } from '../../src/cli/run.js';
import { ChaosBackend } from '../chaos/backend.js';
import { runClient } from '../chaos/clients.js';
import { findOverlaps, sessionsOf, type Interval } from '../chaos/overlap.js';

/** An unknown or malformed option: the usage hint and exit 2 (the run failed), not a stack trace and 1 (a finding). */
function parseOptions() {
  try {
    return parseArgs({
  options: {
    duration: { type: 'string', default: '3600' },
    clients: { type: 'string', default: '16' },
    users: { type: 'string', default: '60' },
    'restart-every': { type: 'string', default: '240' },
    'churn-every': { type: 'string', default: '60' },
    'sample-every': { type: 'string', default: '60' },
    warmup: { type: 'string', default: '300' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
  } catch (err) {
    process.stderr.write(`scripts/soak: ${err instanceof Error ? err.message : String(err)} (scripts/soak --help)\n`);
    process.exit(2);
  }
}
const { values: opts } = parseOptions();

const DURATION_MS = Number(opts.duration) * 1000;
const N_CLIENTS = Number(opts.clients);
const N_USERS = Number(opts.users);
const RESTART_EVERY_MS = Number(opts['restart-every']) * 1000;
const CHURN_EVERY_MS = Number(opts['churn-every']) * 1000;
const SAMPLE_EVERY_MS = Number(opts['sample-every']) * 1000;
const WARMUP_MS = Number(opts.warmup) * 1000;

const t0 = Date.now();
function say(text: string): void {
  process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(5)}s] ${text}\n`);
}

/** One director's figures at one instant; undefined where the source did not say. */
interface Sample {
  readonly atMs: number;
  readonly director: string;
  readonly rssKb: number | undefined;
  readonly fds: number | undefined;
  readonly heapBytes: number | undefined;
  readonly loopP99Ms: number | undefined;
  readonly sessions: number | undefined;
  readonly ringEntries: number | undefined;
}

function procRssKb(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function procFds(pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

function httpGet(address: string, path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const req = request(`http://${address}${path}`, { timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolvePromise(body));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** A sample's value of the first series whose name ends with `suffix` (prom-client's process and Node.js metrics). */
function metric(text: string, suffix: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m !== null && m[1]!.endsWith(suffix)) return Number(m[3]);
  }
  return undefined;
}

async function sample(d: DirectorHandle): Promise<Sample> {
  const http = d.address('http');
  let metrics = '';
  let state: { entries?: number; backends?: Array<{ sessions: number }> } = {};
  if (http !== null) {
    metrics = await httpGet(http, '/metrics').catch(() => '');
    state = await httpGet(http, '/ring/state')
      .then((t) => JSON.parse(t) as typeof state)
      .catch(() => ({}));
  }
  const heap = metric(metrics, 'heap_size_used_bytes');
  const loop = metric(metrics, 'eventloop_lag_p99_seconds');
  return {
    atMs: Date.now(),
    director: d.id,
    rssKb: procRssKb(d.pid),
    fds: procFds(d.pid),
    heapBytes: heap,
    loopP99Ms: loop === undefined ? undefined : loop * 1000,
    // Ring-wide sessions as this director sees them; every director should say about the same.
    sessions: state.backends?.reduce((sum, b) => sum + b.sessions, 0),
    ringEntries: state.entries,
  };
}

const show = (v: number | undefined, digits = 0): string => (v === undefined ? '-' : v.toFixed(digits));

function row(s: Sample): string {
  return [
    s.director.padEnd(4),
    `rss ${show(s.rssKb === undefined ? undefined : s.rssKb / 1024, 1).padStart(6)} MiB`,
    `heap ${show(s.heapBytes === undefined ? undefined : s.heapBytes / 1048576, 1).padStart(6)} MiB`,
    `fds ${show(s.fds).padStart(4)}`,
    `loop p99 ${show(s.loopP99Ms, 1).padStart(6)} ms`,
    `sessions ${show(s.sessions).padStart(4)}`,
    `ring entries ${show(s.ringEntries).padStart(5)}`,
  ].join('  ');
}

interface Trend {
  readonly what: string;
  readonly director: string;
  readonly early: number;
  readonly late: number;
  readonly flat: boolean;
}

/**
 * Flat means the last third of the run (after the warm-up) is not above the
 * first third by more than the allowance: a leak grows with time, noise
 * does not. Medians, so one sample taken during a restart does not decide.
 */
function trend(samples: readonly Sample[], director: string, what: string, pick: (s: Sample) => number | undefined, allowance: (early: number) => number): Trend | undefined {
  const values = samples.filter((s) => s.director === director).map(pick).filter((v): v is number => v !== undefined);
  if (values.length < 6) return undefined;
  const third = Math.floor(values.length / 3);
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const early = median(values.slice(0, third));
  const late = median(values.slice(values.length - third));
  return { what, director, early, late, flat: late <= early + allowance(early) };
}

let running = true;
const logins = new Map<string, number>();
const bump = (k: string): void => void logins.set(k, (logins.get(k) ?? 0) + 1);

async function clientWorker(cluster: Cluster, users: readonly ClusterUser[], seed: number): Promise<void> {
  let i = seed;
  while (running) {
    i += 1;
    const d = cluster.directors[i % cluster.directors.length];
    const u = users[(i * 7 + seed) % users.length];
    if (d === undefined || u === undefined) continue;
    const protocol = i % 3 === 0 ? 'pop3' : 'imap';
    const port = protocol === 'imap' ? d.imap : d.pop3;
    if (port === null) continue;
    const r = await runClient({ host: d.host, port, protocol, user: u.name, password: u.password, holdMs: 500 + (i % 10) * 400, idle: protocol === 'imap' && i % 2 === 0 });
    bump(`${r.protocol} ${r.outcome}`);
  }
}

async function restartLoop(backends: readonly ChaosBackend[]): Promise<void> {
  let n = 0;
  while (running) {
    const slept = Date.now();
    while (running && Date.now() - slept < RESTART_EVERY_MS) await sleep(1000);
    if (!running) return;
    const b = backends[n++ % backends.length];
    if (b === undefined) continue;
    say(`restart: killing backend ${b.id}`);
    await b.kill();
    await sleep(10_000);
    await b.restart();
    say(`restart: backend ${b.id} is back`);
  }
}

/** The admin CLI in this process, as an operator runs it against a director. */
async function cli(d: DirectorHandle, tls: readonly string[], args: readonly string[]): Promise<number> {
  const address = d.address('grpc');
  if (address === null) return 1;
  return cliMain([...args, '--director', address, ...tls], { stdout: () => undefined, stderr: () => undefined, env: {} });
}

/**
 * State churn, as a busy operations team makes it: a backend added and
 * removed again (three ids in turn), and a user moved, every CHURN_EVERY_MS.
 * Tombstones, verdicts and move entries must not pile up.
 */
async function churnLoop(cluster: Cluster, users: readonly ClusterUser[], tls: readonly string[]): Promise<void> {
  let n = 0;
  while (running) {
    const slept = Date.now();
    while (running && Date.now() - slept < CHURN_EVERY_MS) await sleep(1000);
    if (!running) return;
    n += 1;
    const d = cluster.directors[n % cluster.directors.length];
    const u = users[(n * 11) % users.length];
    const to = cluster.backends[n % cluster.backends.length];
    if (d === undefined || u === undefined || to === undefined) continue;
    const id = `churn${(n % 3) + 1}`;
    // Nothing listens there: it stays pending/down and takes no users, as a host being prepared.
    const added = await cli(d, tls, ['backend', 'add', id, '127.0.0.250']);
    await sleep(20_000);
    const removed = await cli(d, tls, ['backend', 'remove', id]);
    const moved = await cli(d, tls, ['user', 'move', u.name, '--to', to.id, '--delay', '0s']);
    bump(`churn add ${added === 0 ? 'ok' : 'failed'}`);
    bump(`churn remove ${removed === 0 ? 'ok' : 'failed'}`);
    bump(`churn move ${moved === 0 ? 'ok' : 'failed'}`);
  }
}

async function main(): Promise<number> {
  const dir = opts.dir === undefined ? await mkdtemp(join(tmpdir(), 'md-soak-')) : resolve(opts.dir);
  say(`soak: 3 directors, 3 backends, ${N_USERS} users, ${N_CLIENTS} clients, ${DURATION_MS / 1000} s, a backend restart every ${RESTART_EVERY_MS / 1000} s, dir ${dir}`);
  // The dev cluster's configuration: ring on, mTLS gossip, info logs.
  const cluster = await startCluster({ dir, directors: 3, backends: 3, users: N_USERS, directorOverrides: ringOverrides(dir) });
  const backends = cluster.backends.map((b) => new ChaosBackend(b));
  const samples: Sample[] = [];
  let code = 2;
  try {
    const users = [...cluster.usersOfKind('ring'), ...cluster.usersOfKind('host')];
    const workers = Array.from({ length: N_CLIENTS }, (_, k) => clientWorker(cluster, users, k * 13));
    const restarts = restartLoop(backends);
    const tls = cliTlsArgs(cluster, await adminCert(cluster));
    const churn = churnLoop(cluster, users, tls);
    const end = t0 + DURATION_MS;
    let nextSample = Date.now() + SAMPLE_EVERY_MS;
    while (Date.now() < end) {
      await sleep(Math.max(0, Math.min(nextSample, end) - Date.now()));
      if (Date.now() < nextSample) continue;
      nextSample += SAMPLE_EVERY_MS;
      const now = await Promise.all(cluster.directors.map((d) => sample(d)));
      for (const s of now) {
        if (s.atMs - t0 >= WARMUP_MS) samples.push(s);
        say(row(s));
      }
      say(`logins so far: ${[...logins].sort().map(([k, v]) => `${k} ${v}`).join(', ')}`);
    }
    running = false;
    say('time is up: waiting for clients and a restart in progress');
    await restarts;
    await churn;
    await Promise.all(workers);
    await sleep(1500);
    const runEnd = Date.now();

    const intervals: Interval[] = [];
    for (const b of backends) intervals.push(...sessionsOf(b.id, await b.handle.loginEvents(), b.kills, runEnd));
    const overlaps = findOverlaps(intervals);

    const trends: Trend[] = [];
    for (const d of cluster.directors) {
      const checks: Array<Trend | undefined> = [
        // 10% or 8 MiB: V8 grows its heap in steps, and a restart's burst of logins lands in one sample.
        trend(samples, d.id, 'rss KiB', (s) => s.rssKb, (e) => Math.max(e * 0.1, 8192)),
        trend(samples, d.id, 'heap bytes', (s) => s.heapBytes, (e) => Math.max(e * 0.15, 8 * 1048576)),
        trend(samples, d.id, 'open fds', (s) => s.fds, () => 2 * N_CLIENTS + 10),
        trend(samples, d.id, 'ring entries', (s) => s.ringEntries, (e) => Math.max(e * 0.1, 20)),
      ];
      for (const t of checks) if (t !== undefined) trends.push(t);
    }

    const lines = ['', '== soak summary =='];
    lines.push(`${DURATION_MS / 1000} s, ${N_CLIENTS} clients, ${N_USERS} users, backends restarted every ${RESTART_EVERY_MS / 1000} s (${backends.reduce((n, b) => n + b.kills.length, 0)} restarts), a backend added and removed and a user moved every ${CHURN_EVERY_MS / 1000} s`);
    lines.push(`logins: ${[...logins].sort().map(([k, v]) => `${k} ${v}`).join(', ')}`);
    lines.push(`backend sessions from the logs: ${intervals.length}`);
    lines.push(`trend after the ${WARMUP_MS / 1000} s warm-up (median of the first third → median of the last third):`);
    for (const t of trends) lines.push(`  ${t.director} ${t.what.padEnd(12)} ${t.early.toFixed(0).padStart(10)} → ${t.late.toFixed(0).padStart(10)}  ${t.flat ? 'flat' : 'GROWING'}`);
    lines.push(`users on two backends at the same instant: ${overlaps.length === 0 ? 'none' : overlaps.length}`);
    for (const o of overlaps.slice(0, 20)) lines.push(`  ${o.user}: ${o.a.backend} and ${o.b.backend}, ${o.ms.toFixed(1)} ms`);
    if (trends.length === 0) lines.push('  (too few samples after the warm-up to judge: run longer)');
    const flat = trends.length > 0 && trends.every((t) => t.flat);
    lines.push(flat && overlaps.length === 0 ? 'RESULT: flat, invariants hold' : 'RESULT: NOT clean');
    process.stdout.write(`${lines.join('\n')}\n`);
    code = flat && overlaps.length === 0 ? 0 : 1;
  } finally {
    running = false;
    for (const b of backends) await b.stop().catch(() => undefined);
    await cluster.stop();
    if (!opts.keep && opts.dir === undefined) await rm(dir, { recursive: true, force: true });
  }
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`soak failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
