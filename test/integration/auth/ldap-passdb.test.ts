import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSlapd } from '../../harness/slapd.js';
import type { SlapdHandle } from '../../harness/slapd.js';
import { freePort } from '../../harness/ports.js';
import { LdapPassdb } from '../../../src/auth/ldap-passdb.js';
import { createPassdb } from '../../../src/auth/build.js';
import type { AuthRequest, AuthResult, Passdb } from '../../../src/auth/passdb.js';
import type { LdapPassdbConfig } from '../../../src/config/types.js';
import { Secret } from '../../../src/core/secret.js';
import { captureLog } from './log-capture.js';

const PASSWORDS = ['alice-pw', 'bob-pw', 'carol-pw', 'alice-new-pw'];

let dir: string;
let ldap: SlapdHandle;
const { log, lines } = captureLog();
const open: Passdb[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'auth-ldap-'));
  ldap = await startSlapd({
    dir: join(dir, 'main'),
    users: [
      {
        uid: 'alice',
        password: 'alice-pw',
        attrs: {
          mailHost: '127.0.0.11',
          mailProxy: 'proxy_maybe proxy_always',
          mailDestUser: 'alice@backend',
          mailDirectorTag: 'eu',
          mailDelayUntil: '1700000000+5',
          mailExtraField: ['port=1143', 'forward_client=webmail', 'starttls=any-cert', 'proxy_nopipelining'],
        },
      },
      // userPassword as Dovecot would store it (doveadm pw); slapd itself can bind with these too.
      { uid: 'bob', password: 'bob-pw', userPassword: '{SSHA}L69hEJmf+2mwJ4XesurpyIJIlhEgqf5Y' },
      {
        uid: 'carol',
        password: 'carol-pw',
        userPassword:
          '{SHA512-CRYPT}$6$7bPbrh2s6aBsS6ob$fZ6V0Zai6cnod0gl3Zo5RLEP/hYhgXhEu07Sm/Gz6q.vI21xGZsaNSJOZwhtgvrEZTpu.RG8afrx.u1Am3PRx1',
      },
      { uid: 'nopass', password: 'unused', attrs: { mailExtraField: ['nopassword=y'], mailHost: '127.0.0.12' } },
      { uid: 'blocked', password: 'blocked-pw', attrs: { mailNoLogin: 'y', mailNoLoginReason: 'Moved to the new system.' } },
      { uid: 'broken', password: 'broken-pw', attrs: { mailPort: 'abc' } },
      { uid: 'argon', password: 'argon-pw', userPassword: '{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA' },
    ],
  });
});

after(async () => {
  await Promise.all(open.map((p) => p.close()));
  await ldap?.stop();
  await rm(dir, { recursive: true, force: true });
});

function config(overrides: Partial<LdapPassdbConfig> = {}): LdapPassdbConfig {
  return {
    driver: 'ldap',
    uris: [ldap.url],
    bindDn: ldap.bindDn,
    bindPassword: new Secret(ldap.bindPassword),
    base: ldap.peopleDn,
    scope: 'sub',
    filter: '(&(objectClass=inetOrgPerson)(uid=%u))',
    authBind: true,
    passwordAttribute: 'userPassword',
    fields: [
      { field: 'host', attribute: 'MAILHOST', constant: undefined },
      { field: 'port', attribute: 'mailPort', constant: undefined },
      { field: 'proxy', attribute: 'mailProxy', constant: undefined },
      { field: 'destuser', attribute: 'mailDestUser', constant: undefined },
      { field: 'delay_until', attribute: 'mailDelayUntil', constant: undefined },
      { field: 'director_tag', attribute: 'mailDirectorTag', constant: undefined },
      { field: 'nologin', attribute: 'mailNoLogin', constant: undefined },
      { field: 'reason', attribute: 'mailNoLoginReason', constant: undefined },
      { field: 'extra', attribute: 'mailExtraField', constant: undefined },
      { field: 'proxy_timeout', attribute: undefined, constant: '15' },
    ],
    timeoutMs: 1500,
    connectTimeoutMs: 500,
    searchPoolSize: 2,
    bindPoolSize: 2,
    startTls: false,
    caFile: undefined,
    ca: undefined,
    changePollMs: 0,
    ...overrides,
  };
}

