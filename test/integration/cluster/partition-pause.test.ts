// A director paused with SIGSTOP keeps its sockets: its clients' sessions
// stay open on their backend, silent. While it is paused the user is moved
// and logs in through another director: that login must not reach the new
// backend while the paused director's session may still be open there
// (I1 in docs/invariants.md, docs/ring-protocol.md). The paused director's
// presence keeps counting for ring.gossip.presence_hold, so the login is
// held; once the director resumes it finds its peers' acknowledgements
// stale, ends its old sessions before relaying anything, and the held login
// goes on. Asserted from the backends' own logs (the chaos run's checker).
// (A pause longer than presence_hold is beyond this: docs/ring-protocol.md.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { command, landedOn, lastLine, login, loginCounts, loginOnce, openImap } from '../director/imap-support.js';
import { cli, cliJson, closedBy, directorById, openSession, until, type WhereJson } from './ring-support.js';
import { assertNoOverlap, startFaultyRing, stopFaultyRing, type FaultyRing } from './partition-support.js';

let dir: string;
let ring: FaultyRing;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-partition-pause-'));
  ring = await startFaultyRing(dir);
});

after(async () => {
  await stopFaultyRing(ring);
  if (process.env['KEEP_TEST_DIR'] === undefined) await rm(dir, { recursive: true, force: true });
});

test('a paused director resumes with old sessions: they end before the user is on another backend', async () => {
  const [u, probe] = ring.cluster.usersOfKind('ring');
  assert.ok(u !== undefined && probe !== undefined);
  const [d1, d3] = [directorById(ring, 'd1'), directorById(ring, 'd3')];
  await until('d3 serves', 15_000, async () => ((await loginOnce(d3, probe.name, probe.password)).startsWith('OK ') ? true : undefined));
  const old = await openSession(ring.cluster, u, d3);
  const to = ring.cluster.backends.find((b) => b.id !== old.backend);
  assert.ok(to !== undefined);

  d3.pause();
  let resumedAt = 0;
  try {
    // The others count d3 dead after dead_after (2 s), then the user is
    // moved. `user move` waits for the old sessions to end, so it runs on.
    await sleep(3000);
    const moving = cli(ring, d1, 'user', 'move', u.name, '--to', to.id);
    await until('d1 routes the user to the new backend', 10_000, async () => {
      const where = await cliJson<WhereJson>(ring, d1, 'user', 'where', u.name);
      return where.backend === to.id ? true : undefined;
    });
    const before = await loginCounts(ring.cluster.backends, u.name);
    const { client } = await openImap(d1);
    const pending = login(client, u.name, u.password);
    // Held: d3's session still counts while d3 is silent.
    await sleep(3000);
    if (client.buffered > 0) assert.fail(`the login through d1 was answered while d3 was paused: ${await client.line(100)}`);
    d3.resume();
    resumedAt = Date.now();
    const reply = await pending;
    assert.match(reply, /^a1 OK /, reply);
    const moved = await moving;
    assert.equal(moved.code, 0, moved.stderr);
    assert.equal(await landedOn(ring.cluster.backends, u.name, before), to.id);
    // d3 ended the old session when it resumed.
    const bye = await closedBy(old.client, 10_000);
    assert.ok(bye.length === 0 || bye.some((l) => l.startsWith('* BYE ')), JSON.stringify(bye));
    await command(client, 'a2', 'LOGOUT');
    client.close();
  } finally {
    d3.resume();
  }
  process.stdout.write(`# held login went on ${Date.now() - resumedAt} ms after SIGCONT (upper bound)\n`);
  const sessions = await assertNoOverlap(ring);
  const mine = sessions.filter((s) => s.user === u.name);
  assert.ok(mine.some((s) => s.backend === old.backend) && mine.some((s) => s.backend === to.id), JSON.stringify(mine));
});

test('a pause shorter than dead_after changes nothing: its sessions go on', async () => {
  const users = ring.cluster.usersOfKind('ring');
  const u = users[2];
  assert.ok(u !== undefined);
  const d2 = directorById(ring, 'd2');
  const s = await openSession(ring.cluster, u, d2);
  d2.pause();
  await sleep(800);
  d2.resume();
  const noop = lastLine(await command(s.client, 'a2', 'NOOP'));
  assert.match(noop, /^a2 OK /);
  await command(s.client, 'a3', 'LOGOUT');
  s.client.close();
  await assertNoOverlap(ring);
});
