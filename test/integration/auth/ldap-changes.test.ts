import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSlapd } from '../../harness/slapd.js';
import type { LdapUser, SlapdHandle } from '../../harness/slapd.js';
import { LdapChangeWatcher } from '../../../src/auth/ldap-changes.js';
import type { LdapUserChange } from '../../../src/auth/ldap-changes.js';
import { createPassdb } from '../../../src/auth/build.js';
import type { AuthRequest } from '../../../src/auth/passdb.js';
import type { LdapPassdbConfig } from '../../../src/config/types.js';
import { Secret } from '../../../src/core/secret.js';
import { captureLog } from './log-capture.js';

const POLL_MS = 500;
const USERS: LdapUser[] = [
  { uid: 'alice', password: 'alice-pw', attrs: { mailHost: '127.0.0.11' } },
  { uid: 'bob', password: 'bob-pw', attrs: { mailHost: '127.0.0.12' } },
  { uid: 'carol', password: 'carol-old', attrs: { mailHost: '127.0.0.11' } },
  { uid: 'dave', password: 'dave-old', attrs: { mailHost: '127.0.0.11' } },
];

let dir: string;
let ldap: SlapdHandle;
const { log, lines } = captureLog();
const cleanup: (() => Promise<void>)[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'auth-ldap-changes-'));
  ldap = await startSlapd({ dir: join(dir, 'main'), users: USERS });
});

after(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  await ldap?.stop();
  await rm(dir, { recursive: true, force: true });
});

function config(server: SlapdHandle, overrides: Partial<LdapPassdbConfig> = {}): LdapPassdbConfig {
  return {
    driver: 'ldap',
    uris: [server.url],
    bindDn: server.bindDn,
    bindPassword: new Secret(server.bindPassword),
    base: server.peopleDn,
    scope: 'sub',
    filter: '(&(objectClass=inetOrgPerson)(uid=%u))',
    authBind: true,
    passwordAttribute: 'userPassword',
    fields: [
      { field: 'user', attribute: 'uid', constant: undefined },
      { field: 'host', attribute: 'mailHost', constant: undefined },
    ],
    timeoutMs: 1000,
    connectTimeoutMs: 500,
    searchPoolSize: 1,
    bindPoolSize: 2,
    startTls: false,
    caFile: undefined,
    ca: undefined,
    changePollMs: POLL_MS,
    ...overrides,
  };
}

function request(user: string, password: string): AuthRequest {
  return { user, password: new Secret(password), protocol: 'imap', sessionId: 's1', remoteIp: '127.0.0.1', localIp: '127.0.0.1' };
}

async function waitFor(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await sleep(25);
  }
  return Date.now() - started;
}

/** A started watcher recording every change, after its first successful poll. */
async function watch(server: SlapdHandle): Promise<{ watcher: LdapChangeWatcher; seen: LdapUserChange[] }> {
  const watcher = new LdapChangeWatcher(config(server), log);
  cleanup.push(() => watcher.stop());
  const seen: LdapUserChange[] = [];
  watcher.onUsersChanged((changes) => void seen.push(...changes));
  watcher.start();
  // Listeners do not hear polls without changes: two intervals are enough for the first one.
  await sleep(POLL_MS * 2);
  return { watcher, seen };
}

test('a mailHost change and a password change are reported within 2 × change_poll; unchanged entries are not', async () => {
  const { seen } = await watch(ldap);
  // slapadd created the entries moments ago: they may show up once as the first poll's changes.
  seen.length = 0;

  const t0 = Date.now();
  await ldap.modifyUser('alice', { mailHost: '127.0.0.99' });
  const hostMs = await waitFor('mailHost change', 2 * POLL_MS, () => seen.some((c) => c.user === 'alice'));
  const change = seen.find((c) => c.user === 'alice');
  assert.equal(change?.dn, ldap.dnOf('alice'));
  assert.equal(change?.fields?.host, '127.0.0.99');
  assert.ok(change !== undefined && Math.abs(change.modifiedAt - t0) < 3000, 'modifiedAt is the server modifyTimestamp');

  await ldap.modifyUser('bob', { userPassword: 'bob-new' });
  const passwordMs = await waitFor('password change', 2 * POLL_MS, () => seen.some((c) => c.user === 'bob'));

  // Several more polls: neither alice nor bob (nor anyone else) shows up again.
  await sleep(POLL_MS * 4);
  assert.deepEqual(
    seen.map((c) => c.user),
    ['alice', 'bob'],
  );
  log.info({ hostMs, passwordMs }, 'change latency');
});

test('two changes to one entry within the same second are both reported', async () => {
  const { seen } = await watch(ldap);
  seen.length = 0;
  await ldap.modifyUser('alice', { mailHost: '127.0.0.21' });
  await waitFor('first change', 2 * POLL_MS, () => seen.some((c) => c.fields?.host === '127.0.0.21'));
  // Likely the same modifyTimestamp second; only entryCSN tells them apart.
  await ldap.modifyUser('alice', { userPassword: 'alice-pw2' });
  await waitFor('second change', 2 * POLL_MS, () => seen.filter((c) => c.user === 'alice').length === 2);
});

