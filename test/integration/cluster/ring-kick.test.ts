// `user kick` across a ring of three directors (real slapd and Dovecot):
// ring-wide by default as Dovecot's `director kick`, `--local` for one
// director; each client reads the operator's reason; `status` counts the
// sessions and users per backend over the ring; an unknown user exits 67;
// a CLI without a client certificate is told the port wants one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main as cliMain } from '../../../src/cli/run.js';
import type { LineClient } from '../support/line-client.js';
import { lastLine, login, openImap } from '../director/imap-support.js';
import { cli, cliJson, directorAt, startRing, until, type Ring, type StatusJson, type WhereJson } from './ring-support.js';

let dir: string;
let ring: Ring;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-ring-kick-'));
  ring = await startRing(dir);
});

after(async () => {
  await ring?.cluster.stop();
  await rm(dir, { recursive: true, force: true });
});

test('user kick on a director without sessions ends them on the others, each client told the reason; --local does not', async () => {
  const [d1, d2, d3] = [directorAt(ring, 0), directorAt(ring, 1), directorAt(ring, 2)];
  const u = ring.cluster.usersOfKind('ring')[0];
  const other = ring.cluster.usersOfKind('ring')[1];
  assert.ok(u !== undefined && other !== undefined);
  const clients: LineClient[] = [];
  try {
    for (const d of [d2, d3, d3]) {
      const { client } = await openImap(d);
      assert.match(await login(client, u.name, u.password), /^a1 OK /);
      clients.push(client);
    }
    const { client: bystander } = await openImap(d2);
    assert.match(await login(bystander, other.name, other.password), /^a1 OK /);
    clients.push(bystander);

    const where = await cliJson<WhereJson>(ring, d1, 'user', 'where', u.name);
    const status = await until('d1 counts both users\' sessions ring-wide', 5000, async () => {
      const s = await cliJson<StatusJson>(ring, d1, 'status');
      return s.backends.reduce((n, b) => n + b.sessions, 0) === 4 ? s : undefined;
    });
    const home = status.backends.find((b) => b.id === where.backend);
    assert.ok(home !== undefined && home.sessions >= 3 && home.users >= 1, JSON.stringify(status.backends));
    assert.equal(status.backends.reduce((n, b) => n + b.users, 0), 2);

    const local = await cliJson<{ kicked: number }>(ring, d1, 'user', 'kick', u.name, '--local');
    assert.equal(local.kicked, 0, 'd1 holds none of them');
    assert.ok(!clients.some((c) => c.closed));

    const kicked = await cli(ring, d1, 'user', 'kick', u.name, '--reason', 'Moving your mailbox, back in 5 minutes');
    assert.equal(kicked.code, 0, kicked.stderr);
    assert.match(kicked.stdout, /: kicked 3 sessions\n/);
    assert.match(kicked.stdout, /^d2 +1$/m);
    assert.match(kicked.stdout, /^d3 +2$/m);
    for (const c of clients.slice(0, 3)) {
      assert.equal(lastLine(await c.until('* BYE', 5000)), '* BYE Moving your mailbox, back in 5 minutes');
      await c.waitClosed(5000);
    }
    assert.ok(!bystander.closed, "another user's session stays");
    await until('the ring sees no session of the user', 5000, async () => {
      const w = await cliJson<WhereJson>(ring, d1, 'user', 'where', u.name);
      return w.sessions.length === 0 ? true : undefined;
    });
  } finally {
    for (const c of clients) c.close();
  }
});

test('user where and user kick of a user the passdb does not know exit 67', async () => {
  const d1 = directorAt(ring, 0);
  const where = await cli(ring, d1, 'user', 'where', 'nobody-at-all');
  assert.equal(where.code, 67);
  assert.match(where.stdout, /^nobody-at-all: no such user in the passdb$/m);
  const kick = await cli(ring, d1, 'user', 'kick', 'nobody-at-all');
  assert.equal(kick.code, 67);
  assert.match(kick.stderr, /nobody-at-all does not exist in the passdb/);
});

test('a CLI without a client certificate is told the admin port wants one', async () => {
  const address = directorAt(ring, 0).address('grpc');
  assert.ok(address !== null);
  let stderr = '';
  const code = await cliMain(['status', '--director', address], { stdout: () => undefined, stderr: (t) => (stderr += t), env: {} });
  assert.equal(code, 2);
  assert.match(stderr, /requires mutual TLS \(grpc_tls\): pass --ca, --cert and --key/);
});