function passdb(overrides: Partial<LdapPassdbConfig> = {}): LdapPassdb {
  const p = new LdapPassdb(config(overrides), log);
  open.push(p);
  return p;
}

function request(user: string, password: string): AuthRequest {
  return { user, password: new Secret(password), protocol: 'imap', sessionId: 's1', remoteIp: '127.0.0.1', localIp: '127.0.0.1' };
}

function kind(result: AuthResult): string {
  return result.kind;
}

async function bindCount(dn: string): Promise<number> {
  const text = await readFile(ldap.logFile, 'utf8');
  return text.split('\n').filter((line) => line.includes(`BIND dn="${dn}"`)).length;
}

test('auth_bind: right password gives the mapped fields (attributes, constants, extra)', async () => {
  const result = await passdb().authenticate(request('alice', 'alice-pw'));
  assert.equal(result.kind, 'ok');
  if (result.kind !== 'ok') return;
  const f = result.fields;
  assert.equal(f.user, 'alice');
  assert.equal(f.host, '127.0.0.11');
  assert.equal(f.proxy, 'proxy_maybe');
  assert.equal(f.proxyAlways, true);
  assert.equal(f.destuser, 'alice@backend');
  assert.equal(f.directorTag, 'eu');
  assert.deepEqual(f.delayUntil, { atMs: 1_700_000_000_000, jitterSeconds: 5 });
  assert.equal(f.port, 1143);
  assert.deepEqual({ ...f.forward }, { client: 'webmail' });
  assert.equal(f.starttls, 'any-cert');
  assert.equal(f.proxyNopipelining, true);
  assert.equal(f.proxyTimeoutMs, 15_000);
  assert.equal(f.nologin, false);
});

test('auth_bind: wrong password, unknown user, empty password fail', async () => {
  const p = passdb();
  assert.deepEqual(await p.authenticate(request('alice', 'wrong')), { kind: 'fail', detail: 'wrong password' });
  assert.deepEqual(await p.authenticate(request('nobody', 'x')), { kind: 'fail', detail: 'unknown user' });
  const before = await bindCount(ldap.dnOf('alice'));
  assert.ok(before > 0, 'the slapd log should show the earlier binds');
  assert.deepEqual(await p.authenticate(request('alice', '')), { kind: 'fail', detail: 'empty password' });
  // slapd logs stats lines as it goes; give it a moment, then check that no bind was attempted.
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(await bindCount(ldap.dnOf('alice')), before);
});

test('nopassword entries skip the password check; nologin and reason come through', async () => {
  const p = passdb();
  const result = await p.authenticate(request('nopass', ''));
  assert.equal(result.kind, 'ok');
  if (result.kind === 'ok') assert.equal(result.fields.nopassword, true);
  assert.equal(kind(await p.authenticate(request('nopass', 'anything'))), 'ok');
  const blocked = await p.authenticate(request('blocked', 'blocked-pw'));
  assert.equal(blocked.kind, 'ok');
  if (blocked.kind === 'ok') {
    assert.equal(blocked.fields.nologin, true);
    assert.equal(blocked.fields.reason, 'Moved to the new system.');
  }
});

test('a malformed field is a temporary failure, not a login or "wrong password"', async () => {
  const result = await passdb().authenticate(request('broken', 'broken-pw'));
  assert.equal(result.kind, 'tempfail');
  assert.match(result.kind === 'tempfail' ? result.detail : '', /port/);
});

