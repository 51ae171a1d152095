// Routing (docs/invariants.md) through a real director: where each kind of user lands, judged by the backends' own login logs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster, type ClusterUser } from '../../harness/cluster.js';
import { startDirector, type DirectorHandle } from '../../harness/director.js';
import { backendById, firstDirector, landedOn, login, loginCounts, openImap, waitEvent, waitLog } from './imap-support.js';

let dir: string;
let cluster: Cluster;
/** A second director on the same slapd and backends, without local_backend. */
let noLocal: DirectorHandle;

function user(name: string): ClusterUser {
  const u = cluster.users.find((x) => x.name === name);
  if (u === undefined) throw new Error(`no user ${name}`);
  return u;
}

/** Log in through `director` and return the backend that logged it. */
async function loginLands(u: ClusterUser, director: DirectorHandle = firstDirector(cluster), backendUser = u.name): Promise<string> {
  const before = await loginCounts(cluster.backends, backendUser);
  const { client } = await openImap(director);
  try {
    const reply = await login(client, u.name, u.password);
    assert.match(reply, /^a1 OK /, `login of ${u.name}`);
    return await landedOn(cluster.backends, backendUser, before);
  } finally {
    client.close();
  }
}

async function loginReply(u: ClusterUser, director: DirectorHandle = firstDirector(cluster)): Promise<string> {
  const { client } = await openImap(director);
  try {
    return await login(client, u.name, u.password);
  } finally {
    client.close();
  }
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-imap-routing-'));
  cluster = await startCluster({ dir, backends: 2, directors: 1, users: 20 });
  noLocal = await startDirector({
    dir: join(dir, 'd-nolocal'),
    id: 'd9',
    ca: cluster.ca,
    ldap: cluster.slapd,
    backends: cluster.backends,
    listen: ['imap'],
    overrides: { director: { local_backend: null } },
  });
});

after(async () => {
  await noLocal?.stop();
  await cluster?.stop();
  if (process.env['KEEP_TEST_DIR'] === undefined) await rm(dir, { recursive: true, force: true });
});

test('an LDAP host user lands on that backend', async () => {
  assert.equal(await loginLands(user('user0002')), 'b1');
  assert.equal(await loginLands(user('user0004')), 'b2');
});

test('a user without host is placed by the ring, the same backend every time', async () => {
  const first = await loginLands(user('user0001'));
  const second = await loginLands(user('user0001'));
  assert.equal(second, first);
  // The other director hashes the same ring identically (I2 for one user).
  assert.equal(await loginLands(user('user0001'), noLocal), first);
});

test('proxy_maybe + proxy_always with a self host goes to the ring', async () => {
  const u = user('user0007');
  assert.equal(u.host, '127.0.0.1');
  const first = await loginLands(u);
  assert.equal(await loginLands(u, noLocal), first, 'ring placement, not local_backend-dependent');
});

test('proxy_maybe with a self host goes to local_backend when one is configured', async () => {
  const u = user('user0005');
  assert.equal(u.kind, 'proxy_maybe');
  assert.equal(await loginLands(u), 'b1');
});

test('proxy_maybe with a self host and no local_backend is refused', async () => {
  const u = user('user0005');
  const before = await loginCounts(cluster.backends, u.name);
  assert.equal(await loginReply(u, noLocal), 'a1 NO [UNAVAILABLE] Account is temporarily unavailable.');
  assert.deepEqual(await loginCounts(cluster.backends, u.name), before, 'no backend saw the user');
});

test('proxy with a self host is refused as a loop and logged with user and host', async () => {
  const u = user('user0003');
  await cluster.slapd.modifyUser(u.name, { mailHost: '127.0.0.1', mailProxy: 'proxy' });
  const before = await loginCounts(cluster.backends, u.name);
  assert.equal(await loginReply(u), 'a1 NO [UNAVAILABLE] Account is temporarily unavailable.');
  const line = await waitLog(firstDirector(cluster).logFile, /Proxying loops/);
  assert.match(line, /"user":"user0003"/);
  assert.match(line, /"backend_host":"127\.0\.0\.1"/);
  assert.deepEqual(await loginCounts(cluster.backends, u.name), before);
});

