// scripts/chaos: a ring of directors on real slapd and Dovecot, clients
// logging in and out through random directors while backends and directors
// are killed and restarted, weights changed, backends removed and added, and
// users moved, and numbered messages are delivered by LMTP through random
// directors. Afterwards every backend's log is read and every user seen on
// two backends at the same instant is listed (I1 in docs/invariants.md), and
// the messages are looked up in the backends' Maildirs (I4) and their
// delivery log lines checked against the users' sessions (I1 for LMTP);
// exit 1 if anything is wrong.
// Not part of the test suite. Usage: docs/chaos.md.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCluster, type Cluster, type ClusterUser } from '../harness/cluster.js';
import type { DirectorHandle } from '../harness/director.js';
import { adminCert, cliTlsArgs, ringOverrides } from '../harness/ring.js';
import { ChaosBackend } from './backend.js';
import { startRingFaults, type RingFaults } from '../harness/ring-faults.js';
import { runClient, type ClientResult } from './clients.js';
import { checkDeliveries, parseDeliveries, scanMaildirs, type DeliveryEvent, type DeliveryProblem, type FoundCopy } from './deliveries.js';
import { sendLmtp, type LmtpMessage } from './lmtp-client.js';
import { findOverlaps, sessionsOf, type Interval } from './overlap.js';

/** An unknown or malformed option: the usage hint and exit 2 (the run failed), not a stack trace and 1 (a finding). */
function parseOptions() {
  try {
    return parseArgs({
  options: {
    directors: { type: 'string', default: '3' },
    backends: { type: 'string', default: '3' },
    users: { type: 'string', default: '30' },
    duration: { type: 'string', default: '60' },
    clients: { type: 'string', default: '12' },
    lmtp: { type: 'string', default: '2' },
    'event-every': { type: 'string', default: '3' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    seed: { type: 'string' },
    partitions: { type: 'boolean', default: false },
  },
});
  } catch (err) {
    process.stderr.write(`scripts/chaos: ${err instanceof Error ? err.message : String(err)} (scripts/chaos --help)\n`);
    process.exit(2);
  }
}
const { values: opts } = parseOptions();

const N_DIRECTORS = Number(opts.directors);
const N_BACKENDS = Number(opts.backends);
const N_USERS = Number(opts.users);
const DURATION_MS = Number(opts.duration) * 1000;
const N_CLIENTS = Number(opts.clients);
const N_LMTP = Number(opts.lmtp);
const EVENT_EVERY_MS = Number(opts['event-every']) * 1000;

// A small seeded PRNG, so a run can be repeated (mulberry32).
let seed = opts.seed === undefined ? Date.now() >>> 0 : Number(opts.seed) >>> 0;
const SEED = seed;
function rand(): number {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(list: readonly T[]): T | undefined => list[Math.floor(rand() * list.length)];
const between = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo));

const t0 = Date.now();
function say(text: string): void {
  process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${text}\n`);
}

interface Stats {
  readonly logins: Map<string, number>;
  readonly events: Map<string, number>;
  readonly convergence: Map<string, number[]>;
  readonly errors: string[];
}

const stats: Stats = { logins: new Map(), events: new Map(), convergence: new Map(), errors: [] };
const bump = (m: Map<string, number>, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1);
const record = (kind: string, ms: number): void => void stats.convergence.set(kind, [...(stats.convergence.get(kind) ?? []), ms]);

let cluster: Cluster;
let faults: RingFaults | undefined;
/** One network fault between directors at a time, so each one's heal is its own. */
let faultActive = false;
let backends: ChaosBackend[] = [];
const directorUp: boolean[] = [];
let cliBase: string[] = [];
let tlsArgs: string[] = [];
let running = true;
let hasUserMove = false;
const pending: Array<Promise<unknown>> = [];

function liveDirectors(): DirectorHandle[] {
  return cluster.directors.filter((_, i) => directorUp[i] === true);
}

function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const d = pick(liveDirectors());
  const address = d?.address('grpc') ?? '127.0.0.1:0';
  const [command, ...rest] = cliBase;
  return new Promise((resolveRun) => {
    const child = spawn(command ?? process.execPath, [...rest, ...args, '--director', address, ...tlsArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (err) => resolveRun({ code: -1, stdout, stderr: err.message }));
    child.on('close', (code) => resolveRun({ code: code ?? -1, stdout, stderr }));
  });
}

/**
 * The backends as one director routes them, from its /status: (id, weight,
 * up), or (id, weight) when probes flipping `up` at the same time must not
 * blur the timing of a weight or membership change. undefined when it does not answer.
 */
async function ringKey(d: DirectorHandle, withUp = true): Promise<string | undefined> {
  try {
    const res = await fetch(`http://${d.host}:${d.http}/status`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { backends: Array<{ id: string; weight: number; up: boolean }> };
    return JSON.stringify(body.backends.map((b) => (withUp ? [b.id, b.weight, b.up] : [b.id, b.weight])).sort());
  } catch {
    return undefined;
  }
}