test('password lookup (auth_bind=false): SSHA and SHA512-CRYPT stored values', async () => {
  const p = passdb({ authBind: false });
  assert.equal(kind(await p.authenticate(request('bob', 'bob-pw'))), 'ok');
  assert.deepEqual(await p.authenticate(request('bob', 'bob-pw2')), { kind: 'fail', detail: 'wrong password' });
  assert.equal(kind(await p.authenticate(request('carol', 'carol-pw'))), 'ok');
  assert.deepEqual(await p.authenticate(request('carol', 'alice-pw')), { kind: 'fail', detail: 'wrong password' });
  assert.equal(kind(await p.authenticate(request('carol', ''))), 'fail');
  // A scheme we cannot check is "cannot decide", not "wrong password".
  const argon = await p.authenticate(request('argon', 'argon-pw'));
  assert.equal(argon.kind, 'tempfail');
  assert.match(argon.kind === 'tempfail' ? argon.detail : '', /ARGON2ID/);
});

test('a refused service bind (bad bind_password) is a temporary failure, not "wrong password"', async () => {
  const p = passdb({ bindPassword: new Secret('not-the-admin-password') });
  const result = await p.authenticate(request('alice', 'alice-pw'));
  assert.equal(result.kind, 'tempfail');
  assert.match(result.kind === 'tempfail' ? result.detail : '', /service/);
  assert.equal((await p.lookup('alice')).kind, 'tempfail');
});

test('StartTLS refused by a server without TLS: tempfail, no plaintext fallback', async () => {
  const p = passdb({ startTls: true });
  const started = Date.now();
  assert.equal(kind(await p.authenticate(request('alice', 'alice-pw'))), 'tempfail');
  assert.ok(Date.now() - started < 1500);
});

test('injection attempts match nobody', async () => {
  for (const p of [passdb(), passdb({ authBind: false })]) {
    for (const evil of ['*', ')(uid=*', 'alice)(uid=*', '*)(|(uid=*', 'al*', 'alice\\', 'alice\u0000', '\\2a']) {
      const result = await p.authenticate(request(evil, 'alice-pw'));
      assert.equal(result.kind, 'fail', `authenticate(${JSON.stringify(evil)})`);
      assert.deepEqual(await p.lookup(evil), { kind: 'not_found' }, `lookup(${JSON.stringify(evil)})`);
    }
  }
});

test('lookup returns fields without a password check', async () => {
  const result = await passdb().lookup('alice');
  assert.equal(result.kind, 'ok');
  if (result.kind === 'ok') assert.equal(result.fields.host, '127.0.0.11');
  assert.deepEqual(await passdb().lookup('nobody'), { kind: 'not_found' });
});

test('failover: first URI has nothing listening, second works', async () => {
  const dead = `ldap://127.0.0.1:${await freePort()}`;
  const p = passdb({ uris: [dead, ldap.url] });
  const started = Date.now();
  assert.equal(kind(await p.authenticate(request('alice', 'alice-pw'))), 'ok');
  assert.equal(kind(await p.authenticate(request('alice', 'wrong'))), 'fail');
  assert.ok(Date.now() - started < 1500);
});

test('every URI down: tempfail, quickly, never "fail"', async () => {
  const p = passdb({ uris: [`ldap://127.0.0.1:${await freePort()}`, `ldap://127.0.0.1:${await freePort()}`] });
  for (let i = 0; i < 3; i++) {
    const started = Date.now();
    const result = await p.authenticate(request('alice', 'alice-pw'));
    assert.equal(result.kind, 'tempfail');
    assert.ok(Date.now() - started < 1500, `answer took ${Date.now() - started} ms`);
    assert.equal((await p.lookup('alice')).kind, 'tempfail');
  }
});

