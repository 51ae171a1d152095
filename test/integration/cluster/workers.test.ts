// A director with `workers: 2`: the mail ports are shared by two worker
// processes, while the primary keeps the ring, the admin port and the
// ring-wide presence. who/kick must see every worker, a peer director must
// see the workers' sessions, and a dead worker must not leave ghosts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { connect as tlsConnect } from 'node:tls';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster } from '../../harness/cluster.js';
import type { DirectorHandle } from '../../harness/director.js';
import { adminCert, ringOverrides } from '../../harness/ring.js';
import { metricSample, promtoolCheckMetrics } from '../../harness/promtool.js';
import type { LineClient } from '../support/line-client.js';
import { command, login, openImap } from '../director/imap-support.js';
import { cliJson, directorById, until, type Ring, type WhereJson } from './ring-support.js';

let dir: string;
let ring: Ring;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-workers-'));
  const base = ringOverrides(dir);
  const cluster = await startCluster({
    dir,
    directors: 2,
    backends: 2,
    users: 60,
    directorOverrides: (self, all) => (self.id === 'd1' ? { ...base(self, all), director: { workers: 2 } } : base(self, all)),
  });
  ring = { cluster, admin: await adminCert(cluster) };
});

after(async () => {
  await ring?.cluster.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The primary's worker processes. */
function workerPids(primary: number): number[] {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(primary)], { encoding: 'utf8' });
  return out.split('\n').map((l) => Number.parseInt(l.trim(), 10)).filter((n) => Number.isInteger(n));
}

function socketCount(pid: number): number {
  return Number.parseInt(execFileSync('sh', ['-c', `ls -l /proc/${pid}/fd | grep -c socket: || true`], { encoding: 'utf8' }).trim(), 10) || 0;
}

interface WhoJson {
  readonly sessions: ReadonlyArray<{ user: string; session_id: string }>;
}

async function openSessions(d: DirectorHandle, users: ReadonlyArray<{ name: string; password: string }>): Promise<LineClient[]> {
  const clients: LineClient[] = [];
  for (const u of users) {
    const { client } = await openImap(d);
    assert.match(await login(client, u.name, u.password), /^a1 OK /);
    clients.push(client);
  }
  return clients;
}

test('two workers share the ports; who, kick and the ring see every worker', async () => {
  const d1 = directorById(ring, 'd1');
  const d2 = directorById(ring, 'd2');
  assert.equal(workerPids(d1.pid).length, 2, 'd1 runs two workers');
  // A worker's greeting offers the backends' probed capabilities, as a single-process director does.
  const greetings = await Promise.all(
    [d1, d2].map(async (d) => {
      const { client, greeting } = await openImap(d);
      client.close();
      return greeting.replace(/^\* OK /, '');
    }),
  );
  assert.match(greetings[0] ?? '', /^\[CAPABILITY IMAP4rev1 .*\]/);
  assert.equal(greetings[0], greetings[1]);
  const users = ring.cluster.usersOfKind('host').slice(0, 8);
  assert.equal(users.length, 8);
  const clients = await openSessions(d1, users);
  try {
    // Whichever worker took each connection, the primary lists all of them.
    const who = await until('who lists all sessions', 5000, async () => {
      const w = await cliJson<WhoJson>(ring, d1, 'who');
      return w.sessions.length === users.length ? w : undefined;
    });
    assert.deepEqual([...new Set(who.sessions.map((s) => s.user))].sort(), users.map((u) => u.name).sort());

    // The peer director sees a worker's session in the ring-wide presence.
    const first = users[0];
    assert.ok(first !== undefined);
    await until('d2 sees d1 holding the session', 5000, async () => {
      const where = await cliJson<WhereJson>(ring, d2, 'user', 'where', first.name);
      return where.sessions.some((s) => s.director === 'd1' && s.sessions === 1) ? true : undefined;
    });

    // A kick on the primary reaches the worker that holds the session.
    const kicked = await cliJson<{ kicked: number }>(ring, d1, 'user', 'kick', first.name);
    assert.equal(kicked.kicked, 1);
    const firstClient = clients[0];
    assert.ok(firstClient !== undefined);
    await until('kicked client closed', 5000, async () => (firstClient.closed ? true : undefined));
    await until('d2 sees the session gone', 5000, async () => {
      const where = await cliJson<WhereJson>(ring, d2, 'user', 'where', first.name);
      return where.sessions.length === 0 ? true : undefined;
    });
  } finally {
    for (const c of clients) c.close();
  }
});

