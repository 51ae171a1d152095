// Moves across a three-director ring (I1, I5 in docs/invariants.md): ring users stay where
// their sessions are when the ring changes; an LDAP host change or
// `user move` ends the old sessions on every director, and new logins wait
// for that, then go to the new backend. The backends' own login logs must
// never show the user on two backends at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterUser } from '../../harness/cluster.js';
import type { DirectorHandle } from '../../harness/director.js';
import type { DovecotHandle } from '../../harness/dovecot.js';
import type { LineClient } from '../support/line-client.js';
import { landedOn, login, loginCounts, openImap } from '../director/imap-support.js';
import { assertNeverOnTwo, cli, cliJson, closedBy, openSession, directorAt, loginLands, startRing, until, type Ring, type WhereJson } from './ring-support.js';

let dir: string;
let ring: Ring;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-ring-moves-'));
  ring = await startRing(dir);
});

after(async () => {
  await ring?.cluster.stop();
  await rm(dir, { recursive: true, force: true });
});

function director(i: number): DirectorHandle {
  return directorAt(ring, i);
}

function backend(id: string): DovecotHandle {
  const b = ring.cluster.backends.find((x) => x.id === id);
  assert.ok(b, `backend ${id}`);
  return b;
}

async function where(u: ClusterUser, d: DirectorHandle): Promise<WhereJson> {
  return cliJson<WhereJson>(ring, d, 'user', 'where', u.name);
}

/** Nobody (on any live director) holds a session of the user, as `user where` on `d` sees it. */
async function noSessions(u: ClusterUser, d: DirectorHandle): Promise<void> {
  await until(`${u.name} has no sessions (seen by ${d.id})`, 5000, async () => ((await where(u, d)).sessions.length === 0 ? true : undefined));
}

test('a ring user with a live session stays on its backend through weight changes; afterwards it follows the hash', async () => {
  const u = ring.cluster.usersOfKind('ring')[0];
  assert.ok(u);
  const home = (await where(u, director(0))).backend;
  const { client, backend: landed } = await openSession(ring.cluster, u, director(0));
  assert.equal(landed, home);
  // The backend takes no new users: the hash now sends this user elsewhere.
  await cliJson(ring, director(1), 'backend', 'weight', home, '0');
  try {
    for (const d of [director(1), director(2)]) {
      await until(`${d.id} sees ${u.name}'s session`, 3000, async () => ((await where(u, d)).sessions.length > 0 ? true : undefined));
      assert.equal(await loginLands(ring.cluster, u, d), home, `login via ${d.id} stays with the live session`);
    }
    // The logins just made through d2 and d3 have ended; their presence tombstones are gossiped.
    const w = await until('only the held session is left', 3000, async () => {
      const now = await where(u, director(2));
      return now.sessions.length === 1 ? now : undefined;
    });
    assert.equal(w.backend, home, 'user where explains the sticky placement');
    assert.deepEqual(w.sessions.map((s) => [s.director, s.backend]), [['d1', home]]);

    client.write('z LOGOUT\r\n');
    await closedBy(client, 5000);
    await noSessions(u, director(1));
    const next = await loginLands(ring.cluster, u, director(1));
    assert.notEqual(next, home, 'with no session left the user follows the hash');
    assert.equal(await loginLands(ring.cluster, u, director(2)), next);
  } finally {
    client.close(); // a failure above must not leave a session for the next tests
    await cliJson(ring, director(0), 'backend', 'weight', home, '100');
  }
  assert.ok((await assertNeverOnTwo(ring.cluster, u.name)) >= 4);
});

test('backend flush sends users kept there by their sessions to the ring placement, ring-wide', async () => {
  const u = ring.cluster.usersOfKind('ring')[2];
  assert.ok(u);
  const home = (await where(u, director(0))).backend;
  const s1 = await openSession(ring.cluster, u, director(0));
  const s2 = await openSession(ring.cluster, u, director(1));
  assert.deepEqual([s1.backend, s2.backend], [home, home]);
  await cliJson(ring, director(1), 'backend', 'weight', home, '0');
  try {
    await until("d3 sees both sessions", 3000, async () => ((await where(u, director(2))).sessions.length === 2 ? true : undefined));
    // Sticky: still home while sessions live.
    assert.equal((await where(u, director(2))).backend, home);
    const flush = await cliJson<{ action: string; moved_users: number }>(ring, director(2), 'backend', 'flush', home);
    assert.equal(flush.action, 'flush');
    assert.equal(flush.moved_users, 1);
    // Both directors end their sessions of the user; the next login goes where the hash says.
    await Promise.all([closedBy(s1.client, 5000), closedBy(s2.client, 5000)]);
    await noSessions(u, director(0));
    const next = await loginLands(ring.cluster, u, director(0));
    assert.notEqual(next, home);
  } finally {
    s1.client.close();
    s2.client.close();
    await cliJson(ring, director(0), 'backend', 'weight', home, '100');
  }
  assert.ok((await assertNeverOnTwo(ring.cluster, u.name)) >= 3);
});

