import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCluster, type Cluster } from '../../harness/cluster.js';
import { startDirector, type DirectorHandle } from '../../harness/director.js';
import type { DovecotHandle } from '../../harness/dovecot.js';
import { loginOnce } from './imap-support.js';

// A director whose passdb is a Dovecot passwd-file instead of LDAP.

let dir: string;
let cluster: Cluster;
let director: DirectorHandle;
/** user → the backend its passwd-file line names. */
const placement = new Map<string, DovecotHandle>();

/** Every LDAP-only key the harness writes, removed (the config check rejects them for passwd-file). */
const LDAP_KEYS = ['uris', 'bind_dn', 'bind_password', 'base', 'scope', 'filter', 'auth_bind', 'password_attribute', 'fields', 'timeout', 'connect_timeout'];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ops-passwd-file-'));
  cluster = await startCluster({ dir, backends: 2, directors: 0, users: 6 });
  const [b1, b2] = cluster.backends;
  const [u1, u2] = cluster.usersOfKind('ring');
  assert.ok(b1 !== undefined && b2 !== undefined && u1 !== undefined && u2 !== undefined);
  placement.set(u1.name, b1);
  placement.set(u2.name, b2);
  const path = join(dir, 'users');
  await writeFile(
    path,
    [
      '# Dovecot passwd-file: user:password:uid:gid:gecos:home:shell:extra fields',
      `${u1.name}:{PLAIN}${u1.password}::::::host=${b1.host} proxy=y`,
      `${u2.name}:{PLAIN}${u2.password}::::::host=${b2.host} proxy=y`,
      '',
    ].join('\n'),
  );
  const passdb: Record<string, unknown> = { driver: 'passwd-file', path };
  for (const key of LDAP_KEYS) passdb[key] = null;
  director = await startDirector({
    dir: join(dir, 'd1'),
    id: 'd1',
    ca: cluster.ca,
    // Unused: the passdb is the file.
    ldap: cluster.slapd,
    backends: cluster.backends,
    listen: ['imap', 'pop3'],
    localBackend: 'b1',
    overrides: { passdb, limits: { auth_failure_delay: '0s' } },
  });
});

after(async () => {
  await director?.stop();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('passwd-file users log in to the backend their host= field names', async () => {
  for (const [name, backend] of placement) {
    const u = cluster.users.find((x) => x.name === name);
    assert.ok(u !== undefined);
    const before = (await backend.loginEvents()).filter((e) => e.user === name && e.event === 'login').length;
    assert.match(await loginOnce(director, u.name, u.password), /^OK/);
    let after = before;
    for (let i = 0; i < 40 && after === before; i++) {
      after = (await backend.loginEvents()).filter((e) => e.user === name && e.event === 'login').length;
      if (after === before) await sleep(25);
    }
    assert.equal(after, before + 1, `${name} did not log in on ${backend.id}`);
    for (const other of cluster.backends.filter((b) => b !== backend)) {
      assert.ok(!(await other.loginEvents()).some((e) => e.user === name), `${name} also logged in on ${other.id}`);
    }
  }
});

test('passwd-file: wrong password and unknown user fail', async () => {
  const u = cluster.usersOfKind('ring')[0];
  const stranger = cluster.usersOfKind('ring')[2];
  assert.ok(u !== undefined && stranger !== undefined);
  assert.equal(await loginOnce(director, u.name, `${u.password}x`), 'NO [AUTHENTICATIONFAILED] Authentication failed.');
  // In LDAP and on the backends, but not in the file.
  assert.equal(await loginOnce(director, stranger.name, stranger.password), 'NO [AUTHENTICATIONFAILED] Authentication failed.');
});