/**
 * Run a ring change and time I2: from the first live director showing a new
 * state to every live director showing the same one.
 */
async function convergence(kind: string, action: () => Promise<boolean>, withUp = false): Promise<void> {
  const live = liveDirectors();
  const key = (d: DirectorHandle): Promise<string | undefined> => ringKey(d, withUp);
  const startedAt = Date.now();
  const before = await Promise.all(live.map(key));
  let firstChange: number | undefined;
  let done = false;
  let convergedAt: number | undefined;
  const poll = (async (): Promise<void> => {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const keys = await Promise.all(live.map(key));
      if (firstChange === undefined && keys.some((k, i) => k !== undefined && k !== before[i])) firstChange = Date.now();
      const judged = keys.filter((_, i) => !disturbedSince(live[i]?.id ?? '', startedAt));
      if (done && judged.length > 0 && judged.every((k) => k !== undefined && k === judged[0])) {
        convergedAt = Date.now();
        return;
      }
      await sleep(10);
    }
  })();
  const ok = await action();
  done = true;
  await poll;
  if (!ok) return;
  const judged = live.filter((d) => !disturbedSince(d.id, startedAt)).length;
  if (judged === 0) bump(stats.events, `${kind}: not timed, every director was cut off or paused meanwhile`);
  else if (convergedAt === undefined) stats.errors.push(`${kind}: the ${judged} director(s) left alone did not agree within 15 s`);
  else if (firstChange !== undefined) record(kind, convergedAt - firstChange);
}

async function runCli(kind: string, args: string[]): Promise<boolean> {
  const r = await cli(args);
  if (r.code !== 0) {
    stats.errors.push(`${args.join(' ')}: exit ${r.code}: ${(r.stderr || r.stdout).trim().split('\n')[0] ?? ''}`);
    return false;
  }
  bump(stats.events, kind);
  return true;
}

/** Time until every live director routes around a killed backend (I3: 3 s). */
async function timeUntilDown(b: ChaosBackend, killedAt: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !b.up) {
    const keys = await Promise.all(liveDirectors().map((d) => ringKey(d)));
    const allDown = keys.every((k) => {
      if (k === undefined) return true;
      const row = (JSON.parse(k) as Array<[string, number, boolean]>).find(([id]) => id === b.id);
      return row === undefined || !row[2];
    });
    if (allDown) {
      record('backend killed → out of every ring', Date.now() - killedAt);
      return;
    }
    await sleep(25);
  }
}

