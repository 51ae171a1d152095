// The client side of the director's IMAP front end: syntax, SASL, TLS, privacy, abuse limits, timeouts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImapFlow } from 'imapflow';
import { startCluster, type Cluster, type ClusterUser } from '../../harness/cluster.js';
import { startDirector, type DirectorHandle } from '../../harness/director.js';
import { LineClient } from '../support/line-client.js';
import { backendById, command, firstDirector, landedOn, lastLine, login, loginCounts, openImap, portOf, quoted } from './imap-support.js';

const FAILURE_DELAY_MS = 600;
/** A password that needs escaping in a quoted string (and has a space). */
const ODD = { name: 'oddpw', password: 'pa"ss\\wo rd' };

let dir: string;
let cluster: Cluster;
let caPem: Buffer;
/** trusted_networks excludes loopback: plaintext auth needs TLS. */
let untrusted: DirectorHandle;
/** prelogin_timeout 1s. */
let impatient: DirectorHandle;

function d1(): DirectorHandle {
  return firstDirector(cluster);
}

function user(name: string): ClusterUser {
  const u = cluster.users.find((x) => x.name === name);
  if (u === undefined) throw new Error(`no user ${name}`);
  return u;
}

function plainIr(authcid: string, password: string, authzid = ''): string {
  return Buffer.from(`${authzid}\0${authcid}\0${password}`, 'utf8').toString('base64');
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-imap-client-'));
  cluster = await startCluster({
    dir,
    backends: 2,
    directors: 1,
    users: 10,
    directorOverrides: { limits: { auth_failure_delay: `${FAILURE_DELAY_MS}ms` } },
  });
  caPem = await readFile(cluster.ca.cert);
  await cluster.slapd.addUser({ uid: ODD.name, password: ODD.password, attrs: { mailHost: backendById(cluster, 'b1').host, mailProxy: 'proxy' } });
  await backendById(cluster, 'b1').addUser(ODD);
  const common = { ca: cluster.ca, ldap: cluster.slapd, backends: cluster.backends } as const;
  [untrusted, impatient] = await Promise.all([
    startDirector({ ...common, dir: join(dir, 'd-untrusted'), id: 'd7', listen: ['imap', 'imaps'], overrides: { director: { trusted_networks: ['10.0.0.0/8'] } } }),
    startDirector({ ...common, dir: join(dir, 'd-impatient'), id: 'd6', listen: ['imap'], overrides: { limits: { prelogin_timeout: '1s' } } }),
  ]);
  // Dovecot re-reads a changed passwd-file at most once a second.
  await sleep(1100);
});

after(async () => {
  await Promise.all([untrusted?.stop(), impatient?.stop()]);
  await cluster?.stop();
  if (process.env['KEEP_TEST_DIR'] === undefined) await rm(dir, { recursive: true, force: true });
});

async function withClient<T>(director: DirectorHandle, fn: (client: LineClient, greeting: string) => Promise<T>, opts: { tls?: boolean } = {}): Promise<T> {
  const { client, greeting } = await openImap(director, opts.tls === true ? { tls: true, ca: caPem } : {});
  try {
    return await fn(client, greeting);
  } finally {
    client.close();
  }
}

test('LOGIN with quoted strings containing escapes', async () => {
  const before = await loginCounts(cluster.backends, ODD.name);
  await withClient(d1(), async (c) => {
    assert.equal(quoted(ODD.password), '"pa\\"ss\\\\wo rd"');
    assert.match(await login(c, ODD.name, ODD.password), /^a1 OK /);
  });
  assert.equal(await landedOn(cluster.backends, ODD.name, before), 'b1');
});

test('LOGIN with synchronizing literals: one + per literal', async () => {
  await withClient(d1(), async (c) => {
    const pw = Buffer.from(ODD.password, 'utf8');
    c.write(`a1 LOGIN {${ODD.name.length}}\r\n`);
    assert.match(await c.line(), /^\+ /);
    c.write(`${ODD.name} {${pw.length}}\r\n`);
    assert.match(await c.line(), /^\+ /);
    c.write(Buffer.concat([pw, Buffer.from('\r\n')]));
    assert.match(lastLine(await c.until('a1 ', 15_000)), /^a1 OK /);
  });
});