test('ldapmodify of the host with sessions through two directors: old sessions end, new logins wait, then reach the new host; never on two backends', async () => {
  const u = ring.cluster.usersOfKind('host')[0];
  assert.ok(u && u.backend !== undefined);
  const oldId = u.backend;
  const s1 = await openSession(ring.cluster, u, director(0));
  const s2 = await openSession(ring.cluster, u, director(1));
  assert.equal(s1.backend, oldId);
  assert.equal(s2.backend, oldId);
  const target = ring.cluster.backends.find((b) => b.id !== oldId);
  assert.ok(target);

  const beforeMove = await loginCounts(ring.cluster.backends, u.name);
  const modifiedAt = Date.now();
  await ring.cluster.slapd.modifyUser(u.name, { mailHost: target.host });
  // A login right away through the third director: it must wait for the old sessions, not fail.
  const { client: c3 } = await openImap(director(2));
  const login3 = login(c3, u.name, u.password).then((reply) => ({ reply, at: Date.now() }));
  const ended = await Promise.all(
    [s1.client, s2.client].map(async (c) => {
      const lines = await closedBy(c, 10_000);
      return { lines, at: Date.now() };
    }),
  );
  const endedMs = Math.max(...ended.map((e) => e.at)) - modifiedAt;
  for (const e of ended) assert.ok(e.lines.some((l) => /^\* BYE /.test(l)), `the client is told: ${JSON.stringify(e.lines)}`);
  const l3 = await login3;
  assert.match(l3.reply, /^a1 OK /, 'the waiting login completes');
  process.stderr.write(`# ldapmodify → old sessions on d1, d2 ended after ${endedMs} ms; d3's login answered after ${l3.at - modifiedAt} ms\n`);
  assert.ok(endedMs < 5000, `old sessions ended after ${endedMs} ms`);

  assert.equal(await landedOn(ring.cluster.backends, u.name, beforeMove), target.id, "d3's login reached the new host");
  for (const d of [director(0), director(1)]) assert.equal(await loginLands(ring.cluster, u, d), target.id);
  c3.write('z LOGOUT\r\n');
  await closedBy(c3, 5000);
  assert.ok((await assertNeverOnTwo(ring.cluster, u.name)) >= 5);
});

test('user move --to ends the sessions on every director, the next login goes there, and --json says what happened', async () => {
  const u = ring.cluster.usersOfKind('ring')[1];
  assert.ok(u);
  const from = (await where(u, director(0))).backend;
  const s1 = await openSession(ring.cluster, u, director(0));
  const s2 = await openSession(ring.cluster, u, director(1));
  const to = ring.cluster.backends.find((b) => b.id !== from);
  assert.ok(to);
  const started = Date.now();
  const moved = await cliJson<Record<string, unknown>>(ring, director(2), 'user', 'move', u.name, '--to', to.id, '--delay', '0s');
  const tookMs = Date.now() - started;
  assert.deepEqual(Object.keys(moved).sort(), ['complete', 'delay_until_ms', 'from', 'kicked', 'to', 'to_host', 'user', 'waited_ms']);
  assert.equal(moved['user'], u.name);
  assert.equal(moved['from'], from);
  assert.equal(moved['to'], to.id);
  assert.equal(moved['to_host'], to.host);
  assert.equal(moved['kicked'], 2);
  assert.equal(moved['complete'], true);
  assert.equal(typeof moved['waited_ms'], 'number');
  assert.ok((moved['waited_ms'] as number) <= tookMs);
  assert.ok(Math.abs((moved['delay_until_ms'] as number) - started) < 3000);
  process.stderr.write(`# user move: answered after ${tookMs} ms (waited_ms ${String(moved['waited_ms'])})\n`);
  // When the command answers, the sessions are over.
  for (const s of [s1, s2]) await closedBy(s.client, 2000);
  const w = await where(u, director(0));
  assert.equal(w.reason, 'ldap_host');
  assert.equal(w.backend, to.id);
  assert.equal(await loginLands(ring.cluster, u, director(0)), to.id);
  assert.equal(await loginLands(ring.cluster, u, director(1)), to.id);
  await assertNeverOnTwo(ring.cluster, u.name);
});

