import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster, type ClusterUser } from '../../harness/cluster.js';
import type { DirectorHandle } from '../../harness/director.js';
import type { DovecotHandle } from '../../harness/dovecot.js';
import { LineClient } from '../support/line-client.js';

// Backend trouble seen through a real director: a temporary failure quickly,
// never a hang, and a relayed session that loses its backend is closed.

const IMAP_UNAVAILABLE = 'NO [UNAVAILABLE] Account is temporarily unavailable.';
const POP3_UNAVAILABLE = '-ERR [SYS/TEMP] Account is temporarily unavailable.';

let dir: string;
let cluster: Cluster;
let director: DirectorHandle;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trouble-backend-'));
  cluster = await startCluster({ dir, backends: 2, directors: 1, users: 20 });
  director = cluster.directors[0] as DirectorHandle;
});

after(async () => {
  for (const b of cluster?.backends ?? []) b.resume();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Users whose LDAP host is this backend (routing bypasses the ring). */
function usersOn(id: string): ClusterUser[] {
  const users = cluster.usersOfKind('host').filter((u) => u.backend === id);
  assert.ok(users.length >= 2, `need two host users on ${id}`);
  return users;
}

function backend(id: string): DovecotHandle {
  const b = cluster.backends.find((x) => x.id === id);
  assert.ok(b !== undefined);
  return b;
}

interface Attempt {
  readonly client: LineClient;
  readonly reply: string;
  readonly ms: number;
}

async function pop3Login(u: ClusterUser, timeoutMs = 10_000): Promise<Attempt> {
  const client = await LineClient.connect('127.0.0.1', director.pop3 ?? 0);
  assert.match(await client.line(), /^\+OK/);
  client.write(`USER ${u.name}\r\n`);
  assert.equal(await client.line(), '+OK');
  const started = Date.now();
  client.write(`PASS ${u.password}\r\n`);
  const reply = await client.line(timeoutMs);
  return { client, reply, ms: Date.now() - started };
}

async function imapLogin(u: ClusterUser, timeoutMs = 10_000): Promise<Attempt> {
  const client = await LineClient.connect('127.0.0.1', director.imap ?? 0);
  assert.match(await client.line(), /^\* OK/);
  const started = Date.now();
  client.write(`a LOGIN "${u.name}" "${u.password}"\r\n`);
  const lines = await client.until('a ', timeoutMs);
  return { client, reply: (lines.at(-1) ?? '').slice(2), ms: Date.now() - started };
}

test('backend paused with proxy_timeout=2: temporary failure after ~2 s, not a hang', async () => {
  const [u1, u2] = usersOn('b1');
  assert.ok(u1 !== undefined && u2 !== undefined);
  await cluster.slapd.modifyUser(u1.name, { mailExtraField: 'proxy_timeout=2' });
  await cluster.slapd.modifyUser(u2.name, { mailExtraField: 'proxy_timeout=2' });
  const b1 = backend('b1');
  b1.pause();
  try {
    const [imap, pop3]: [Attempt, Attempt] = await Promise.all([imapLogin(u1), pop3Login(u2)]);
    imap.client.close();
    pop3.client.close();
    assert.equal(imap.reply, IMAP_UNAVAILABLE);
    assert.equal(pop3.reply, POP3_UNAVAILABLE);
    for (const a of [imap, pop3]) {
      assert.ok(a.ms >= 1800 && a.ms < 4000, `expected ~2 s (proxy_timeout=2), took ${a.ms} ms`);
    }
  } finally {
    b1.resume();
    await cluster.slapd.modifyUser(u1.name, { mailExtraField: null });
    await cluster.slapd.modifyUser(u2.name, { mailExtraField: null });
  }
  // The backend answers again: logins work.
  const again = await pop3Login(u1);
  again.client.close();
  assert.match(again.reply, /^\+OK/);
});

test('a backend that dies mid-session: the client connections are closed', async () => {
  const [u1, u2] = usersOn('b1');
  assert.ok(u1 !== undefined && u2 !== undefined);
  const imap = await imapLogin(u1);
  assert.match(imap.reply, /^OK/);
  imap.client.write('b SELECT INBOX\r\n');
  assert.match((await imap.client.until('b ')).at(-1) ?? '', /^b OK/);
  const pop3 = await pop3Login(u2);
  assert.match(pop3.reply, /^\+OK/);
  pop3.client.write('STAT\r\n');
  assert.match(await pop3.client.line(), /^\+OK/);

  await backend('b1').kill();
  const started = Date.now();
  // Whatever the director says last, the connection must end, not hang.
  await Promise.all([imap.client.waitClosed(5000), pop3.client.waitClosed(5000)]);
  assert.ok(Date.now() - started < 5000);
  // And a new login for these users is a temporary failure, fast.
  const after = await pop3Login(u2);
  after.client.close();
  assert.equal(after.reply, POP3_UNAVAILABLE);
  assert.ok(after.ms < 1500, `took ${after.ms} ms`);
});

test('backend stopped: temporary failure at once', async () => {
  const [u1, u2] = usersOn('b2');
  assert.ok(u1 !== undefined && u2 !== undefined);
  await backend('b2').stop();
  for (let i = 0; i < 2; i++) {
    const [imap, pop3]: [Attempt, Attempt] = await Promise.all([imapLogin(u1), pop3Login(u2)]);
    imap.client.close();
    pop3.client.close();
    assert.equal(imap.reply, IMAP_UNAVAILABLE);
    assert.equal(pop3.reply, POP3_UNAVAILABLE);
    for (const a of [imap, pop3]) assert.ok(a.ms < 1500, `a refused connection took ${a.ms} ms`);
  }
});