test('cache on, TTL 1 h: after a password change the old password fails within about a second, without a flush', async () => {
  const passdb = createPassdb({ passdb: config(ldap), cache: { size: 100, ttlMs: 3_600_000, negativeTtlMs: 10_000 } }, log);
  cleanup.push(() => passdb.close());
  await sleep(POLL_MS * 2);
  assert.equal((await passdb.authenticate(request('carol', 'carol-old'))).kind, 'ok');
  // Served from the cache from now on.
  assert.equal((await passdb.authenticate(request('carol', 'carol-old'))).kind, 'ok');
  assert.ok(lines.some((l) => l.includes('"auth cache hit"') && l.includes('"carol"')));

  await ldap.modifyUser('carol', { userPassword: 'carol-new' });
  const ms = await waitFor('old password refused', 2 * POLL_MS + 300, async () => (await passdb.authenticate(request('carol', 'carol-old'))).kind === 'fail');
  assert.equal((await passdb.authenticate(request('carol', 'carol-new'))).kind, 'ok');
  log.info({ ms }, 'old password refused after');
});

test('control: with change_poll 0 the cached old password keeps working (what the watcher fixes)', async () => {
  const passdb = createPassdb(
    { passdb: config(ldap, { changePollMs: 0 }), cache: { size: 100, ttlMs: 3_600_000, negativeTtlMs: 10_000 } },
    log,
  );
  cleanup.push(() => passdb.close());
  assert.equal((await passdb.authenticate(request('dave', 'dave-old'))).kind, 'ok');
  await ldap.modifyUser('dave', { userPassword: 'dave-new' });
  await sleep(POLL_MS * 3);
  assert.equal((await passdb.authenticate(request('dave', 'dave-old'))).kind, 'ok');
  const got: LdapUserChange[] = [];
  passdb.onUsersChanged((changes) => void got.push(...changes));
  await sleep(POLL_MS * 2);
  assert.deepEqual(got, []);
});

test('subscribing starts the watcher even with the cache off', async () => {
  const passdb = createPassdb({ passdb: config(ldap), cache: { size: 0, ttlMs: 0, negativeTtlMs: 0 } }, log);
  cleanup.push(() => passdb.close());
  const got: LdapUserChange[] = [];
  passdb.onUsersChanged((changes) => void got.push(...changes));
  await sleep(POLL_MS * 2);
  got.length = 0;
  await ldap.modifyUser('bob', { mailHost: '127.0.0.31' });
  await waitFor('change via the passdb', 2 * POLL_MS, () => got.some((c) => c.user === 'bob' && c.fields?.host === '127.0.0.31'));
  await passdb.close();
  // Closed: no more polls, no more events.
  got.length = 0;
  await ldap.modifyUser('bob', { mailHost: '127.0.0.32' });
  await sleep(POLL_MS * 3);
  assert.deepEqual(got, []);
});

test('LDAP stopped: the watcher logs, keeps going, and reports again once slapd is back on the same port', async () => {
  const first = await startSlapd({ dir: join(dir, 'restart-1'), users: USERS });
  const { watcher, seen } = await watch(first);
  seen.length = 0;
  await first.stop();
  await waitFor('poll failure logged', 5000, () =>
    lines.some((l) => l.includes('"LDAP change poll failed; retrying"') && l.includes(`:${first.port}`)),
  );
  await sleep(POLL_MS * 2);
  assert.equal(watcher.running, true);

  // A new slapd (fresh database, so every entry is new to the watcher) on the same port.
  const second = await startSlapd({ dir: join(dir, 'restart-2'), port: first.port, users: USERS });
  cleanup.push(() => second.stop());
  await waitFor('polling resumed', 10_000, () => lines.some((l) => l.includes('"LDAP change polling resumed"')));
  seen.length = 0;
  await second.modifyUser('alice', { mailHost: '127.0.0.77' });
  await waitFor('change after restart', 2 * POLL_MS, () => seen.some((c) => c.user === 'alice' && c.fields?.host === '127.0.0.77'));
});

test('LDAP hanging (SIGSTOP): polls time out, the watcher keeps going, and reports again after SIGCONT', async () => {
  const hung = await startSlapd({ dir: join(dir, 'hung'), users: USERS });
  cleanup.push(async () => {
    hung.resume();
    await hung.stop();
  });
  const { watcher, seen } = await watch(hung);
  hung.pause();
  const before = lines.length;
  // timeout is 1 s: the poll in flight fails then, and the next ones fail fast or time out too.
  await waitFor('timeout logged', 4000, () =>
    lines.slice(before).some((l) => l.includes('"LDAP change poll failed; retrying"') && l.includes(`:${hung.port}`)),
  );
  assert.equal(watcher.running, true);
  hung.resume();
  await waitFor('polling resumed', 10_000, () => lines.slice(before).some((l) => l.includes('"LDAP change polling resumed"')));
  seen.length = 0;
  await hung.modifyUser('dave', { mailHost: '127.0.0.88' });
  await waitFor('change after resume', 2 * POLL_MS, () => seen.some((c) => c.user === 'dave' && c.fields?.host === '127.0.0.88'));
});

test('no password reaches the log', () => {
  for (const pw of ['alice-pw', 'alice-pw2', 'bob-pw', 'bob-new', 'carol-old', 'carol-new', 'dave-old', 'dave-new', ldap.bindPassword]) {
    assert.ok(!lines.some((l) => l.includes(pw)), `password ${pw} in the log`);
  }
});