test("a killed worker's sessions leave who and the ring; a new worker takes its place", async () => {
  const d1 = directorById(ring, 'd1');
  const d2 = directorById(ring, 'd2');
  const users = ring.cluster.usersOfKind('host').slice(8, 14);
  assert.equal(users.length, 6);
  const baseline = new Map(workerPids(d1.pid).map((pid) => [pid, socketCount(pid)]));
  const clients = await openSessions(d1, users);
  try {
    await until('who lists the sessions', 5000, async () => ((await cliJson<WhoJson>(ring, d1, 'who')).sessions.length === users.length ? true : undefined));
    // The kernel spreads connections between the workers (SCHED_NONE), not always evenly: kill the busier one.
    const bySockets = workerPids(d1.pid)
      .map((pid) => ({ pid, added: socketCount(pid) - (baseline.get(pid) ?? 0) }))
      .sort((a, b) => b.added - a.added);
    const victim = bySockets[0]?.pid;
    const survivorHadSessions = (bySockets[1]?.added ?? 0) > 0;
    assert.ok(victim !== undefined && (bySockets[0]?.added ?? 0) > 0);
    process.kill(victim, 'SIGKILL');
    // Its sessions died with it; the other worker's stay, and stay listed.
    await until('the dead worker is gone from who', 5000, async () => {
      const open = clients.filter((c) => !c.closed).length;
      const listed = (await cliJson<WhoJson>(ring, d1, 'who')).sessions.length;
      return open < users.length && listed === open ? true : undefined;
    });
    if (survivorHadSessions) assert.ok(clients.some((c) => !c.closed), "the other worker's sessions survive");
    for (const [i, u] of users.entries()) {
      const c = clients[i];
      if (c === undefined || !c.closed) continue;
      await until(`d2 sees ${u.name}'s session gone`, 5000, async () => {
        const where = await cliJson<WhereJson>(ring, d2, 'user', 'where', u.name);
        return where.sessions.length === 0 ? true : undefined;
      });
    }
    await until('a replacement worker', 10_000, async () => (workerPids(d1.pid).length === 2 && !workerPids(d1.pid).includes(victim) ? true : undefined));
    // New logins work (on either worker).
    for (const u of users.slice(0, 4)) {
      const { client } = await openImap(d1);
      assert.match(await login(client, u.name, u.password), /^a1 OK /);
      await command(client, 'a2', 'LOGOUT');
      client.close();
    }
  } finally {
    for (const c of clients) c.close();
  }
});

/** Connects to the director's imaps port `times` times; how many resumed the first TLS session. */
async function tlsResumptions(d: DirectorHandle, times: number): Promise<number> {
  const port = d.imaps;
  assert.ok(port !== null);
  const ca = await readFile(ring.cluster.ca.cert);
  let session: Buffer | undefined;
  let reused = 0;
  for (let i = 0; i <= times; i++) {
    const socket = tlsConnect({ host: d.host, port, ca, servername: 'localhost', session, checkServerIdentity: () => undefined });
    const ticket = new Promise<Buffer>((resolve) => socket.once('session', resolve));
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    if (i > 0 && socket.isSessionReused()) reused++;
    // TLS 1.3 tickets come after the handshake, with the greeting.
    if (session === undefined) session = await ticket;
    socket.destroy();
  }
  return reused;
}

test('TLS sessions resume on every worker', async () => {
  const d1 = directorById(ring, 'd1');
  const d2 = directorById(ring, 'd2');
  assert.equal(await tlsResumptions(d1, 6), 6, 'resumed on both workers of d1');
  assert.equal(await tlsResumptions(d2, 3), 3, 'resumed on the single-process d2');
});

test("the primary's /metrics adds up its workers: login times, process series, sessions", async () => {
  const d1 = directorById(ring, 'd1');
  const scrape = async (): Promise<string> => (await fetch(`http://${d1.address('http') ?? ''}/metrics`)).text();
  const before = metricSample(await scrape(), 'maildirector_login_duration_seconds_count', { protocol: 'imap', result: 'ok' }) ?? 0;
  const users = ring.cluster.usersOfKind('host').slice(20, 24);
  const clients = await openSessions(d1, users);
  try {
    const text = await until('the primary counts the workers\' logins', 5000, async () => {
      const t = await scrape();
      return metricSample(t, 'maildirector_login_duration_seconds_count', { protocol: 'imap', result: 'ok' }) === before + users.length ? t : undefined;
    });
    const checked = await promtoolCheckMetrics(text);
    assert.equal(checked.code, 0, checked.output);
    assert.equal(checked.output.trim(), '');
    const sessions = text.split('\n').filter((l) => l.startsWith('maildirector_sessions{protocol="imap"'));
    assert.equal(sessions.reduce((n, l) => n + Number(l.split(' ').at(-1)), 0), users.length, sessions.join('; '));
    // Three processes' memory, each well over 10 MB: the workers are counted, not only the primary.
    assert.ok((metricSample(text, 'process_resident_memory_bytes', {}) ?? 0) > 3 * 10_000_000, 'resident memory of primary and workers');
    assert.ok((metricSample(text, 'maildirector_backend_connect_duration_seconds_count', { result: 'ok' }) ?? 0) >= users.length);
  } finally {
    for (const c of clients) c.close();
  }
});