test('LOGIN with LITERAL+ (non-synchronizing): no continuation', async () => {
  await withClient(d1(), async (c) => {
    const pw = Buffer.from(ODD.password, 'utf8');
    c.write(Buffer.concat([Buffer.from(`a1 LOGIN {${ODD.name.length}+}\r\n${ODD.name} {${pw.length}+}\r\n`), pw, Buffer.from('\r\n')]));
    const lines = await c.until('a1 ', 15_000);
    assert.ok(!lines.some((l) => l.startsWith('+')), JSON.stringify(lines));
    assert.match(lastLine(lines), /^a1 OK /);
  });
});

test('AUTHENTICATE PLAIN with an initial response (SASL-IR)', async () => {
  const u = user('user0002');
  const before = await loginCounts(cluster.backends, u.name);
  await withClient(d1(), async (c) => {
    assert.match(lastLine(await command(c, 'a1', `AUTHENTICATE PLAIN ${plainIr(u.name, u.password)}`)), /^a1 OK /);
  });
  assert.equal(await landedOn(cluster.backends, u.name, before), 'b1');
});

test('AUTHENTICATE PLAIN with a continuation, and * cancels', async () => {
  const u = user('user0004');
  await withClient(d1(), async (c) => {
    c.write('a1 AUTHENTICATE PLAIN\r\n');
    assert.match(await c.line(), /^\+ ?$/);
    c.write('*\r\n');
    assert.equal(await c.line(), 'a1 BAD Authentication aborted by client.');
    // The connection is still usable.
    c.write('a2 AUTHENTICATE PLAIN\r\n');
    assert.match(await c.line(), /^\+ ?$/);
    c.write(`${plainIr(u.name, u.password)}\r\n`);
    assert.match(lastLine(await c.until('a2 ', 15_000)), /^a2 OK /);
    // Post-login: the backend answers now.
    assert.match(lastLine(await command(c, 'a3', 'SELECT INBOX')), /^a3 OK /);
  });
});

test('implicit TLS (imaps) login', async () => {
  const u = user('user0001');
  await withClient(
    d1(),
    async (c, greeting) => {
      assert.match(greeting, /^\* OK /);
      assert.doesNotMatch(greeting, /STARTTLS/);
      assert.match(await login(c, u.name, u.password), /^a1 OK /);
    },
    { tls: true },
  );
});

async function flowLogin(director: DirectorHandle, u: { name: string; password: string }, starttls: boolean): Promise<void> {
  const flow = new ImapFlow({
    host: director.host,
    port: portOf(director, 'imap'),
    secure: false,
    doSTARTTLS: starttls,
    auth: { user: u.name, pass: u.password },
    logger: false,
    tls: { ca: caPem },
  });
  flow.on('error', () => undefined);
  await flow.connect();
  try {
    assert.equal(flow.secureConnection, starttls);
    const box = await flow.mailboxOpen('INBOX');
    assert.equal(box.path, 'INBOX');
  } finally {
    await flow.logout().catch(() => undefined);
  }
}

test('STARTTLS then LOGIN', async () => {
  await flowLogin(d1(), user('user0003'), true);
});

test('untrusted network: LOGINDISABLED and PRIVACYREQUIRED before TLS; allowed after STARTTLS or on imaps', async () => {
  const u = user('user0006');
  await withClient(untrusted, async (c, greeting) => {
    assert.match(greeting, /LOGINDISABLED/);
    assert.doesNotMatch(greeting, /AUTH=PLAIN/);
    assert.match(greeting, /STARTTLS/);
    assert.equal(await login(c, u.name, u.password), 'a1 NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.');
    const auth = lastLine(await command(c, 'a2', `AUTHENTICATE PLAIN ${plainIr(u.name, u.password)}`));
    assert.match(auth, /^a2 NO \[PRIVACYREQUIRED\] /);
  });
  await flowLogin(untrusted, u, true);
  await withClient(
    untrusted,
    async (c, greeting) => {
      assert.doesNotMatch(greeting, /LOGINDISABLED/);
      assert.match(await login(c, u.name, u.password), /^a1 OK /);
    },
    { tls: true },
  );
});

