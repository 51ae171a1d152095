// Failures in a three-director ring: a backend dies (I3 in docs/invariants.md: out of every
// director's ring within 3 s, its users placed elsewhere), a director is
// killed and restarted (it rejoins, catches up on what it missed, and routes
// as the others do; clients of the other directors carry on).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DirectorHandle } from '../../harness/director.js';
import { command, login, openImap } from '../director/imap-support.js';
import { directorAt, cliJson, loginLands, startRing, until, type Ring, type RingJson, type StatusJson, type WhereJson } from './ring-support.js';

let dir: string;
let ring: Ring;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-ring-failure-'));
  ring = await startRing(dir);
});

after(async () => {
  await ring?.cluster.stop();
  await rm(dir, { recursive: true, force: true });
});

function director(i: number): DirectorHandle {
  return directorAt(ring, i);
}

async function downOn(d: DirectorHandle, backend: string): Promise<boolean> {
  const s = await cliJson<StatusJson>(ring, d, 'status');
  return s.backends.find((b) => b.id === backend)?.state === 'down';
}

test('a killed backend leaves every director\'s ring within 3 s; its ring users log in elsewhere, all directors agree', async () => {
  const ringUsers = ring.cluster.usersOfKind('ring');
  // A backend that holds ring users, and those users.
  const homes = new Map<string, string[]>();
  for (const u of ringUsers) {
    const w = await cliJson<WhereJson>(ring, director(0), 'user', 'where', u.name);
    homes.set(w.backend, [...(homes.get(w.backend) ?? []), u.name]);
  }
  const [victimId, victims] = [...homes].sort((a, b) => b[1].length - a[1].length)[0] ?? ['', []];
  assert.ok(victims.length > 0);
  const victim = ring.cluster.backends.find((b) => b.id === victimId);
  assert.ok(victim);

  const killedAt = Date.now();
  await victim.stop();
  const noticed: Record<string, number> = {};
  await Promise.all(
    ring.cluster.directors.map(async (d) => {
      await until(`${d.id} takes ${victimId} out`, 3000, async () => ((await downOn(d, victimId)) ? true : undefined));
      noticed[d.id] = Date.now() - killedAt;
    }),
  );
  process.stderr.write(`# backend ${victimId} stopped → out of the ring on d1/d2/d3 after ${JSON.stringify(noticed)} ms\n`);
  for (const ms of Object.values(noticed)) assert.ok(ms <= 3000, `noticed after ${ms} ms`);

  // Out by the probes' majority, not by an operator.
  const s = await cliJson<StatusJson>(ring, director(1), 'status');
  const b = s.backends.find((x) => x.id === victimId);
  assert.equal(b?.admin, 'none');
  assert.equal(b?.voters, 3);
  assert.ok((b?.down_votes ?? 0) >= 2, `down votes ${b?.down_votes}/3`);

  for (const name of victims.slice(0, 3)) {
    const u = ringUsers.find((x) => x.name === name);
    assert.ok(u);
    const landed = new Set<string>();
    for (const d of ring.cluster.directors) landed.add(await loginLands(ring.cluster, u, d));
    assert.equal(landed.size, 1, `${name}: ${[...landed].join(', ')}`);
    assert.ok(!landed.has(victimId));
  }
});

test('a director killed and restarted rejoins, catches up on missed changes, and routes like the others', async () => {
  const d1 = director(0);
  const d3 = director(2);
  const u = ring.cluster.usersOfKind('ring')[0];
  assert.ok(u);

  // A client of d1 that must not notice d3's crash.
  const { client } = await openImap(d1);
  assert.match(await login(client, u.name, u.password), /^a1 OK /);

  const killedAt = Date.now();
  await d3.kill();
  await until('d1 sees d3 dead', 5000, async () => {
    const r = await cliJson<RingJson>(ring, d1, 'ring');
    return r.directors.find((m) => m.id === 'd3')?.state === 'dead' ? true : undefined;
  });
  const deadAfter = Date.now() - killedAt;

  // A change made while d3 is down: answered by the live ones only.
  const up = (await cliJson<StatusJson>(ring, d1, 'status')).backends.filter((b) => b.state === 'up').map((b) => b.id);
  const target = up[0];
  assert.ok(target !== undefined);
  const change = await cliJson<{ acked_by: string[]; not_acked: string[] }>(ring, d1, 'backend', 'weight', target, '300');
  assert.deepEqual([change.acked_by, change.not_acked], [['d2'], []]);

  assert.match((await command(client, 'n1', 'NOOP')).at(-1) ?? '', /^n1 OK/, "d1's client carries on");
  client.close();

  const restartedAt = Date.now();
  const again = await d3.restart();
  ring.cluster.directors[2] = again;
  // From the moment its ports answer: I2 (docs/invariants.md) gives the ring 2 s to converge.
  // The first link that opens carries state both ways (the dialer asks for the
  // peer's whole state in its Hello), so this does not wait for d1's and d2's
  // links to d3 to leave their backoff.
  const readyAt = Date.now();
  await until('d3 live on d1 and d2, d3 sees both, and d3 has the weight set while it was down', 8000, async () => {
    for (const d of ring.cluster.directors) {
      const r = await cliJson<RingJson>(ring, d, 'ring');
      if (!r.directors.every((m) => m.state === 'live')) return undefined;
    }
    const s = await cliJson<StatusJson>(ring, again, 'status');
    return s.backends.find((b) => b.id === target)?.weight === 300 ? true : undefined;
  });
  const caughtUpMs = Date.now() - readyAt;
  process.stderr.write(
    `# director d3 killed → dead on d1 after ${deadAfter} ms; restarted: process start → ports answer ${readyAt - restartedAt} ms, ports answer → live everywhere and caught up ${caughtUpMs} ms\n`,
  );
  assert.ok(caughtUpMs < 2000, `d3 converged ${caughtUpMs} ms after starting`);

  const s3 = await cliJson<StatusJson>(ring, again, 'status');
  const s1 = await cliJson<StatusJson>(ring, d1, 'status');
  assert.equal(s3.backends.find((b) => b.id === target)?.weight, 300);
  assert.deepEqual(s3.backends.map((b) => [b.id, b.weight, b.state]), s1.backends.map((b) => [b.id, b.weight, b.state]));

  for (const x of [...ring.cluster.usersOfKind('ring').slice(0, 4), ...ring.cluster.usersOfKind('host').slice(0, 2)]) {
    const w1 = await cliJson<WhereJson>(ring, d1, 'user', 'where', x.name);
    const w3 = await cliJson<WhereJson>(ring, again, 'user', 'where', x.name);
    assert.equal(w3.backend, w1.backend, `${x.name} placed alike`);
  }
  assert.equal(await loginLands(ring.cluster, u, again), await loginLands(ring.cluster, u, d1));
});
