// LMTP through a director whose mail ports are served by worker processes
// (`director.workers: 2`; the primary opens no mail port): each recipient is
// placed by the primary over IPC (sticky, awaitExclusive) as a login is,
// delivered once, to the backend the ring names, over the TCP port and the
// shared unix socket alike; a transaction in flight is one of the user's
// sessions ring-wide until it ends.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster } from '../../harness/cluster.js';
import { adminCert, ringOverrides } from '../../harness/ring.js';
import { cliJson, directorById, until, type Ring, type WhereJson } from '../cluster/ring-support.js';
import { beginTransaction, deliver, endTransaction, openLmtp, storedOn } from './lmtp-support.js';

let dir: string;
let ring: Ring;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-lmtp-workers-'));
  const base = ringOverrides(dir);
  const cluster = await startCluster({
    dir,
    directors: 2,
    backends: 2,
    users: 30,
    lmtpSocket: true,
    directorOverrides: (self, all) => (self.id === 'd1' ? { ...base(self, all), director: { workers: 2 } } : base(self, all)),
  });
  ring = { cluster, admin: await adminCert(cluster) };
});

after(async () => {
  await ring?.cluster.stop();
  if (process.env['KEEP_TEST_DIR'] === undefined) await rm(dir, { recursive: true, force: true });
});

/** Backend ids holding a message of `user` with `subject`, one per stored copy. */
async function holders(user: string, subject: string): Promise<string[]> {
  return (await storedOn(ring.cluster.backends, user, subject)).map((m) => m.backend);
}

async function backendOf(user: string): Promise<string> {
  const where = await cliJson<WhereJson>(ring, directorById(ring, 'd2'), 'user', 'where', user);
  return where.backend;
}

test('recipients through the workers are delivered once, on the backend the ring names, by port and by unix socket', async () => {
  const d1 = directorById(ring, 'd1');
  const ringUsers = ring.cluster.usersOfKind('ring');
  const hostUsers = ring.cluster.usersOfKind('host');
  assert.ok(ringUsers.length >= 10 && hostUsers.length >= 2);
  const tag = randomBytes(4).toString('hex');
  // Eight MTA connections at once: the kernel hands them to either worker.
  const singles = ringUsers.slice(0, 8);
  await Promise.all(singles.map((u, i) => deliver(d1, [u.name], `one ${tag} ${i}`)));
  // One transaction for ring and host users on both backends, through the socket both workers share.
  const group = [...ringUsers.slice(8, 10), ...hostUsers.slice(0, 2)];
  const backends = new Set(await Promise.all(group.map((u) => backendOf(u.name))));
  assert.equal(backends.size, 2, 'the group spans both backends');
  await deliver(d1, group.map((u) => u.name), `group ${tag}`, 'socket');

  for (const [i, u] of singles.entries()) assert.deepEqual(await holders(u.name, `one ${tag} ${i}`), [await backendOf(u.name)], u.name);
  for (const u of group) assert.deepEqual(await holders(u.name, `group ${tag}`), [await backendOf(u.name)], u.name);
});

test('a transaction in flight through a worker is the user\'s session ring-wide until its message is delivered', async () => {
  const d1 = directorById(ring, 'd1');
  const d2 = directorById(ring, 'd2');
  const u = ring.cluster.usersOfKind('ring')[10];
  assert.ok(u !== undefined);
  const backend = await backendOf(u.name);
  const client = await openLmtp(d1, 'port');
  try {
    await beginTransaction(client, [u.name]);
    client.write(Buffer.from('Subject: in flight\r\n\r\nthe first half,\r\n'));
    // The primary claimed the recipient for the worker; the peer director sees the claim.
    await until('d2 sees d1 holding the recipient', 10_000, async () => {
      const where = await cliJson<WhereJson>(ring, d2, 'user', 'where', u.name);
      return where.sessions.some((s) => s.director === 'd1' && s.backend === backend && s.sessions === 1) ? true : undefined;
    });
    await endTransaction(client, [u.name], 'and the second.\r\n');
    await until('the claim ends with the transaction', 10_000, async () => {
      const where = await cliJson<WhereJson>(ring, d2, 'user', 'where', u.name);
      return where.sessions.length === 0 ? true : undefined;
    });
  } finally {
    client.close();
  }
  assert.deepEqual(await holders(u.name, 'in flight'), [backend]);
});
