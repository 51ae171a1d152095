// Shared by the ring-*.test.ts files: a three-director ring over mTLS on
// real slapd and Dovecot, the admin CLI run in-process, and waits.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { main as cliMain } from '../../../src/cli/run.js';
import { startCluster, type Cluster, type ClusterUser } from '../../harness/cluster.js';
import type { CertFiles } from '../../harness/certs.js';
import type { DirectorHandle } from '../../harness/director.js';
import { adminCert, cliTlsArgs, ringOverrides, type RingTuning } from '../../harness/ring.js';
import type { LineClient } from '../support/line-client.js';
import { landedOn, login, loginCounts, openImap } from '../director/imap-support.js';

export interface Ring {
  readonly cluster: Cluster;
  readonly admin: CertFiles;
}

export async function startRing(dir: string, tuning: RingTuning = {}, users = 20): Promise<Ring> {
  const cluster = await startCluster({ dir, directors: 3, backends: 3, users, directorOverrides: ringOverrides(dir, tuning) });
  return { cluster, admin: await adminCert(cluster) };
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `mail-director ARGS --director D` with the admin certificate, in this process. */
export async function cli(ring: Ring, director: DirectorHandle, ...args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const address = director.address('grpc');
  assert.ok(address !== null, `${director.id} has no gRPC port`);
  const code = await cliMain([...args, '--director', address, ...cliTlsArgs(ring.cluster, ring.admin)], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: {},
  });
  return { code, stdout, stderr };
}

/** Run a --json subcommand that must succeed; its parsed output. */
export async function cliJson<T>(ring: Ring, director: DirectorHandle, ...args: string[]): Promise<T> {
  const r = await cli(ring, director, ...args, '--json');
  assert.equal(r.code, 0, `${args.join(' ')} on ${director.id}: exit ${r.code}: ${r.stderr}`);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 1, '--json prints one line');
  return JSON.parse(lines[0] ?? '') as T;
}

export interface WhereJson {
  readonly user: string;
  readonly reason: string;
  readonly backend: string;
  readonly host: string;
  readonly sessions: ReadonlyArray<{ director: string; backend: string; backend_host: string; sessions: number }>;
}

export interface StatusJson {
  readonly director_id: string;
  readonly ring: { directors_live: number; directors_total: number; clock: number };
  readonly backends: ReadonlyArray<{
    id: string;
    host: string;
    weight: number;
    tag: string;
    ports: Record<string, number>;
    state: string;
    admin: string;
    voters: number;
    down_votes: number;
    sessions: number;
    users: number;
  }>;
}

export interface RingJson {
  readonly director_id: string;
  readonly directors: ReadonlyArray<{ id: string; address: string; self: boolean; state: 'live' | 'dead'; last_heard_ms: number; link_open: boolean }>;
}

/** Poll until `check` returns a value (not undefined); fails after `timeoutMs`. */
export async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${last instanceof Error ? ` (${last.message})` : ''}`);
    await sleep(50);
  }
}

/** Log in through `director`; the backend whose log shows the login. */
export async function loginLands(cluster: Cluster, u: ClusterUser, director: DirectorHandle): Promise<string> {
  const before = await loginCounts(cluster.backends, u.name);
  const { client } = await openImap(director);
  try {
    const reply = await login(client, u.name, u.password);
    assert.match(reply, /^a1 OK /, `login of ${u.name} via ${director.id}`);
    return await landedOn(cluster.backends, u.name, before);
  } finally {
    client.close();
  }
}

/** The ring's i-th director (d1 is 0). */
export function directorById(ring: Ring, id: string): DirectorHandle {
  const d = ring.cluster.directors.find((x) => x.id === id);
  assert.ok(d, id);
  return d;
}

export function directorAt(ring: Ring, i: number): DirectorHandle {
  const d = ring.cluster.directors[i];
  assert.ok(d, `director ${i}`);
  return d;
}

/**
 * I1 (docs/invariants.md) from the backends' logs: per session a login→logout interval (an
 * open one runs to the end of time); the user's intervals on different
 * backends must never overlap. Times are Dovecot's fixed-width local
 * timestamps, so they compare as strings.
 */
export async function assertNeverOnTwo(cluster: Cluster, user: string): Promise<number> {
  const intervals: Array<{ backend: string; from: string; to: string }> = [];
  for (const b of cluster.backends) {
    const open = new Map<string, string>();
    for (const e of await b.loginEvents()) {
      if (e.user !== user) continue;
      if (e.event === 'login') open.set(e.session, e.time);
      else {
        const from = open.get(e.session);
        if (from !== undefined) intervals.push({ backend: b.id, from, to: e.time });
        open.delete(e.session);
      }
    }
    for (const from of open.values()) intervals.push({ backend: b.id, from, to: '9999' });
  }
  for (const a of intervals) {
    for (const b of intervals) {
      if (a.backend >= b.backend) continue;
      const overlap = a.from < b.to && b.from < a.to;
      assert.ok(!overlap, `${user} on ${a.backend} [${a.from} – ${a.to}] and ${b.backend} [${b.from} – ${b.to}] at once`);
    }
  }
  return intervals.length;
}

/** A logged-in IMAP session of `u` through `d`, and the backend it landed on. */
export async function openSession(cluster: Cluster, u: ClusterUser, d: DirectorHandle): Promise<{ client: LineClient; backend: string }> {
  const before = await loginCounts(cluster.backends, u.name);
  const { client } = await openImap(d);
  const reply = await login(client, u.name, u.password);
  assert.match(reply, /^a1 OK /, `login of ${u.name} via ${d.id}`);
  return { client, backend: await landedOn(cluster.backends, u.name, before) };
}

/** Wait until the director closed the client; the lines it sent last (BYE). */
export async function closedBy(client: LineClient, timeoutMs: number): Promise<string[]> {
  await client.waitClosed(timeoutMs);
  const lines: string[] = [];
  for (;;) {
    try {
      lines.push(await client.line(100));
    } catch {
      return lines;
    }
  }
}
