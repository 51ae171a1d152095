import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCluster, type Cluster, type ClusterUser } from '../../harness/cluster.js';
import { startDirector, type DirectorHandle } from '../../harness/director.js';
import { freePort } from '../../harness/ports.js';
import { isAlive } from '../../harness/process.js';
import { startSlapd, type SlapdHandle } from '../../harness/slapd.js';
import { LineClient } from '../support/line-client.js';

// LDAP trouble seen through a real director: temporary failures, fast, never
// "wrong password" and never a hang; failover between URIs; recovery.

const IMAP_TEMP = 'NO [UNAVAILABLE] Temporary authentication failure.';
const POP3_TEMP = '-ERR [SYS/TEMP] Temporary authentication failure.';
/** passdb.timeout of the directors here, ms. */
const LDAP_TIMEOUT_MS = 1000;
const PASSDB = { timeout: '1s', connect_timeout: '500ms' };

let dir: string;
let cluster: Cluster;
/** Single URI: the cluster's slapd. */
let director: DirectorHandle;
/** uris: [nothing listening, the real one]. */
let viaDead: DirectorHandle;
/** uris: [a second slapd we pause, the real one]. */
let viaPaused: DirectorHandle;
let second: SlapdHandle;
let restarted: SlapdHandle | undefined;

function ringUsers(): ClusterUser[] {
  return cluster.usersOfKind('ring');
}

function start(id: string, firstUri: string, extra: readonly string[]): Promise<DirectorHandle> {
  return startDirector({
    dir: join(dir, id),
    id,
    ca: cluster.ca,
    ldap: { ...cluster.slapd, url: firstUri },
    extraLdapUris: extra,
    backends: cluster.backends,
    listen: ['imap', 'pop3'],
    localBackend: 'b1',
    overrides: { passdb: PASSDB, limits: { auth_failure_delay: '0s' } },
  });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trouble-ldap-'));
  cluster = await startCluster({ dir, backends: 1, directors: 0, users: 10 });
  second = await startSlapd({ dir: join(dir, 'ldap-second'), users: ringUsers().map((u) => ({ uid: u.name, password: u.password })) });
  const dead = `ldap://127.0.0.1:${await freePort('127.0.0.1')}`;
  [director, viaDead, viaPaused] = await Promise.all([
    start('main', cluster.slapd.url, []),
    start('dead', dead, [cluster.slapd.url]),
    start('paused', second.url, [cluster.slapd.url]),
  ]);
});