test('wrong password: AUTHENTICATIONFAILED after the failure delay, without blocking other clients', async () => {
  const u = user('user0008');
  await withClient(d1(), async (bad) => {
    const started = Date.now();
    bad.write(`a1 LOGIN ${quoted(u.name)} "not-the-password"\r\n`);
    // Meanwhile another connection is served promptly.
    await sleep(100);
    await withClient(d1(), async (other) => {
      const t = Date.now();
      assert.match(lastLine(await command(other, 'c1', 'CAPABILITY')), /^c1 OK /);
      assert.ok(Date.now() - t < FAILURE_DELAY_MS / 2, `CAPABILITY took ${Date.now() - t} ms`);
    });
    const reply = lastLine(await bad.until('a1 ', 10_000));
    const took = Date.now() - started;
    assert.equal(reply, 'a1 NO [AUTHENTICATIONFAILED] Authentication failed.');
    assert.ok(took >= FAILURE_DELAY_MS - 20, `reply after ${took} ms`);
  });
});

test('LDAP filter injection in the user name is just a failed login', async () => {
  const victim = user('user0001');
  for (const name of ['*', ')(uid=*', 'user0001)(uid=*', '*)(|(uid=*', 'user000*', 'user0001\\2a']) {
    await withClient(d1(), async (c) => {
      assert.equal(await login(c, name, victim.password), 'a1 NO [AUTHENTICATIONFAILED] Authentication failed.', `user name ${JSON.stringify(name)}`);
    });
  }
});

test('an oversized literal is refused before any +', async () => {
  await withClient(d1(), async (c) => {
    c.write('a1 LOGIN {10000000}\r\n');
    const line = await c.line();
    assert.ok(!line.startsWith('+'), line);
    assert.match(line, /^(\* BYE|a1 (NO|BAD))/);
    if (line.startsWith('* BYE')) await c.waitClosed();
  });
});

test('a flood of invalid commands ends with BYE Too many invalid IMAP commands.', async () => {
  await withClient(d1(), async (c) => {
    for (let i = 0; i < 50; i++) c.write(`x${i} BOGUS${i}\r\n`);
    const lines: string[] = [];
    for (;;) {
      const line = await c.line().catch(() => undefined);
      if (line === undefined) break;
      lines.push(line);
      if (line.startsWith('* BYE')) break;
    }
    assert.equal(lines[lines.length - 1], '* BYE Too many invalid IMAP commands.');
    assert.ok(lines.filter((l) => / BAD /.test(l)).length < 50);
    await c.waitClosed();
  });
});

test('pre-login timeout closes an idle connection', async () => {
  await withClient(impatient, async (c) => {
    const started = Date.now();
    const line = await c.line(5000);
    assert.match(line, /^\* BYE /);
    await c.waitClosed(3000);
    const took = Date.now() - started;
    assert.ok(took >= 900 && took < 4000, `closed after ${took} ms`);
  });
});

function capsOf(lines: readonly string[]): Set<string> {
  const line = lines.find((l) => l.startsWith('* CAPABILITY '));
  assert.ok(line !== undefined, JSON.stringify(lines));
  return new Set(line.slice('* CAPABILITY '.length).split(' ').map((c) => c.toUpperCase()));
}

