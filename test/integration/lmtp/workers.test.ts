// LMTP through a director whose mail ports are served by worker processes
// (`director.workers: 2`; the primary opens no mail port): each recipient is
// placed by the primary over IPC (sticky, awaitExclusive) as a login is,
// delivered once, to the backend the ring names, over the TCP port and the
// shared unix socket alike; a transaction in flight is one of the user's
// sessions ring-wide until it ends.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type ClusterUser } from '../../harness/cluster.js';
import type { DirectorHandle } from '../../harness/director.js';
import { adminCert, ringOverrides } from '../../harness/ring.js';
import { LineClient } from '../support/line-client.js';
import { cliJson, directorById, until, type Ring, type WhereJson } from '../cluster/ring-support.js';

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

/** One whole reply's last line (multi-line replies end with `ddd `). */
async function reply(client: LineClient): Promise<string> {
  for (;;) {
    const line = await client.line(30_000);
    if (/^\d{3}( |$)/.test(line)) return line;
  }
}

/** Greeted and LHLO'd, over the TCP port or the unix socket. */
async function openLmtp(d: DirectorHandle, via: 'port' | 'socket'): Promise<LineClient> {
  let client: LineClient;
  if (via === 'port') {
    assert.ok(d.lmtp !== null);
    client = await LineClient.connect(d.host, d.lmtp);
  } else {
    assert.ok(d.lmtpSocket !== null);
    client = await LineClient.connectUnix(d.lmtpSocket);
  }
  assert.match(await reply(client), /^220 /);
  client.write('LHLO mta.example.org\r\n');
  assert.match(await reply(client), /^250 /);
  return client;
}

/** MAIL, RCPTs and DATA pipelined in one write, as Postfix does; every recipient must be accepted. */
async function beginTransaction(client: LineClient, users: readonly ClusterUser[]): Promise<void> {
  client.write(Buffer.from([`MAIL FROM:<mta@example.org>`, ...users.map((u) => `RCPT TO:<${u.name}@example.org>`), 'DATA', ''].join('\r\n')));
  assert.match(await reply(client), /^250 /);
  for (const u of users) assert.match(await reply(client), /^250 /, `RCPT ${u.name}`);
  assert.match(await reply(client), /^354 /);
}

/** The rest of the message and the end line: one `250 … Saved` per recipient, in RCPT order. */
async function endTransaction(client: LineClient, users: readonly ClusterUser[], text: string): Promise<void> {
  client.write(Buffer.from(`${text}.\r\n`));
  for (const u of users) assert.match(await reply(client), new RegExp(`^250 2\\.0\\.0 <${u.name}@example\\.org> \\S+ Saved$`));
}

async function deliver(d: DirectorHandle, via: 'port' | 'socket', users: readonly ClusterUser[], subject: string): Promise<void> {
  const client = await openLmtp(d, via);
  try {
    await beginTransaction(client, users);
    await endTransaction(client, users, `Subject: ${subject}\r\n\r\nthrough a worker\r\n`);
    client.write('QUIT\r\n');
    assert.match(await reply(client), /^221 /);
  } finally {
    client.close();
  }
}

/** Backend ids whose maildir for `user` holds a message with `subject` (counted once per message file). */
async function holders(user: string, subject: string): Promise<string[]> {
  const out: string[] = [];
  for (const b of ring.cluster.backends) {
    for (const sub of ['new', 'cur']) {
      const folder = join(b.dir, 'mail', user, sub);
      if (!existsSync(folder)) continue;
      for (const file of await readdir(folder)) {
        // Maildir files end their lines in LF.
        if ((await readFile(join(folder, file), 'latin1')).includes(`\nSubject: ${subject}\n`)) out.push(b.id);
      }
    }
  }
  return out;
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
  await Promise.all(singles.map((u, i) => deliver(d1, 'port', [u], `one ${tag} ${i}`)));
  // One transaction for ring and host users on both backends, through the socket both workers share.
  const group = [...ringUsers.slice(8, 10), ...hostUsers.slice(0, 2)];
  const backends = new Set(await Promise.all(group.map((u) => backendOf(u.name))));
  assert.equal(backends.size, 2, 'the group spans both backends');
  await deliver(d1, 'socket', group, `group ${tag}`);

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
    await beginTransaction(client, [u]);
    client.write(Buffer.from('Subject: in flight\r\n\r\nthe first half,\r\n'));
    // The primary claimed the recipient for the worker; the peer director sees the claim.
    await until('d2 sees d1 holding the recipient', 10_000, async () => {
      const where = await cliJson<WhereJson>(ring, d2, 'user', 'where', u.name);
      return where.sessions.some((s) => s.director === 'd1' && s.backend === backend && s.sessions === 1) ? true : undefined;
    });
    await endTransaction(client, [u], 'and the second.\r\n');
    await until('the claim ends with the transaction', 10_000, async () => {
      const where = await cliJson<WhereJson>(ring, d2, 'user', 'where', u.name);
      return where.sessions.length === 0 ? true : undefined;
    });
  } finally {
    client.close();
  }
  assert.deepEqual(await holders(u.name, 'in flight'), [backend]);
});
