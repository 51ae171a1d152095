// A director cut off from the majority of a three-director ring (here: the
// other two stopped with SIGSTOP, so their sockets stay open and silent)
// is counted dead by them, and they would place its users elsewhere. It
// must end its sessions and hold no new logins until it sees a majority
// again (I1 in docs/invariants.md); a director that merely lost one peer goes on serving.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command, lastLine, login, openImap } from '../director/imap-support.js';
import { cliJson, startRing, until, type Ring, type RingJson } from './ring-support.js';

let dir: string;
let ring: Ring;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-ring-fence-'));
  ring = await startRing(dir);
});

after(async () => {
  for (const d of ring?.cluster.directors ?? []) {
    try {
      process.kill(d.pid, 'SIGCONT');
    } catch {
      // already gone
    }
  }
  await ring?.cluster.stop();
  await rm(dir, { recursive: true, force: true });
});

async function liveCount(): Promise<number> {
  const [d1] = ring.cluster.directors;
  assert.ok(d1 !== undefined);
  const r = await cliJson<RingJson>(ring, d1, 'ring');
  return r.directors.filter((d) => d.state === 'live').length;
}

async function tryLogin(user: { name: string; password: string }): Promise<string> {
  const [d1] = ring.cluster.directors;
  assert.ok(d1 !== undefined);
  const { client } = await openImap(d1);
  try {
    const reply = await login(client, user.name, user.password);
    if (reply.startsWith('a1 OK')) await command(client, 'a2', 'LOGOUT');
    return reply;
  } finally {
    client.close();
  }
}

test('one peer lost: still a majority, logins go on', async () => {
  const [d1, , d3] = ring.cluster.directors;
  assert.ok(d1 !== undefined && d3 !== undefined);
  const u = ring.cluster.usersOfKind('host')[0];
  assert.ok(u !== undefined);
  process.kill(d3.pid, 'SIGSTOP');
  try {
    await until('d1 counts d3 dead', 8000, async () => ((await liveCount()) === 2 ? true : undefined));
    assert.match(await tryLogin(u), /^a1 OK /);
  } finally {
    process.kill(d3.pid, 'SIGCONT');
  }
  await until('d3 live again', 8000, async () => ((await liveCount()) === 3 ? true : undefined));
});

test('cut off from the majority: sessions end, logins are refused as temporary, and it serves again once healed', async () => {
  const [d1, d2, d3] = ring.cluster.directors;
  assert.ok(d1 !== undefined && d2 !== undefined && d3 !== undefined);
  const [u, v] = ring.cluster.usersOfKind('host');
  assert.ok(u !== undefined && v !== undefined);
  const { client } = await openImap(d1);
  assert.match(await login(client, u.name, u.password), /^a1 OK /);
  process.kill(d2.pid, 'SIGSTOP');
  process.kill(d3.pid, 'SIGSTOP');
  try {
    // The session is ended with a BYE once d1 counts both peers dead.
    const bye = await client.until('* BYE', 10_000);
    assert.match(lastLine(bye), /^\* BYE /);
    const refused = await tryLogin(v);
    assert.match(refused, /^a1 NO \[UNAVAILABLE\]/, refused);
  } finally {
    process.kill(d2.pid, 'SIGCONT');
    process.kill(d3.pid, 'SIGCONT');
    client.close();
  }
  await until('the ring is whole again', 10_000, async () => ((await liveCount()) === 3 ? true : undefined));
  // Hearing the peers again is not enough: d1 serves once they have acknowledged its gossip again.
  await until('d1 serves again', 10_000, async () => ((await tryLogin(v)).startsWith('a1 OK ') ? true : undefined));
});

async function statusOf(d: { address(key: 'http'): string | null }): Promise<{ code: number; body: { fenced?: boolean; joining?: boolean } }> {
  const res = await fetch(`http://${d.address('http')}/status`);
  return { code: res.status, body: (await res.json()) as { fenced?: boolean; joining?: boolean } };
}

test('a director started while its peers are down holds logins until they are back; /status answers 503 meanwhile', async () => {
  const [d1, d2, d3] = ring.cluster.directors;
  assert.ok(d1 !== undefined && d2 !== undefined && d3 !== undefined);
  const u = ring.cluster.usersOfKind('ring')[0];
  assert.ok(u !== undefined);
  await Promise.all([d2.kill(), d3.kill(), d1.stop()]);
  const alone = await d1.restart();
  ring.cluster.directors[0] = alone;
  const status = await statusOf(alone);
  assert.equal(status.code, 503, JSON.stringify(status.body));
  assert.equal(status.body.fenced, true);
  assert.equal(status.body.joining, true);

  const { client } = await openImap(alone);
  try {
    client.write(`a1 LOGIN ${u.name} ${u.password}\r\n`);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(client.buffered, 0, 'no answer while the ring has not formed: the login is held, not refused');
    const started = Date.now();
    // Both, so the restarted directors know every member's state at once and need not wait out the grant TTL (cluster/claims.ts).
    [ring.cluster.directors[1], ring.cluster.directors[2]] = await Promise.all([d2.restart(), d3.restart()]);
    assert.match(lastLine(await client.until('a1 ', 15_000)), /^a1 OK /);
    process.stdout.write(`# held login went on ${Date.now() - started} ms after the other directors were started\n`);
    await command(client, 'a2', 'LOGOUT');
  } finally {
    client.close();
  }
  const serving = await statusOf(alone);
  assert.equal(serving.code, 200, JSON.stringify(serving.body));
  assert.equal(serving.body.joining, false);
  await until('the ring is whole again', 10_000, async () => ((await liveCount()) === 3 ? true : undefined));
});