const EVENTS: ReadonlyArray<{ name: string; weight: number; run: () => Promise<void> }> = [
  {
    name: 'kill backend',
    weight: 2,
    run: async () => {
      const candidates = backends.filter((b) => b.up);
      if (candidates.length < 2) return;
      const b = pick(candidates) as ChaosBackend;
      const killedAt = Date.now();
      await b.kill();
      bump(stats.events, 'backend killed');
      say(`killed backend ${b.id}`);
      const later = (async () => {
        await timeUntilDown(b, killedAt);
        await sleep(between(3000, 8000));
        await b.restart();
        bump(stats.events, 'backend restarted');
        say(`restarted backend ${b.id}`);
      })().catch((err: unknown) => stats.errors.push(`backend ${b.id}: ${String(err)}`));
      pending.push(later);
    },
  },
  {
    name: 'kill director',
    weight: 2,
    run: async () => {
      const alive = cluster.directors.map((d, i) => ({ d, i })).filter(({ i }) => directorUp[i] === true);
      if (alive.length < 2) return;
      const { d, i } = pick(alive) as { d: DirectorHandle; i: number };
      directorUp[i] = false;
      await d.kill();
      bump(stats.events, 'director killed');
      say(`killed director ${d.id}`);
      const later = (async () => {
        await sleep(between(2000, 5000));
        const again = await d.restart();
        cluster.directors[i] = again;
        const readyAt = Date.now();
        bump(stats.events, 'director restarted');
        const others = cluster.directors.filter((_, j) => directorUp[j] === true && j !== i);
        const deadline = Date.now() + 10_000;
        while (Date.now() < deadline) {
          const [mine, ...theirs] = await Promise.all([ringKey(again), ...others.map((d) => ringKey(d))]);
          if (mine !== undefined && theirs.every((k) => k === mine)) {
            record('director restarted → agrees with the others', Date.now() - readyAt);
            break;
          }
          await sleep(10);
        }
        directorUp[i] = true;
        say(`restarted director ${d.id}`);
      })().catch((err: unknown) => stats.errors.push(`director ${d.id}: ${String(err)}`));
      pending.push(later);
    },
  },
  {
    name: 'weight',
    weight: 3,
    run: async () => {
      const b = pick(backends.filter((x) => x.inRing));
      if (b === undefined) return;
      const w = pick([0, 50, 100, 200, 300]) ?? 100;
      say(`backend weight ${b.id} ${w}`);
      await convergence('backend weight', () => runCli('backend weight', ['backend', 'weight', b.id, String(w)]));
    },
  },
  {
    name: 'remove or add backend',
    weight: 2,
    run: async () => {
      const out = backends.find((b) => !b.inRing);
      if (out !== undefined) {
        say(`backend add ${out.id}`);
        const h = out.handle;
        await convergence('backend add', () =>
          // Every port, LMTP's too: left out it would be the default 24, where nothing listens.
          runCli('backend add', [
            'backend', 'add', h.id, h.host,
            '--imap-port', String(h.imap), '--pop3-port', String(h.pop3), '--lmtp-port', String(h.lmtp),
            '--sieve-port', String(h.sieve), '--submission-port', String(h.submission), '--weight', '100',
          ]),
        );
        out.inRing = true;
        return;
      }
      const inRing = backends.filter((b) => b.inRing);
      if (inRing.length < 3) return;
      const b = pick(inRing) as ChaosBackend;
      say(`backend remove ${b.id}`);
      b.inRing = false;
      await convergence('backend remove', () => runCli('backend remove', ['backend', 'remove', b.id]));
    },
  },
  {
    name: 'admin down then flush',
    weight: 1,
    run: async () => {
      const b = pick(backends.filter((x) => x.inRing));
      if (b === undefined) return;
      say(`backend down ${b.id} (flush in 3 s)`);
      await convergence('backend down', () => runCli('backend down', ['backend', 'down', b.id]), true);
      pending.push(
        sleep(3000).then(() => convergence('backend flush', () => runCli('backend flush', ['backend', 'flush', b.id]), true)),
      );
    },
  },
  {
    name: 'move user (ldapmodify mailHost)',
    weight: 3,
    run: async () => {
      const u = pick(cluster.usersOfKind('host'));
      const to = pick(backends.filter((b) => b.up && b.inRing));
      if (u === undefined || to === undefined) return;
      await cluster.slapd.modifyUser(u.name, { mailHost: to.handle.host });
      bump(stats.events, 'ldapmodify mailHost');
      say(`ldapmodify ${u.name} mailHost=${to.handle.host} (${to.id})`);
    },
  },
  {
    name: 'user move',
    weight: 2,
    run: async () => {
      if (!hasUserMove) return;
      const u = pick(cluster.usersOfKind('ring'));
      const to = pick(backends.filter((b) => b.up && b.inRing));
      if (u === undefined || to === undefined) return;
      say(`user move ${u.name} --to ${to.id}`);
      await runCli('user move', ['user', 'move', u.name, '--to', to.id]);
    },
  },
];

