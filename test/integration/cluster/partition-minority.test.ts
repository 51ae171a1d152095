// A director cut off from the majority while its clients still reach it
// (its director links run through fault relays; its client ports do not):
// it ends its sessions and refuses logins with Dovecot's temporary failure,
// and the user never has sessions on a backend other than where the
// majority puts them (I1 in docs/invariants.md, docs/ring-protocol.md),
// read from the backends' own logs. A link that drops only the cut-off
// director's direction (it still hears the others) fences it too.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command, loginOnce } from '../director/imap-support.js';
import { closedBy, cliJson, directorById, loginLands, openSession, until, type WhereJson } from './ring-support.js';
import { assertNoOverlap, startFaultyRing, stopFaultyRing, type FaultyRing } from './partition-support.js';

let dir: string;
let ring: FaultyRing;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-partition-minority-'));
  // A short hold, so the majority may move d3's users within the test.
  ring = await startFaultyRing(dir, { presenceHold: '6s' });
});

after(async () => {
  await stopFaultyRing(ring);
  await rm(dir, { recursive: true, force: true });
});

async function waitServing(id: string, user: { name: string; password: string }): Promise<void> {
  const d = directorById(ring, id);
  await until(`${id} serves`, 15_000, async () => ((await loginOnce(d, user.name, user.password)).startsWith('OK ') ? true : undefined));
}

test('cut off from both peers: its sessions end, its logins tempfail, and the majority moves the user only after the old session is gone', async () => {
  const [u, probe] = ring.cluster.usersOfKind('ring');
  assert.ok(u !== undefined && probe !== undefined);
  const [d1, d3] = [directorById(ring, 'd1'), directorById(ring, 'd3')];
  await waitServing('d3', probe);
  const held = await openSession(ring.cluster, u, d3);

  ring.faults.isolate('d3');
  const cutAt = Date.now();
  // d3 hears nobody and nobody acknowledges it: it ends the session (BYE) itself.
  const bye = await closedBy(held.client, 10_000);
  assert.ok(bye.some((l) => l.startsWith('* BYE ')), JSON.stringify(bye));
  const fencedAfterMs = Date.now() - cutAt;
  // Its clients still reach it; it answers them with Dovecot's temporary failure.
  const refused = await loginOnce(d3, probe.name, probe.password);
  assert.match(refused, /^NO \[UNAVAILABLE\]/, refused);

  // The majority keeps the user where d3 had them while d3 may still be live there...
  assert.equal(await loginLands(ring.cluster, u, d1), held.backend);
  // ...and a move ordered now waits out d3's presence hold before the new backend.
  const to = ring.cluster.backends.find((b) => b.id !== held.backend);
  assert.ok(to !== undefined);
  const moved = await cliJson<unknown>(ring, d1, 'user', 'move', u.name, '--to', to.id);
  assert.ok(moved !== undefined);
  const landed = await loginLands(ring.cluster, u, d1);
  assert.equal(landed, to.id);

  ring.faults.healAll();
  await waitServing('d3', probe);
  await assertNoOverlap(ring);
  const where = await cliJson<WhereJson>(ring, d1, 'user', 'where', u.name);
  assert.ok(where.sessions.every((s) => s.director !== 'd3'), JSON.stringify(where.sessions));
  process.stdout.write(`# d3 ended its session ${fencedAfterMs} ms after the cut\n`);
});

test('only its own direction dropped (it still hears the others): it fences itself all the same', async () => {
  const users = ring.cluster.usersOfKind('ring');
  const u = users[2];
  const probe = users[3];
  assert.ok(u !== undefined && probe !== undefined);
  const d3 = directorById(ring, 'd3');
  await waitServing('d3', probe);
  const held = await openSession(ring.cluster, u, d3);
  ring.faults.drop('d3', 'd1');
  ring.faults.drop('d3', 'd2');
  try {
    const bye = await closedBy(held.client, 10_000);
    assert.ok(bye.some((l) => l.startsWith('* BYE ')), JSON.stringify(bye));
    const refused = await loginOnce(d3, probe.name, probe.password);
    assert.match(refused, /^NO \[UNAVAILABLE\]/, refused);
    // d3 does hear its peers: the ring CLI on d3 still shows them live.
    const r = await cliJson<{ directors: Array<{ id: string; state: string }> }>(ring, d3, 'ring');
    assert.deepEqual(r.directors.filter((d) => d.state === 'live').map((d) => d.id).sort(), ['d1', 'd2', 'd3']);
  } finally {
    ring.faults.healAll();
  }
  await waitServing('d3', probe);
  const again = await openSession(ring.cluster, u, d3);
  await command(again.client, 'a2', 'LOGOUT');
  again.client.close();
  await assertNoOverlap(ring);
});
