// A ring of two directors split in half (here: d1 stopped with SIGSTOP, so
// its sockets stay open and silent). Neither is a majority; with
// ring.tie_breaker d1 only d1's side goes on: d2 ends its sessions and
// tempfails logins until it sees d1 again, so the split cannot put a user
// on two backends (I1 in docs/invariants.md).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster } from '../../harness/cluster.js';
import { ringOverrides } from '../../harness/ring.js';
import type { DirectorHandle } from '../../harness/director.js';
import { command, login, openImap } from '../director/imap-support.js';

let dir: string;
let cluster: Cluster;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-ring-two-'));
  const base = ringOverrides(dir);
  cluster = await startCluster({
    dir,
    directors: 2,
    backends: 2,
    users: 6,
    directorOverrides: (self, all) => {
      const o = base(self, all);
      return { ...o, ring: { ...(o['ring'] as Record<string, unknown>), tie_breaker: 'd1' } };
    },
  });
});

after(async () => {
  for (const d of cluster?.directors ?? []) {
    try {
      process.kill(d.pid, 'SIGCONT');
    } catch {
      // already gone
    }
  }
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function tryLogin(d: DirectorHandle, user: { name: string; password: string }): Promise<string> {
  const { client } = await openImap(d);
  try {
    const reply = await login(client, user.name, user.password);
    if (reply.startsWith('a1 OK')) await command(client, 'a2', 'LOGOUT');
    return reply;
  } finally {
    client.close();
  }
}

async function eventually(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('split of a ring of two: the director without the tie-breaker fences itself and serves again once healed', async () => {
  const [d1, d2] = cluster.directors as [DirectorHandle, DirectorHandle];
  const [u, v] = cluster.usersOfKind('host');
  assert.ok(u !== undefined && v !== undefined);
  // Until d2 has heard d1 it is alone without the tie-breaker, and fenced like in a split.
  await eventually('d2 to hear d1 and serve', 15_000, async () => (await tryLogin(d2, u)).startsWith('a1 OK'));
  const { client } = await openImap(d2);
  assert.match(await login(client, u.name, u.password), /^a1 OK /);
  process.kill(d1.pid, 'SIGSTOP');
  try {
    const bye = await client.until('* BYE', 10_000);
    assert.match(bye[bye.length - 1] ?? '', /^\* BYE /);
    assert.match(await tryLogin(d2, v), /^a1 NO \[UNAVAILABLE\]/);
  } finally {
    client.close();
    process.kill(d1.pid, 'SIGCONT');
  }
  await eventually('d2 to serve again', 15_000, async () => (await tryLogin(d2, v)).startsWith('a1 OK'));
});

test('the tie-breaker alone goes on when it loses the other director', async () => {
  const [d1, d2] = cluster.directors as [DirectorHandle, DirectorHandle];
  const [w] = cluster.usersOfKind('host');
  assert.ok(w !== undefined);
  process.kill(d2.pid, 'SIGSTOP');
  try {
    // Past dead_after (2 s): d1 has counted d2 dead and still serves.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.match(await tryLogin(d1, w), /^a1 OK /);
  } finally {
    process.kill(d2.pid, 'SIGCONT');
  }
});