/**
 * Directors under a network fault or paused now, and when each last came
 * out of one: I2's convergence is timed among the directors left alone
 * during the whole change (a cut-off one cannot agree before it is healed).
 */
const disturbedNow = new Map<string, number>();
const disturbedUntil = new Map<string, number>();

function disturb(ids: readonly string[]): void {
  for (const id of ids) disturbedNow.set(id, (disturbedNow.get(id) ?? 0) + 1);
}

function undisturb(ids: readonly string[]): void {
  for (const id of ids) {
    const n = (disturbedNow.get(id) ?? 1) - 1;
    if (n > 0) disturbedNow.set(id, n);
    else disturbedNow.delete(id);
    disturbedUntil.set(id, Date.now());
  }
}

function disturbedSince(id: string, since: number): boolean {
  return disturbedNow.has(id) || (disturbedUntil.get(id) ?? 0) >= since;
}

/** Run `fault` on the directors `ids` now and heal it after `ms`, in the background (one at a time). */
function faultFor(kind: string, text: string, ms: number, ids: readonly string[], fault: (f: RingFaults) => void): void {
  const f = faults;
  if (f === undefined || faultActive) return;
  faultActive = true;
  disturb(ids);
  fault(f);
  bump(stats.events, kind);
  say(`${text} for ${(ms / 1000).toFixed(1)} s`);
  pending.push(
    sleep(ms).then(() => {
      f.healAll();
      faultActive = false;
      undisturb(ids);
      say(`healed: ${text}`);
    }),
  );
}

/** Directors neither killed nor paused, by id. */
function upIds(): string[] {
  return cluster.directors.filter((_, i) => directorUp[i] === true).map((d) => d.id);
}

/**
 * --partitions: faults between directors through the relays of
 * test/harness/ring-faults.ts (clients still reach every director
 * directly), and SIGSTOP/SIGCONT of a director whose sessions stay open.
 */
const PARTITION_EVENTS: ReadonlyArray<{ name: string; weight: number; run: () => Promise<void> }> = [
  {
    name: 'isolate director',
    weight: 2,
    run: async () => {
      const id = pick(upIds());
      if (id !== undefined) faultFor('director cut off from the others', `cut ${id} off from every other director`, between(2000, 9000), [id], (f) => f.isolate(id));
    },
  },
  {
    name: 'cut one link',
    weight: 1,
    run: async () => {
      const [a, b] = shuffled(upIds());
      if (a !== undefined && b !== undefined) faultFor('link cut', `cut the link ${a} - ${b}`, between(2000, 8000), [a, b], (f) => f.cut(a, b));
    },
  },
  {
    name: 'drop one direction',
    weight: 2,
    run: async () => {
      const [a, b] = shuffled(upIds());
      if (a !== undefined && b !== undefined) faultFor('one direction dropped', `drop bytes ${a} -> ${b}`, between(2000, 8000), [a, b], (f) => f.drop(a, b));
    },
  },
  {
    name: 'delay a link',
    weight: 1,
    run: async () => {
      const [a, b] = shuffled(upIds());
      const ms = between(50, 600);
      if (a !== undefined && b !== undefined) faultFor('link delayed', `delay ${a} - ${b} by ${ms} ms`, between(3000, 10_000), [a, b], (f) => f.delay(a, b, ms));
    },
  },
  {
    name: 'pause director',
    weight: 2,
    run: async () => {
      const alive = cluster.directors.map((d, i) => ({ d, i })).filter(({ i }) => directorUp[i] === true);
      if (alive.length < 2) return;
      const { d, i } = pick(alive) as { d: DirectorHandle; i: number };
      const ms = between(1000, 9000);
      // Clients no longer pick it; the sessions it holds stay open, silent.
      directorUp[i] = false;
      disturb([d.id]);
      d.pause();
      bump(stats.events, 'director paused (SIGSTOP)');
      say(`SIGSTOP director ${d.id} for ${(ms / 1000).toFixed(1)} s`);
      pending.push(
        sleep(ms).then(() => {
          d.resume();
          directorUp[i] = true;
          undisturb([d.id]);
          say(`SIGCONT director ${d.id}`);
        }),
      );
    },
  },
];