test('user move: unknown backend or user is refused; a login held by a move completes once the old session is gone', async () => {
  const u = ring.cluster.usersOfKind('host')[1];
  assert.ok(u && u.backend !== undefined);
  const refused = await cli(ring, director(0), 'user', 'move', u.name, '--to', 'nope', '--json');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /unknown backend/);
  const missing = await cli(ring, director(0), 'user', 'move', 'nobody-here', '--to', u.backend, '--json');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no such user/);

  // The old session sits on d1; a login through d2 after the host changed is held (logged), then served.
  const oldId = u.backend;
  const s1 = await openSession(ring.cluster, u, director(0));
  const target = ring.cluster.backends.find((b) => b.id !== oldId);
  assert.ok(target);
  // d2 must know of the session (gossiped presence) before the login it should hold.
  await until(`d2 sees ${u.name}'s session`, 3000, async () => ((await where(u, director(1))).sessions.length > 0 ? true : undefined));
  await ring.cluster.slapd.modifyUser(u.name, { mailHost: target.host });
  const { client } = await openImap(director(1));
  const reply = await login(client, u.name, u.password);
  assert.match(reply, /^a1 OK /, 'held, not refused');
  await closedBy(s1.client, 5000);
  const logged = async (d: DirectorHandle, ...parts: string[]): Promise<boolean> =>
    (await readFile(d.logFile, 'utf8')).split('\n').some((l) => parts.every((p) => l.includes(p)));
  // Log lines are written asynchronously: give them a moment.
  const explained = await until('the hold (or the watcher kick) in the logs', 3000, async () => {
    const held = await logged(director(1), 'login held: user has sessions on another backend', `"user":"${u.name}"`);
    // d1's own change watcher (every change_poll) may, rarely, have ended the session first.
    const kickedByWatcher = await logged(director(0), 'ending sessions of a moved user', 'LDAP entry changed', `"user":"${u.name}"`);
    return held || kickedByWatcher ? true : undefined;
  }).catch(() => false);
  assert.ok(explained, 'd2 held the login until the old session was gone');
  client.write('z LOGOUT\r\n');
  await closedBy(client, 5000);
  await assertNeverOnTwo(ring.cluster, u.name);
  assert.ok(backend(target.id));
});

test('ldapmodify alone (no login anywhere) ends the old sessions within change_poll', async () => {
  const u = ring.cluster.usersOfKind('host')[2];
  assert.ok(u && u.backend !== undefined);
  const s1 = await openSession(ring.cluster, u, director(0));
  const s3 = await openSession(ring.cluster, u, director(2));
  const target = ring.cluster.backends.find((b) => b.id !== u.backend);
  assert.ok(target);
  const modifiedAt = Date.now();
  await ring.cluster.slapd.modifyUser(u.name, { mailHost: target.host });
  await Promise.all([s1, s3].map((s) => closedBy(s.client, 6000)));
  const endedMs = Date.now() - modifiedAt;
  process.stderr.write(`# ldapmodify alone → sessions on d1, d3 ended after ${endedMs} ms (change_poll 2 s)\n`);
  assert.ok(endedMs < 4000, `ended after ${endedMs} ms`);
  assert.equal(await loginLands(ring.cluster, u, director(1)), target.id);
  await assertNeverOnTwo(ring.cluster, u.name);
});

test('a backend added: users with live sessions stay where they are; new logins spread onto it', async () => {
  const b3 = backend('b3');
  const users = ring.cluster.usersOfKind('ring').slice(0, 6);
  const open: Array<{ u: ClusterUser; client: LineClient; home: string }> = [];
  for (const u of users) {
    const home = (await where(u, director(0))).backend;
    const { client } = await openSession(ring.cluster, u, director(0));
    open.push({ u, client, home });
  }
  // b9 is a second ring entry for b3's server, heavy enough to draw most hashes.
  const ports = ['--imap-port', String(b3.imap), '--pop3-port', String(b3.pop3)];
  await cliJson(ring, director(1), 'backend', 'add', 'b9', b3.host, '--weight', '5000', ...ports);
  try {
    // A new backend takes users once the probes found it up.
    await until('b9 probed up on d2', 5000, async () => {
      const s = await cliJson<{ backends: Array<{ id: string; state: string }> }>(ring, director(1), 'status');
      return s.backends.some((b) => b.id === 'b9' && b.state === 'up') ? true : undefined;
    });
    for (const { u, home } of open) {
      await until(`${u.name}'s session seen by d3`, 3000, async () => ((await where(u, director(2))).sessions.length > 0 ? true : undefined));
      assert.equal((await where(u, director(2))).backend, home, `${u.name} stays with its live session`);
    }
    const other = open.find((o) => o.home !== 'b3');
    if (other !== undefined) assert.equal(await loginLands(ring.cluster, other.u, director(2)), other.home, 'a new login follows the live session');

    for (const { client } of open) {
      client.write('z LOGOUT\r\n');
      await closedBy(client, 5000);
    }
    for (const { u } of open) await noSessions(u, director(1));
    const now = await Promise.all(open.map(async ({ u }) => (await where(u, director(1))).backend));
    assert.ok(now.includes('b9'), `with no sessions left, users spread onto the new backend: ${now.join(', ')}`);
  } finally {
    for (const { client } of open) client.close();
    await cliJson(ring, director(0), 'backend', 'remove', 'b9');
  }
  for (const { u } of open) assert.ok((await assertNeverOnTwo(ring.cluster, u.name)) >= 1);
});