test('LDAP stopped and paused: tempfail within the deadline, then recovery', async () => {
  const spare = await startSlapd({ dir: join(dir, 'spare'), users: [{ uid: 'dan', password: 'dan-pw' }] });
  try {
    const p = passdb({ uris: [spare.url], base: spare.peopleDn, bindDn: spare.bindDn, bindPassword: new Secret(spare.bindPassword), timeoutMs: 800 });
    assert.equal(kind(await p.authenticate(request('dan', 'dan-pw'))), 'ok');

    // Paused: connections stay open, nothing answers.
    spare.pause();
    try {
      for (const user of ['dan', 'other']) {
        const started = Date.now();
        const result = await p.authenticate(request(user, 'dan-pw'));
        const took = Date.now() - started;
        assert.equal(result.kind, 'tempfail');
        assert.ok(took < 1200, `paused LDAP answered after ${took} ms`);
      }
    } finally {
      spare.resume();
    }
    // Backoff after the failures is short; the server is used again soon after it answers.
    let recovered = false;
    for (let i = 0; i < 40 && !recovered; i++) {
      recovered = (await p.authenticate(request('dan', 'dan-pw'))).kind === 'ok';
      if (!recovered) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(recovered, 'no recovery after resume');
  } finally {
    await spare.stop();
  }
});

test('failover away from a hung server within one request', async () => {
  const hung = await startSlapd({ dir: join(dir, 'hung'), users: [] });
  try {
    hung.pause();
    const p = passdb({ uris: [hung.url, ldap.url], timeoutMs: 2000, connectTimeoutMs: 300 });
    const started = Date.now();
    assert.equal(kind(await p.authenticate(request('alice', 'alice-pw'))), 'ok');
    assert.ok(Date.now() - started < 2000);
  } finally {
    hung.resume();
    await hung.stop();
  }
});

test('stopped LDAP: tempfail at once', async () => {
  const gone = await startSlapd({ dir: join(dir, 'gone'), users: [{ uid: 'eve', password: 'eve-pw' }] });
  const p = passdb({ uris: [gone.url], base: gone.peopleDn, bindDn: gone.bindDn, bindPassword: new Secret(gone.bindPassword) });
  assert.equal(kind(await p.authenticate(request('eve', 'eve-pw'))), 'ok');
  await gone.stop();
  const started = Date.now();
  assert.equal(kind(await p.authenticate(request('eve', 'eve-pw'))), 'tempfail');
  assert.ok(Date.now() - started < 1500);
});

test('cache: a password change is honoured, flushCache forgets', async () => {
  await ldap.addUser({ uid: 'frank', password: 'frank-old' });
  const p = createPassdb({ passdb: config(), cache: { size: 100, ttlMs: 60_000, negativeTtlMs: 10_000 } }, log);
  open.push(p);
  assert.equal(kind(await p.authenticate(request('frank', 'frank-old'))), 'ok');
  await ldap.modifyUser('frank', { userPassword: 'frank-new' });
  // The new password reaches LDAP (not the cache) at once...
  assert.equal(kind(await p.authenticate(request('frank', 'frank-new'))), 'ok');
  // ...and its success retires the cached old one.
  assert.equal(kind(await p.authenticate(request('frank', 'frank-old'))), 'fail');

  // Change again; an explicit flush ends the cached success without a new login.
  assert.equal(kind(await p.authenticate(request('frank', 'frank-new'))), 'ok');
  await ldap.modifyUser('frank', { userPassword: 'frank-third' });
  assert.ok(p.flushCache('frank') >= 1);
  assert.equal(kind(await p.authenticate(request('frank', 'frank-new'))), 'fail');
  assert.equal(kind(await p.authenticate(request('frank', 'frank-third'))), 'ok');
});

test('the log has structured failure lines and no password', () => {
  const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.ok(entries.some((e) => e['msg'] === 'LDAP server failed, trying the next one' && typeof e['uri'] === 'string'));
  assert.ok(entries.some((e) => e['msg'] === 'LDAP request failed' && e['user'] === 'alice' && typeof e['durationMs'] === 'number'));
  const text = lines.join('');
  for (const pw of [...PASSWORDS, 'admin-secret']) assert.ok(!text.includes(pw), `password ${pw} leaked into the log`);
});
