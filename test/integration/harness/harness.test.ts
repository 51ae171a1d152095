import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, InvalidCredentialsError } from 'ldapts';
import { createCa, type CaFiles } from '../../harness/certs.js';
import { startDovecot, type DovecotHandle, type LoginEvent } from '../../harness/dovecot.js';
import { LineClient } from '../../harness/lines.js';
import { groupMembers, isAlive, stopAll } from '../../harness/process.js';
import { startSlapd, type SlapdHandle } from '../../harness/slapd.js';

let dir: string;
let ca: CaFiles;
let slapd: SlapdHandle;
let backends: DovecotHandle[] = [];

const users = [
  { name: 'alice', password: 'alice-pw-1' },
  { name: 'bob', password: 'bob-pw-2' },
];
const master = { name: 'director-master', password: 'master-pw' };

function ssha(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-harness-'));
  ca = await createCa(join(dir, 'ca'), 'test-ca');
  const started = Date.now();
  slapd = await startSlapd({
    dir: join(dir, 'ldap'),
    users: [
      { uid: 'alice', password: 'alice-pw-1', attrs: { mailHost: '127.0.0.11', mailProxy: 'proxy', mailExtraField: ['port=143', 'ssl=no'] } },
      { uid: 'hashed', password: 'hashed-pw', userPassword: ssha('hashed-pw') },
    ],
  });
  assert.ok(Date.now() - started < 2000, 'slapd starts in under 2 s');
  backends = await Promise.all(
    ['127.0.0.11', '127.0.0.12'].map((host, i) =>
      startDovecot({ dir: join(dir, `b${i + 1}`), id: `b${i + 1}`, host, users, trustedNetworks: ['127.0.0.0/8'], masterUser: master, ca }),
    ),
  );
});

after(async () => {
  await stopAll();
  await rm(dir, { recursive: true, force: true });
});

