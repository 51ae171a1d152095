import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster, type ClusterUser } from '../../harness/cluster.js';
import { DIRECTOR_CLI_ARGS, REPO_ROOT, type DirectorHandle } from '../../harness/director.js';
import { LineClient } from '../support/line-client.js';

// The auth cache of a running director, flushed through the admin CLI.

const MASTER = { name: 'proxymaster', password: 'master-secret' };

let dir: string;
let cluster: Cluster;
let director: DirectorHandle;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ops-auth-cache-'));
  cluster = await startCluster({
    dir,
    backends: 1,
    directors: 1,
    users: 10,
    masterUser: MASTER,
    // change_poll 0: no LDAP change watcher, so only the CLI flush retires a cached password.
    directorOverrides: {
      cache: { size: 1000, ttl: '1h', negative_ttl: '1h' },
      passdb: { change_poll: '0s' },
      limits: { auth_failure_delay: '0s' },
    },
  });
  director = cluster.directors[0] as DirectorHandle;
});

after(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const grpc = director.address('grpc');
  assert.ok(grpc !== null);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...DIRECTOR_CLI_ARGS, '--director', grpc, ...args],
      { cwd: REPO_ROOT, timeout: 20_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function pop3Login(name: string, password: string): Promise<string> {
  const c = await LineClient.connect('127.0.0.1', director.pop3 ?? 0);
  try {
    assert.match(await c.line(), /^\+OK/);
    c.write(`USER ${name}\r\n`);
    assert.equal(await c.line(), '+OK');
    c.write(`PASS ${password}\r\n`);
    const reply = await c.line(8000);
    if (reply.startsWith('+OK')) {
      c.write('QUIT\r\n');
      await c.line();
    }
    return reply;
  } finally {
    c.close();
  }
}

const FAILED = '-ERR [AUTH] Authentication failed.';

/**
 * Change a user's password in LDAP only. The backend still knows the old one,
 * so from now on the director logs in there as the master user.
 */
function changePassword(u: ClusterUser, next: string): Promise<void> {
  return cluster.slapd.modifyUser(u.name, { userPassword: next, mailExtraField: [`master=${MASTER.name}`, `pass=${MASTER.password}`] });
}

/** Log in (cached), then change the password in LDAP; the old one still works from the cache. */
async function cacheThenChange(u: ClusterUser, next: string): Promise<void> {
  assert.match(await pop3Login(u.name, u.password), /^\+OK/);
  await changePassword(u, next);
  assert.match(await pop3Login(u.name, u.password), /^\+OK/, 'the old password should still be served from the cache');
}

test('auth cache flush USER: the old password fails and the new one works', async () => {
  const u = cluster.usersOfKind('ring')[0];
  const other = cluster.usersOfKind('ring')[1];
  assert.ok(u !== undefined && other !== undefined);
  const next = `${u.password}-new`;
  // Another user's cached entry must survive a flush of this one.
  assert.match(await pop3Login(other.name, other.password), /^\+OK/);
  await changePassword(other, `${other.password}-new`);
  await cacheThenChange(u, next);

  const flushed = await cli('auth', 'cache', 'flush', u.name, '--json');
  assert.equal(flushed.code, 0, flushed.stderr);
  const json = JSON.parse(flushed.stdout) as { user: string | null; flushed: number };
  assert.equal(json.user, u.name);
  assert.ok(json.flushed >= 1, flushed.stdout);

  assert.equal(await pop3Login(u.name, u.password), FAILED);
  assert.match(await pop3Login(u.name, next), /^\+OK/);
  assert.match(await pop3Login(other.name, other.password), /^\+OK/, 'flushing one user dropped another');
});

test('auth cache flush without a user flushes everything', async () => {
  const users = cluster.usersOfKind('ring').slice(2, 4);
  assert.equal(users.length, 2);
  for (const u of users) await cacheThenChange(u, `${u.password}-new`);

  const flushed = await cli('auth', 'cache', 'flush');
  assert.equal(flushed.code, 0, flushed.stderr);
  const m = /^(\d+) cache entries flushed$/m.exec(flushed.stdout);
  assert.ok(m !== null, flushed.stdout);
  assert.ok(Number(m[1]) >= 2, flushed.stdout);

  for (const u of users) {
    assert.equal(await pop3Login(u.name, u.password), FAILED);
    assert.match(await pop3Login(u.name, `${u.password}-new`), /^\+OK/);
  }
});