function shuffled<T>(list: readonly T[]): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

async function chaosLoop(): Promise<void> {
  const events = opts.partitions ? [...EVENTS, ...PARTITION_EVENTS] : EVENTS;
  const total = events.reduce((n, e) => n + e.weight, 0);
  while (running) {
    await sleep(between(EVENT_EVERY_MS / 2, (EVENT_EVERY_MS * 3) / 2));
    if (!running) break;
    let r = rand() * total;
    const event = events.find((e) => (r -= e.weight) < 0) ?? events[0];
    try {
      await event?.run();
    } catch (err) {
      stats.errors.push(`${event?.name ?? '?'}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

async function clientWorker(users: readonly ClusterUser[]): Promise<void> {
  while (running) {
    const d = pick(liveDirectors());
    const u = pick(users);
    if (d === undefined || u === undefined) {
      await sleep(100);
      continue;
    }
    const protocol = rand() < 0.6 ? 'imap' : 'pop3';
    const port = protocol === 'imap' ? d.imap : d.pop3;
    if (port === null) continue;
    const r: ClientResult = await runClient({
      host: d.host,
      port,
      protocol,
      user: u.name,
      password: u.password,
      holdMs: rand() < 0.3 ? 0 : between(200, 5000),
      idle: protocol === 'imap' && rand() < 0.4,
    });
    bump(stats.logins, `${r.protocol} ${r.outcome}`);
    if (r.endedEarly) bump(stats.logins, `${r.protocol} ok, then ended by the server`);
  }
}

const sentMessages: LmtpMessage[] = [];
let messageCount = 0;

/** The Message-ID of message n: the seed keeps runs sharing a directory apart. */
function messageId(n: number): string {
  return `<chaos-${SEED}-${n}@chaos.test>`;
}

/** Delivers numbered messages to 1–3 random users through a random live director's LMTP port, a few a second. */
async function lmtpWorker(users: readonly ClusterUser[]): Promise<void> {
  while (running) {
    await sleep(between(200, 800));
    const d = pick(liveDirectors());
    if (d === undefined || d.lmtp === null) continue;
    const rcpts = new Set<string>();
    const want = between(1, 4);
    for (let i = 0; i < want * 3 && rcpts.size < want; i++) rcpts.add(pick(users)?.name ?? '');
    rcpts.delete('');
    if (rcpts.size === 0) continue;
    const n = ++messageCount;
    const m = await sendLmtp({ host: d.host, port: d.lmtp, users: [...rcpts], domain: 'example.org', n, messageId: messageId(n), subject: `chaos-lmtp ${SEED} ${n}` }, d.id);
    sentMessages.push(m);
  }
}

function summary(values: readonly number[]): string {
  if (values.length === 0) return '-';
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
  return `n=${s.length} min=${s[0]} median=${q(0.5)} p90=${q(0.9)} max=${s.at(-1)} ms`;
}

function localTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(Math.floor((ms % 1000) * 1000), 6)}`;
}

async function main(): Promise<number> {
  const dir = opts.dir === undefined ? await mkdtemp(join(tmpdir(), 'md-chaos-')) : resolve(opts.dir);
  say(`chaos: ${N_DIRECTORS} directors, ${N_BACKENDS} backends, ${N_USERS} users, ${N_CLIENTS} clients, ${DURATION_MS / 1000} s, seed ${SEED}, dir ${dir}${opts.partitions ? ', with partitions' : ''}`);
  if (opts.partitions) faults = await startRingFaults(Array.from({ length: N_DIRECTORS }, (_, i) => `d${i + 1}`));
  const overrides = faults === undefined ? ringOverrides(dir) : faults.overrides(ringOverrides(dir));
  cluster = await startCluster({ dir, directors: N_DIRECTORS, backends: N_BACKENDS, users: N_USERS, directorOverrides: overrides });
  try {
    backends = cluster.backends.map((b) => new ChaosBackend(b));
    cluster.directors.forEach((_, i) => (directorUp[i] = true));
    await cluster.writeJson();
    const json = cluster.json();
    // cluster.json's `cli` names the first director; each call here picks a live one.
    const at = json.cli.indexOf('--director');
    cliBase = at < 0 ? [...json.cli] : [...json.cli.slice(0, at), ...json.cli.slice(at + 2)];
    tlsArgs = cliTlsArgs(cluster, await adminCert(cluster));
    hasUserMove = (await cli(['user', 'move', '--help'])).code === 0;
    say(`ring up; \`user move\` ${hasUserMove ? 'available' : 'not available (moves by ldapmodify only)'}`);

    const users = [...cluster.usersOfKind('ring'), ...cluster.usersOfKind('host'), ...cluster.usersOfKind('proxy_always'), ...cluster.usersOfKind('proxy_maybe')];
    const workers = Array.from({ length: N_CLIENTS }, () => clientWorker(users));
    const senders = Array.from({ length: N_LMTP }, () => lmtpWorker(users));
    const chaos = chaosLoop();
    await sleep(DURATION_MS);
    running = false;
    say('time is up: waiting for clients and pending restarts');
    await chaos;
    await Promise.all(workers);
    await Promise.all(senders);
    await Promise.allSettled(pending);
    // Dovecot writes the logout lines of the last sessions shortly after.
    await sleep(1500);
    const runEnd = Date.now();

    const intervals: Interval[] = [];
    for (const b of backends) intervals.push(...sessionsOf(b.id, await b.handle.loginEvents(), b.kills, runEnd));
    const overlaps = findOverlaps(intervals);

    const ours = new Set(sentMessages.map((m) => m.messageId));
    const copies: FoundCopy[] = [];
    const deliveries: DeliveryEvent[] = [];
    for (const b of backends) {
      copies.push(...(await scanMaildirs(b.id, join(b.handle.dir, 'mail'), (id) => ours.has(id))));
      deliveries.push(...parseDeliveries(b.id, await readFile(b.handle.logFile, 'utf8')));
    }
    const mail = checkDeliveries(sentMessages, copies, deliveries, intervals);
    // What the MTA side saw, kept with the logs (--keep/--dir) for looking into a finding.
    await writeFile(join(dir, 'lmtp-messages.json'), `${JSON.stringify(sentMessages, null, 1)}\n`);

    const lines: string[] = ['', '== chaos run summary =='];
    lines.push(`seed ${SEED}; ${N_DIRECTORS} directors, ${N_BACKENDS} backends, ${N_USERS} users, ${N_CLIENTS} concurrent clients, ${DURATION_MS / 1000} s${opts.partitions ? ", with partitions (--partitions)" : ""}`);
    lines.push('client logins:');
    for (const [k, v] of [...stats.logins].sort()) lines.push(`  ${k.padEnd(40)} ${v}`);
    lines.push('events done:');
    for (const [k, v] of [...stats.events].sort()) lines.push(`  ${k.padEnd(40)} ${v}`);
    lines.push('convergence (ms):');
    for (const [k, v] of [...stats.convergence].sort()) lines.push(`  ${k.padEnd(45)} ${summary(v)}`);
    const ended = new Map<string, number>();
    for (const i of intervals) bump(ended, i.endedBy);
    lines.push(`backend sessions from the logs: ${intervals.length} (${[...ended].map(([k, v]) => `${v} ended by ${k}`).join(', ')})`);
    if (stats.errors.length > 0) {
      lines.push(`errors (${stats.errors.length}):`);
      for (const e of stats.errors.slice(0, 20)) lines.push(`  ${e}`);
    }
    lines.push(`users on two backends at the same instant: ${overlaps.length === 0 ? 'none' : ''}`);
    for (const o of overlaps.slice(0, 50)) {
      lines.push(
        `  ${o.user}: ${o.a.backend} ${o.a.protocol} ${localTime(o.a.start)}–${localTime(o.a.end)} (${o.a.endedBy}) and ${o.b.backend} ${o.b.protocol} ${localTime(o.b.start)}–${localTime(o.b.end)} (${o.b.endedBy}), ${o.ms.toFixed(1)} ms`,
      );
    }

    const count = (o: 'accepted' | 'tempfail' | 'permfail' | 'error' | 'unknown'): number => mail.byOutcome.get(o) ?? 0;
    lines.push(`LMTP: ${mail.messages} messages sent to ${mail.recipients} recipients through ${N_LMTP} senders; per recipient:`);
    lines.push(`  ${'accepted (250)'.padEnd(40)} ${count('accepted')}`);
    lines.push(`  ${'temp-failed (4xx)'.padEnd(40)} ${count('tempfail')}`);
    lines.push(`  ${'refused (5xx)'.padEnd(40)} ${count('permfail')}`);
    lines.push(`  ${'connection error before the final dot'.padEnd(40)} ${count('error')}`);
    lines.push(`  ${'unknown (reply lost after the dot)'.padEnd(40)} ${count('unknown')} (with the 451s of a backend lost after the dot: ${mail.unknownFound} delivered, ${mail.unknownNotFound} not)`);
    lines.push(`  ${'lost (accepted, not in the mailbox)'.padEnd(40)} ${mail.lost.length}`);
    lines.push(`  ${'duplicated (in the mailbox twice+)'.padEnd(40)} ${mail.duplicated.length}`);
    lines.push(`  ${'delivered although refused/failed'.padEnd(40)} ${mail.refusedButDelivered.length}`);
    lines.push(`  ${'in a mailbox it was not sent to'.padEnd(40)} ${mail.wrongUser.length}`);
    lines.push(`  ${'misplaced (user live on another backend)'.padEnd(40)} ${mail.misplaced.length}`);
    lines.push(`  delivery log lines read: ${mail.deliveryLines}; copies found in Maildirs: ${copies.length}`);
    const logOf = (p: DeliveryProblem): string[] =>
      deliveries.filter((d) => d.messageId === p.messageId && d.user === p.user).map((d) => `      ${d.backend}: ${d.line}`);
    const problems: Array<[string, DeliveryProblem[]]> = [
      ['lost', mail.lost],
      ['duplicated', mail.duplicated],
      ['delivered although refused', mail.refusedButDelivered],
      ['in a mailbox it was not sent to', mail.wrongUser],
    ];
    for (const [what, list] of problems) {
      for (const p of list.slice(0, 20)) {
        const m = sentMessages.find((x) => x.messageId === p.messageId);
        const at = m === undefined ? '' : ` sent ${localTime(m.sentAt)} via ${m.director}`;
        lines.push(`  ${what}: ${p.messageId} to ${p.user}${at}: ${p.outcome} "${p.reply}", copies on [${p.copies.join(', ')}]`);
        lines.push(...logOf(p));
      }
    }
    for (const x of mail.misplaced.slice(0, 20)) {
      const s = x.session;
      lines.push(`  misplaced: ${x.delivery.messageId} for ${x.delivery.user} on ${x.delivery.backend} at ${localTime(x.delivery.time)} while ${s.backend} ${s.protocol} session ${s.session} ${localTime(s.start)}–${localTime(s.end)} (${s.endedBy})`);
      lines.push(`      ${x.delivery.line}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    const mailBad = mail.lost.length + mail.duplicated.length + mail.misplaced.length + mail.refusedButDelivered.length + mail.wrongUser.length;
    return overlaps.length === 0 && mailBad === 0 ? 0 : 1;
  } finally {
    for (const d of cluster.directors) d.resume();
    await cluster.stop().catch(() => undefined);
    await faults?.close();
    await Promise.all(backends.map((b) => b.stop().catch(() => undefined)));
    if (!opts.keep && opts.dir === undefined) await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`chaos: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