async function ldapBind(dn: string, password: string): Promise<void> {
  const client = new Client({ url: slapd.url, timeout: 2000, connectTimeout: 2000 });
  try {
    await client.bind(dn, password);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

test('LDAP: users bind with their own passwords (cleartext and {SSHA}); wrong ones fail', async () => {
  await ldapBind(slapd.dnOf('alice'), 'alice-pw-1');
  await ldapBind(slapd.dnOf('hashed'), 'hashed-pw');
  await assert.rejects(ldapBind(slapd.dnOf('alice'), 'wrong'), InvalidCredentialsError);
});

test('LDAP: routing attributes, modifyTimestamp, addUser and modifyUser', async () => {
  const client = new Client({ url: slapd.url, timeout: 2000 });
  try {
    await client.bind(slapd.bindDn, slapd.bindPassword);
    const read = async (uid: string) =>
      (await client.search(slapd.dnOf(uid), { scope: 'base', attributes: ['*', 'modifyTimestamp'] })).searchEntries[0];
    const alice = await read('alice');
    assert.equal(alice?.['mailHost'], '127.0.0.11');
    assert.deepEqual(alice?.['mailExtraField'], ['port=143', 'ssl=no']);
    assert.match(String(alice?.['modifyTimestamp']), /^\d{14}Z$/);

    await slapd.addUser({ uid: 'carol', password: 'carol-pw', attrs: { mailProxy: 'proxy_maybe proxy_always' } });
    await ldapBind(slapd.dnOf('carol'), 'carol-pw');
    await slapd.modifyUser('alice', { mailHost: '127.0.0.12', mailExtraField: null, mailNoLogin: 'y' });
    const changed = await read('alice');
    assert.equal(changed?.['mailHost'], '127.0.0.12');
    assert.equal(changed?.['mailNoLogin'], 'y');
    assert.equal(changed?.['mailExtraField'], undefined);
    // The admin password is not readable by users (ACL), but the admin sees it.
    assert.equal(changed?.['userPassword'] !== undefined, true);
  } finally {
    await client.unbind();
  }
});

async function imapLogin(b: DovecotHandle, user: string, password: string): Promise<string[]> {
  const c = await LineClient.connect(b.host, b.imap);
  try {
    await c.readUntil((l) => l.startsWith('* OK'));
    c.send(`a LOGIN ${user} "${password}"`);
    const reply = await c.readUntil((l) => l.startsWith('a '));
    c.send('b LOGOUT');
    await c.readUntil((l) => l.startsWith('b '));
    return reply;
  } finally {
    c.close();
  }
}

test('IMAP LOGIN directly on each backend; bad password refused', async () => {
  for (const b of backends) {
    const ok = await imapLogin(b, 'alice', 'alice-pw-1');
    assert.match(ok.at(-1) ?? '', /^a OK /, `${b.id}: ${ok.join(' | ')}`);
    const bad = await imapLogin(b, 'alice', 'nope');
    assert.match(bad.at(-1) ?? '', /^a NO \[AUTHENTICATIONFAILED\]/);
  }
});

test('IMAPS and POP3S present a certificate for the backend IP, issued by the CA', async () => {
  const caPem = await readFile(ca.cert);
  for (const b of backends) {
    for (const port of [b.imaps, b.pop3s]) {
      const greeting = await new Promise<string>((resolve, reject) => {
        const socket = tlsConnect({ host: b.host, port, ca: caPem }, () => {
          socket.once('data', (d: Buffer) => {
            socket.destroy();
            resolve(d.toString('latin1'));
          });
        });
        socket.once('error', reject);
      });
      assert.match(greeting, /^(\* OK|\+OK)/);
    }
    assert.equal(b.caFile, ca.cert);
  }
});

test('master user: AUTHENTICATE PLAIN with authzid logs in as the user', async () => {
  const b = backends[0] as DovecotHandle;
  const c = await LineClient.connect(b.host, b.imap);
  try {
    await c.readUntil((l) => l.startsWith('* OK'));
    const sasl = Buffer.from(`bob\0${master.name}\0${master.password}`).toString('base64');
    c.send(`a AUTHENTICATE PLAIN ${sasl}`);
    const reply = await c.readUntil((l) => l.startsWith('a '));
    assert.match(reply.at(-1) ?? '', /^a OK /);
  } finally {
    c.close();
  }
});

test('LMTP delivery is seen by POP3 RETR; loginEvents() records login and logout', async () => {
  const b = backends[1] as DovecotHandle;
  const marker = `harness-${Date.now()}`;
  await b.deliver('bob', `From: a@example.org\r\nTo: bob@example.org\r\nSubject: ${marker}\r\n\r\nhello\r\n.leading dot\r\n`);
  const c = await LineClient.connect(b.host, b.pop3);
  let message: string[];
  try {
    await c.readUntil((l) => l.startsWith('+OK'));
    c.send('USER bob');
    await c.readUntil((l) => l.startsWith('+OK'));
    c.send('PASS bob-pw-2');
    assert.match((await c.readUntil((l) => /^[+-]/.test(l))).at(-1) ?? '', /^\+OK/);
    c.send('RETR 1');
    message = await c.readUntil((l) => l === '.');
    c.send('QUIT');
    await c.readUntil((l) => l.startsWith('+OK'));
  } finally {
    c.close();
  }
  assert.ok(message.includes(`Subject: ${marker}`), message.join('\n'));
  assert.ok(message.includes('..leading dot'), 'dot-stuffed on the wire');

  let events: LoginEvent[] = [];
  for (let i = 0; i < 100; i++) {
    events = (await b.loginEvents()).filter((e) => e.user === 'bob' && e.protocol === 'pop3');
    if (events.some((e) => e.event === 'logout')) break;
    await sleep(20);
  }
  const login = events.find((e) => e.event === 'login');
  const logout = events.find((e) => e.event === 'logout');
  assert.ok(login, JSON.stringify(events));
  assert.ok(logout, JSON.stringify(events));
  assert.equal(login.session, logout.session);
  assert.match(login.session, /^[A-Za-z0-9+/]{10,}$/);
  assert.match(login.time, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  assert.ok(login.time <= logout.time);
});

test('pause() makes a backend hang, resume() brings it back', async () => {
  const b = backends[0] as DovecotHandle;
  b.pause();
  try {
    const c = await LineClient.connect(b.host, b.imap);
    try {
      await assert.rejects(c.readUntil((l) => l.startsWith('* OK'), 300), /timed out/);
    } finally {
      c.close();
    }
  } finally {
    b.resume();
  }
  const ok = await imapLogin(b, 'bob', 'bob-pw-2');
  assert.match(ok.at(-1) ?? '', /^a OK /);
});

test('stop() leaves no process behind', async () => {
  const pids = [slapd.pid, ...backends.map((b) => b.pid)];
  assert.ok(pids.every(isAlive));
  assert.ok(groupMembers(backends[0]?.pid ?? 0).length > 1, 'dovecot runs children in its group');
  await Promise.all([slapd.stop(), ...backends.map((b) => b.stop())]);
  for (const pid of pids) {
    assert.equal(isAlive(pid), false, `pid ${pid} is gone`);
    assert.deepEqual(groupMembers(pid), [], `group ${pid} is empty`);
  }
});
