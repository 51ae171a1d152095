import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCluster, type Cluster, type ClusterUser } from '../../harness/cluster.js';
import { startDirector, type DirectorHandle } from '../../harness/director.js';
import { LineClient } from '../support/line-client.js';

// POP3 clients against a real director in front of real Dovecot backends.

let dir: string;
let cluster: Cluster;
let director: DirectorHandle;
/** A second director that trusts only 10.0.0.0/8: loopback clients are "untrusted". */
let strict: DirectorHandle;
let ca: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pop3-login-'));
  cluster = await startCluster({ dir, backends: 2, directors: 1, users: 10 });
  director = cluster.directors[0] as DirectorHandle;
  ca = await readFile(cluster.ca.cert, 'utf8');
  strict = await startDirector({
    dir: join(dir, 'strict'),
    id: 'strict',
    ca: cluster.ca,
    ldap: cluster.slapd,
    backends: cluster.backends,
    listen: ['pop3', 'pop3s'],
    localBackend: 'b1',
    trustedNetworks: ['10.0.0.0/8'],
  });
});

after(async () => {
  await strict?.stop();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

function user(i = 0): ClusterUser {
  const u = cluster.usersOfKind('ring')[i];
  assert.ok(u !== undefined);
  return u;
}

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

async function open(port: number | null, options: { tls?: boolean } = {}): Promise<LineClient> {
  assert.ok(port !== null);
  const c = await LineClient.connect('127.0.0.1', port, options.tls === true ? { tls: true, ca } : {});
  assert.match(await c.line(), /^\+OK /);
  return c;
}

async function cmd(c: LineClient, line: string): Promise<string> {
  c.write(`${line}\r\n`);
  return c.line();
}

/** A logged-in session must reach the backend: STAT answers, QUIT ends it. */
async function assertRelayed(c: LineClient): Promise<void> {
  assert.match(await cmd(c, 'STAT'), /^\+OK \d+ \d+$/);
  assert.match(await cmd(c, 'QUIT'), /^\+OK/);
  await c.waitClosed();
}

async function capa(c: LineClient): Promise<string[]> {
  c.write('CAPA\r\n');
  const lines = await c.until('.');
  assert.match(lines[0] ?? '', /^\+OK/);
  return lines.slice(1, -1);
}

test('USER/PASS logs in and relays to the backend', async () => {
  const u = user(0);
  const c = await open(director.pop3);
  assert.equal(await cmd(c, `USER ${u.name}`), '+OK');
  assert.match(await cmd(c, `PASS ${u.password}`), /^\+OK Logged in\./);
  await assertRelayed(c);
});

test('AUTH PLAIN with an initial response', async () => {
  const u = user(1);
  const c = await open(director.pop3);
  assert.match(await cmd(c, `AUTH PLAIN ${b64(`\0${u.name}\0${u.password}`)}`), /^\+OK Logged in\./);
  await assertRelayed(c);
});

test('AUTH PLAIN with a continuation', async () => {
  const u = user(2);
  const c = await open(director.pop3);
  assert.equal(await cmd(c, 'AUTH PLAIN'), '+ ');
  assert.match(await cmd(c, b64(`\0${u.name}\0${u.password}`)), /^\+OK Logged in\./);
  await assertRelayed(c);
});

test('AUTH LOGIN asks for user name and password', async () => {
  const u = user(3);
  const c = await open(director.pop3);
  assert.equal(await cmd(c, 'AUTH LOGIN'), `+ ${b64('Username:')}`);
  assert.equal(await cmd(c, b64(u.name)), `+ ${b64('Password:')}`);
  assert.match(await cmd(c, b64(u.password)), /^\+OK Logged in\./);
  await assertRelayed(c);
});

test('STLS, then USER/PASS over TLS', async () => {
  const u = user(0);
  const c = await open(director.pop3);
  assert.match(await cmd(c, 'STLS'), /^\+OK/);
  const t = await c.upgradeTls({ ca });
  try {
    const caps = await capa(t);
    assert.ok(!caps.includes('STLS'), `STLS offered again after TLS: ${caps.join(' | ')}`);
    assert.equal(await cmd(t, `USER ${u.name}`), '+OK');
    assert.match(await cmd(t, `PASS ${u.password}`), /^\+OK Logged in\./);
    await assertRelayed(t);
  } finally {
    t.close();
  }
});

test('pop3s (implicit TLS) logs in', async () => {
  const u = user(1);
  const c = await open(director.pop3s, { tls: true });
  assert.equal(await cmd(c, `USER ${u.name}`), '+OK');
  assert.match(await cmd(c, `PASS ${u.password}`), /^\+OK Logged in\./);
  await assertRelayed(c);
});

test('a wrong password gets Dovecot\'s failure text and the connection stays usable', async () => {
  const u = user(2);
  const c = await open(director.pop3);
  assert.equal(await cmd(c, `USER ${u.name}`), '+OK');
  const started = Date.now();
  assert.equal(await cmd(c, `PASS ${u.password}-wrong`), '-ERR [AUTH] Authentication failed.');
  // auth_failure_delay is 2 s by default; anything near the LDAP timeout means a retry loop.
  assert.ok(Date.now() - started < 4500, `failure took ${Date.now() - started} ms`);
  assert.equal(await cmd(c, `USER ${u.name}`), '+OK');
  assert.match(await cmd(c, `PASS ${u.password}`), /^\+OK Logged in\./);
  await assertRelayed(c);
});

test('plaintext auth is refused from an untrusted network and allowed after STLS', async () => {
  const u = user(3);
  const c = await open(strict.pop3);
  const caps = await capa(c);
  assert.ok(caps.includes('STLS'), caps.join(' | '));
  const refused = [await cmd(c, `USER ${u.name}`)];
  if (refused[0]?.startsWith('+OK') === true) refused.push(await cmd(c, `PASS ${u.password}`));
  assert.equal(refused.at(-1), '-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.');
  assert.equal(await cmd(c, `AUTH PLAIN ${b64(`\0${u.name}\0${u.password}`)}`), '-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.');
  assert.match(await cmd(c, 'STLS'), /^\+OK/);
  const t = await c.upgradeTls({ ca });
  try {
    assert.match(await cmd(t, `AUTH PLAIN ${b64(`\0${u.name}\0${u.password}`)}`), /^\+OK Logged in\./);
    await assertRelayed(t);
  } finally {
    t.close();
  }
});

test('pop3s is secure enough for plaintext auth from an untrusted network', async () => {
  const u = user(0);
  const c = await open(strict.pop3s, { tls: true });
  assert.equal(await cmd(c, `USER ${u.name}`), '+OK');
  assert.match(await cmd(c, `PASS ${u.password}`), /^\+OK Logged in\./);
  await assertRelayed(c);
});

test('pre-login CAPA never advertises more than the backends', async () => {
  const c = await open(director.pop3);
  const mine = await capa(c);
  c.close();
  assert.ok(mine.includes('USER'));
  for (const b of cluster.backends) {
    const bc = await LineClient.connect(b.host, b.pop3);
    assert.match(await bc.line(), /^\+OK/);
    const theirs = new Set(await capa(bc));
    bc.close();
    for (const cap of mine) {
      // SASL lists the director's own mechanisms (it authenticates the client itself).
      if (cap.startsWith('SASL')) continue;
      assert.ok(theirs.has(cap), `director offers ${cap} but backend ${b.id} offers only ${[...theirs].join(' | ')}`);
    }
  }
});

test('XCLIENT: the backend logs the client address and the director session id', async () => {
  const u = cluster.usersOfKind('host').find((h) => h.backend === 'b1');
  assert.ok(u !== undefined);
  const clientIp = '127.0.0.77';
  const c = await LineClient.connect('127.0.0.1', director.pop3 ?? 0, { localAddress: clientIp });
  const clientPort = c.socket.localPort;
  assert.match(await c.line(), /^\+OK/);
  assert.equal(await cmd(c, `USER ${u.name}`), '+OK');
  assert.match(await cmd(c, `PASS ${u.password}`), /^\+OK Logged in\./);
  await assertRelayed(c);

  // The director's session id for this client connection, from its log (matched by client port).
  let sessionId: string | undefined;
  for (let i = 0; i < 50 && sessionId === undefined; i++) {
    const log = await readFile(director.logFile, 'utf8');
    for (const line of log.split('\n')) {
      if (!line.startsWith('{')) continue;
      const rec = JSON.parse(line) as { rport?: number; rip?: string; session?: string; msg?: string };
      if (rec.rport === clientPort && rec.rip === clientIp && rec.msg === 'proxied login') sessionId = rec.session;
    }
    if (sessionId === undefined) await sleep(50);
  }
  assert.ok(sessionId !== undefined, 'director logged no proxied login for our client port');

  const b1 = cluster.backends.find((b) => b.id === 'b1');
  assert.ok(b1 !== undefined);
  const log = await readFile(b1.logFile, 'utf8');
  const login = log.split('\n').find((l) => l.includes('pop3-login: Info: Login:') && l.includes(`session=<${sessionId}>`));
  assert.ok(login !== undefined, `backend logged no login with session ${sessionId}`);
  assert.match(login, new RegExp(`user=<${u.name}>`));
  // rip is the real client, not the director's own address (which is 127.0.0.1).
  assert.match(login, /rip=127\.0\.0\.77,/);
  assert.match(login, new RegExp(`rport=${clientPort},`));
});