test('a proxy user without any proxy field and a self host is refused too', async () => {
  const u = user('user0013');
  await cluster.slapd.modifyUser(u.name, { mailHost: '127.0.0.1', mailProxy: null });
  assert.equal(await loginReply(u), 'a1 NO [UNAVAILABLE] Account is temporarily unavailable.');
});

test('nologin is refused with the reason, control characters stripped', async () => {
  const u = user('user0010');
  assert.equal(u.kind, 'nologin');
  const plain = await loginReply(u);
  assert.match(plain, /^a1 NO /);
  assert.ok(plain.includes('Account suspended for maintenance.'), plain);

  const other = user('user0020');
  assert.equal(other.kind, 'nologin');
  await cluster.slapd.modifyUser(other.name, { mailNoLoginReason: 'Moved\x01 away\x1b[31m today' });
  const reply = await loginReply(other);
  assert.match(reply, /^a1 NO /);
  assert.ok(!/[\x00-\x1f\x7f]/.test(reply), `control characters in ${JSON.stringify(reply)}`);
  assert.match(reply, /Moved +away +\[31m today/);
});

test('delay_until in the near future holds the login, then lets it through', async () => {
  const u = user('user0006');
  const at = Math.ceil(Date.now() / 1000) + 2;
  await cluster.slapd.modifyUser(u.name, { mailDelayUntil: String(at) });
  const started = Date.now();
  await loginLands(u);
  const took = Date.now() - started;
  assert.ok(Date.now() >= at * 1000 - 50, `login finished ${at * 1000 - Date.now()} ms before delay_until`);
  assert.ok(took >= 1000 && took < 6000, `took ${took} ms`);
});

test('destuser logs in on the backend as the destination user', async () => {
  const alias = user('alias0001');
  assert.equal(alias.destuser, 'user0002');
  assert.equal(await loginLands(alias, firstDirector(cluster), 'user0002'), 'b1');
  const events = await backendById(cluster, 'b1').loginEvents();
  assert.ok(!events.some((e) => e.user === 'alias0001'), 'the alias name never reached the backend');
});

test('another host with a port goes there, bypassing the ring', async () => {
  // A ring user pointed at b2 by address and port (not by ring id).
  const u = user('user0008');
  const b2 = backendById(cluster, 'b2');
  await cluster.slapd.modifyUser(u.name, { mailHost: b2.host, mailPort: String(b2.imap), mailProxy: 'proxy' });
  assert.equal(await loginLands(u), 'b2');

  // The port is really used: a wrong one makes the login fail (temporary), not land on the ring.
  const v = user('user0011');
  await cluster.slapd.modifyUser(v.name, { mailHost: b2.host, mailPort: String(b2.pop3), mailProxy: 'proxy' });
  const reply = await loginReply(v);
  assert.equal(reply, 'a1 NO [UNAVAILABLE] Account is temporarily unavailable.');
  await assert.rejects(waitEvent(b2, (e) => e.user === v.name, 500));
});

test('nologin with a wrong password does not reveal the reason', async () => {
  const u = user('user0010');
  const { client } = await openImap(firstDirector(cluster));
  try {
    assert.equal(await login(client, u.name, 'not-the-password'), 'a1 NO [AUTHENTICATIONFAILED] Authentication failed.');
  } finally {
    client.close();
  }
});

test('a client that leaves during a delay_until hold never reaches a backend', async () => {
  const u = user('user0012');
  const at = Math.ceil(Date.now() / 1000) + 2;
  await cluster.slapd.modifyUser(u.name, { mailDelayUntil: String(at) });
  const before = await loginCounts(cluster.backends, u.name);
  const { client } = await openImap(firstDirector(cluster));
  client.write(`a1 LOGIN ${u.name} ${JSON.stringify(u.password)}\r\n`);
  await new Promise((r) => setTimeout(r, 300));
  client.close();
  await new Promise((r) => setTimeout(r, Math.max(0, at * 1000 - Date.now()) + 700));
  assert.deepEqual(await loginCounts(cluster.backends, u.name), before);
});
