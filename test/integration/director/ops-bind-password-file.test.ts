import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCluster, type Cluster, type ClusterUser } from '../../harness/cluster.js';
import { startDirector, type DirectorHandle } from '../../harness/director.js';
import { loginOnce, waitLog } from './imap-support.js';

// passdb.bind_password_file against a real slapd: read at start and again on
// SIGHUP, and a password file every user can read is logged as a warning.

let dir: string;
let cluster: Cluster;
let director: DirectorHandle;
let user: ClusterUser;
let passwordFile: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ops-bind-pw-file-'));
  cluster = await startCluster({ dir, backends: 1, directors: 0, users: 4 });
  const ring = cluster.usersOfKind('ring')[0];
  assert.ok(ring);
  user = ring;
  passwordFile = join(dir, 'ldap-bind.pw');
  await writeFile(passwordFile, `${cluster.slapd.bindPassword}\n`);
  await chmod(passwordFile, 0o644);
  director = await startDirector({
    dir: join(dir, 'd1'),
    id: 'd1',
    ca: cluster.ca,
    ldap: cluster.slapd,
    backends: cluster.backends,
    listen: ['imap'],
    overrides: { passdb: { bind_password: null, bind_password_file: passwordFile } },
  });
});

after(async () => {
  await director?.stop();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function reload(): Promise<void> {
  const count = async (): Promise<number> => (await readFile(director.logFile, 'utf8')).split('\n').filter((l) => l.includes('configuration reloaded')).length;
  const before = await count();
  process.kill(director.pid, 'SIGHUP');
  for (let i = 0; i < 100 && (await count()) === before; i++) await sleep(50);
  assert.ok((await count()) > before, 'reloaded');
}

test('the service bind uses the file\'s password; a world-readable file is warned about, without the password', async () => {
  const config = await readFile(director.configFile, 'utf8');
  assert.ok(!config.includes(cluster.slapd.bindPassword), 'the config holds no password');
  assert.match(await loginOnce(director, user.name, user.password), /^OK /);
  const warning = await waitLog(director.logFile, /config warning: .*passdb\.bind_password_file: .*ldap-bind\.pw \(mode 0644\) holds the LDAP bind password/);
  assert.ok(!warning.includes(cluster.slapd.bindPassword));
});

test('SIGHUP reads the file again: a wrong password fails logins temporarily, the right one serves again', async () => {
  await writeFile(passwordFile, 'not-the-bind-password\n');
  await reload();
  assert.match(await loginOnce(director, user.name, user.password), /^NO \[UNAVAILABLE\] /);
  await writeFile(passwordFile, `${cluster.slapd.bindPassword}\n`);
  await chmod(passwordFile, 0o640);
  await reload();
  assert.match(await loginOnce(director, user.name, user.password), /^OK /);
  const log = await readFile(director.logFile, 'utf8');
  assert.ok(!log.includes('not-the-bind-password') && !log.includes(cluster.slapd.bindPassword), 'no password in the log');
});