after(async () => {
  second?.resume();
  cluster?.slapd.resume();
  await Promise.all([director?.stop(), viaDead?.stop(), viaPaused?.stop()]);
  await second?.stop();
  await restarted?.stop();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Attempt {
  readonly reply: string;
  readonly ms: number;
}

async function pop3Login(d: DirectorHandle, u: ClusterUser): Promise<Attempt> {
  const c = await LineClient.connect('127.0.0.1', d.pop3 ?? 0);
  try {
    assert.match(await c.line(), /^\+OK/);
    c.write(`USER ${u.name}\r\n`);
    assert.equal(await c.line(), '+OK');
    const started = Date.now();
    c.write(`PASS ${u.password}\r\n`);
    const reply = await c.line(LDAP_TIMEOUT_MS * 8);
    const ms = Date.now() - started;
    if (reply.startsWith('+OK')) {
      c.write('QUIT\r\n');
      await c.line();
    }
    return { reply, ms };
  } finally {
    c.close();
  }
}

async function imapLogin(d: DirectorHandle, u: ClusterUser): Promise<Attempt> {
  const c = await LineClient.connect('127.0.0.1', d.imap ?? 0);
  try {
    assert.match(await c.line(), /^\* OK/);
    const started = Date.now();
    c.write(`a LOGIN "${u.name}" "${u.password}"\r\n`);
    const lines = await c.until('a ', LDAP_TIMEOUT_MS * 8);
    const ms = Date.now() - started;
    const reply = (lines.at(-1) ?? '').slice(2);
    if (reply.startsWith('OK')) {
      c.write('b LOGOUT\r\n');
      await c.until('b ');
    }
    return { reply, ms };
  } finally {
    c.close();
  }
}

function assertOk(a: Attempt, what: string): void {
  assert.match(a.reply, /^(\+OK|OK)/, `${what}: ${a.reply} after ${a.ms} ms`);
}

test('failover: a dead first URI (nothing listening) does not stop logins', async () => {
  const [u1, u2] = ringUsers();
  assert.ok(u1 !== undefined && u2 !== undefined);
  for (let i = 0; i < 3; i++) {
    const p = await pop3Login(viaDead, u1);
    assertOk(p, 'pop3 via dead URI');
    assert.ok(p.ms < LDAP_TIMEOUT_MS, `a refused connection should fail over at once, took ${p.ms} ms`);
    assertOk(await imapLogin(viaDead, u2), 'imap via dead URI');
  }
});

test('failover: a paused first URI (accepts, never answers) does not stop logins', async () => {
  const [u1, u2] = ringUsers();
  assert.ok(u1 !== undefined && u2 !== undefined);
  // Warm: the director now holds open search and bind connections to the second slapd.
  for (let i = 0; i < 4; i++) assertOk(await pop3Login(viaPaused, i % 2 === 0 ? u1 : u2), 'pop3 before the pause');
  second.pause();
  try {
    for (let i = 0; i < 4; i++) {
      // Past any backoff, so the paused server is tried again, on an established connection too.
      if (i > 0) await sleep(700);
      const p = await pop3Login(viaPaused, u1);
      assertOk(p, `pop3 #${i} with the first URI paused`);
      assert.ok(p.ms < LDAP_TIMEOUT_MS + 1000, `took ${p.ms} ms`);
      assertOk(await imapLogin(viaPaused, u2), `imap #${i} with the first URI paused`);
    }
  } finally {
    second.resume();
  }
  assertOk(await pop3Login(viaPaused, u1), 'pop3 after the resume');
});

test('slapd paused: temporary failure within the passdb timeout, then recovery', async () => {
  const [u1, u2] = ringUsers();
  assert.ok(u1 !== undefined && u2 !== undefined);
  assertOk(await imapLogin(director, u1), 'warm-up');
  cluster.slapd.pause();
  try {
    const [imap, pop3]: [Attempt, Attempt] = await Promise.all([imapLogin(director, u1), pop3Login(director, u2)]);
    assert.equal(imap.reply, IMAP_TEMP);
    assert.equal(pop3.reply, POP3_TEMP);
    for (const a of [imap, pop3]) assert.ok(a.ms < LDAP_TIMEOUT_MS + 1000, `took ${a.ms} ms`);
  } finally {
    cluster.slapd.resume();
  }
  const deadline = Date.now() + 8000;
  let last: Attempt | undefined;
  while (Date.now() < deadline) {
    last = await imapLogin(director, u1);
    if (last.reply.startsWith('OK')) break;
    await sleep(200);
  }
  assert.ok(last !== undefined);
  assertOk(last, 'imap after slapd resumed');
  assertOk(await pop3Login(director, u2), 'pop3 after slapd resumed');
});

test('slapd stopped: prompt temporary failure; after it comes back logins work without a director restart', async () => {
  const [u1, u2] = ringUsers();
  assert.ok(u1 !== undefined && u2 !== undefined);
  assertOk(await pop3Login(director, u1), 'warm-up');
  const pid = director.pid;
  await cluster.slapd.stop();
  for (let i = 0; i < 3; i++) {
    const [imap, pop3]: [Attempt, Attempt] = await Promise.all([imapLogin(director, u1), pop3Login(director, u2)]);
    assert.equal(imap.reply, IMAP_TEMP, `attempt ${i}`);
    assert.equal(pop3.reply, POP3_TEMP, `attempt ${i}`);
    // A refused connection is known at once; nothing should wait for the timeout.
    for (const a of [imap, pop3]) assert.ok(a.ms < LDAP_TIMEOUT_MS, `attempt ${i} took ${a.ms} ms`);
  }

  restarted = await startSlapd({
    dir: join(dir, 'ldap-restarted'),
    port: cluster.slapd.port,
    users: ringUsers().map((u) => ({ uid: u.name, password: u.password })),
  });
  const deadline = Date.now() + 10_000;
  let last: Attempt | undefined;
  while (Date.now() < deadline) {
    last = await pop3Login(director, u1);
    if (last.reply.startsWith('+OK')) break;
    assert.equal(last.reply, POP3_TEMP);
    await sleep(200);
  }
  assert.ok(last !== undefined);
  assertOk(last, 'pop3 after slapd came back');
  assertOk(await imapLogin(director, u2), 'imap after slapd came back');
  assert.equal(director.pid, pid);
  assert.ok(isAlive(pid));
});