test('pre-login CAPABILITY never lists more than the backends', async () => {
  const b = backendById(cluster, 'b1');
  const direct = await LineClient.connect(b.host, b.imap);
  let backendCaps: Set<string>;
  try {
    await direct.line();
    backendCaps = capsOf(await command(direct, 'c1', 'CAPABILITY'));
  } finally {
    direct.close();
  }
  await withClient(d1(), async (c) => {
    const ours = capsOf(await command(c, 'c1', 'CAPABILITY'));
    // STARTTLS, LOGINDISABLED and AUTH= describe the director's own front end.
    const extra = [...ours].filter((cap) => !backendCaps.has(cap) && cap !== 'STARTTLS' && cap !== 'LOGINDISABLED');
    assert.deepEqual(extra, [], `backend: ${[...backendCaps].join(' ')}`);
    assert.ok(ours.has('IMAP4REV1'));
  });
});

test('the tagged OK of a login carries the backend post-login capabilities', async () => {
  const u = user('user0001');
  await withClient(d1(), async (c) => {
    const reply = await login(c, u.name, u.password);
    const m = /^a1 OK \[CAPABILITY ([^\]]+)\] /.exec(reply);
    assert.ok(m !== null, reply);
    const caps = (m[1] ?? '').split(' ');
    assert.ok(caps.includes('IMAP4rev1'));
    assert.ok(!caps.some((cap) => cap.startsWith('AUTH=')), 'pre-login capabilities leaked into the post-login list');
  });
});

test('commands pipelined after LOGIN reach the backend in order', async () => {
  const u = user('user0002');
  await withClient(d1(), async (c) => {
    c.write(`a1 LOGIN ${quoted(u.name)} ${quoted(u.password)}\r\na2 SELECT INBOX\r\na3 NOOP\r\n`);
    const lines = await c.until('a3 ', 15_000);
    const tagged = lines.filter((l) => /^a\d /.test(l)).map((l) => l.slice(0, 5));
    assert.deepEqual(tagged, ['a1 OK', 'a2 OK', 'a3 OK'], JSON.stringify(lines));
  });
});

test('AUTHENTICATE LOGIN (username and password prompts)', async () => {
  const u = user('user0004');
  await withClient(d1(), async (c) => {
    c.write('a1 AUTHENTICATE LOGIN\r\n');
    assert.match(await c.line(), /^\+ /);
    c.write(`${Buffer.from(u.name).toString('base64')}\r\n`);
    assert.match(await c.line(), /^\+ /);
    c.write(`${Buffer.from(u.password).toString('base64')}\r\n`);
    assert.match(lastLine(await c.until('a1 ', 15_000)), /^a1 OK /);
  });
});

test('repeated failed logins end the connection', async () => {
  const u = user('user0003');
  await withClient(d1(), async (c) => {
    const replies: string[] = [];
    for (let i = 1; i <= 3; i++) replies.push(await login(c, u.name, `bad-${i}`, `a${i}`));
    assert.deepEqual(replies, [1, 2, 3].map((i) => `a${i} NO [AUTHENTICATIONFAILED] Authentication failed.`));
    assert.match(await c.line(), /^\* BYE /);
    await c.waitClosed();
  });
});

test('a user name in another case is the same user, on the same backend', async () => {
  const u = user('user0002');
  const before = await loginCounts(cluster.backends, u.name);
  await withClient(d1(), async (c) => {
    assert.match(await login(c, u.name.toUpperCase(), u.password), /^a1 OK /);
  });
  assert.equal(await landedOn(cluster.backends, u.name, before), 'b1');
});

test('an oversized non-synchronizing literal closes the connection without reading it', async () => {
  await withClient(d1(), async (c) => {
    c.write('a1 LOGIN {10000000+}\r\n');
    c.write(Buffer.alloc(200_000, 0x61));
    const line = await c.line();
    assert.match(line, /^\* BYE /);
    await c.waitClosed();
  });
});

test('an empty password is a failed login, not an LDAP anonymous bind', async () => {
  const u = user('user0006');
  await withClient(d1(), async (c) => {
    assert.equal(await login(c, u.name, ''), 'a1 NO [AUTHENTICATIONFAILED] Authentication failed.');
    assert.equal(lastLine(await command(c, 'a2', `AUTHENTICATE PLAIN ${plainIr(u.name, '')}`)), 'a2 NO [AUTHENTICATIONFAILED] Authentication failed.');
  });
});
