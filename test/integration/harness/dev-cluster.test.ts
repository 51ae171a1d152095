import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterJson } from '../../harness/cluster.js';
import { parseLoginEvents } from '../../harness/dovecot.js';
import { REPO_ROOT } from '../../harness/director.js';
import { LineClient } from '../../harness/lines.js';
import { groupMembers, isAlive } from '../../harness/process.js';

const SCRIPT = join(REPO_ROOT, 'scripts/dev-cluster');
let dir: string;
let cluster: ClusterJson;
let upOutput: string;

function devCluster(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    // execFile waits for our pipes to close: if a started server kept them, this would hang.
    execFile(SCRIPT, args, { timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-devcluster-'));
  await rm(dir, { recursive: true });
  upOutput = await devCluster('up', '--directors', '1', '--backends', '2', '--users', '10', '--dir', dir);
  cluster = JSON.parse(await readFile(join(dir, 'cluster.json'), 'utf8')) as ClusterJson;
});

after(async () => {
  await devCluster('down', '--dir', dir).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

function pidsOf(c: ClusterJson): number[] {
  return [...c.directors.map((d) => d.pid), ...c.backends.map((b) => b.pid)];
}

test('up returns with every service running and cluster.json in the SPEC §7 shape', () => {
  assert.match(upOutput, /user0001/);
  assert.deepEqual(Object.keys(cluster).sort(), ['backends', 'cli', 'directors', 'ldap', 'tls', 'users']);
  assert.match(cluster.ldap.url, /^ldap:\/\/127\.0\.0\.1:\d+$/);
  for (const f of ['host', 'proxy', 'destuser', 'delay_until', 'director_tag', 'nologin']) assert.ok(cluster.ldap.fields[f], f);
  const [d] = cluster.directors;
  assert.ok(d);
  assert.match(d.imap ?? '', /^127\.0\.0\.1:\d+$/);
  assert.match(d.grpc ?? '', /^127\.0\.0\.1:\d+$/);
  assert.equal(d.submission, null);
  assert.deepEqual(cluster.backends.map((b) => b.host), ['127.0.0.11', '127.0.0.12']);
  assert.equal(cluster.backends[0]?.submission, null);
  assert.equal(cluster.users.length, 11, 'ten users and alias0001');
  for (const kind of ['ring', 'host', 'proxy_maybe', 'proxy_always', 'nologin', 'destuser']) {
    assert.ok(cluster.users.some((u) => u.kind === kind), kind);
  }
  assert.ok(cluster.cli.includes('--director'));
  assert.ok(pidsOf(cluster).every(isAlive));
});

test('a host user logs in through the director and lands on its backend', async () => {
  const ldif = await readFile(join(dir, 'ldap/init.ldif'), 'utf8');
  const user = cluster.users.find((u) => u.kind === 'host');
  assert.ok(user);
  const host = new RegExp(`dn: uid=${user.name},[^]*?mailHost: (\\S+)`).exec(ldif)?.[1];
  const backend = cluster.backends.find((b) => b.host === host);
  assert.ok(backend, `backend for ${host}`);
  const [dHost, dPort] = (cluster.directors[0]?.imap ?? '').split(':');
  const c = await LineClient.connect(dHost ?? '', Number(dPort));
  try {
    await c.readUntil((l) => l.startsWith('* OK'));
    c.send(`a LOGIN ${user.name} "${user.password}"`);
    assert.match((await c.readUntil((l) => l.startsWith('a '))).at(-1) ?? '', /^a OK /);
  } finally {
    c.close();
  }
  let seen = false;
  for (let i = 0; i < 50 && !seen; i++) {
    seen = parseLoginEvents(await readFile(backend.log, 'utf8')).some((e) => e.user === user.name && e.event === 'login');
    if (!seen) await sleep(20);
  }
  assert.ok(seen, `login of ${user.name} in ${backend.log}`);
});

test('up refuses to start over a running cluster; down stops exactly its processes', async () => {
  await assert.rejects(devCluster('up', '--dir', dir), /already running/);
  const slapdPid = Number(/ldap \(pid (\d+)\)/.exec(upOutput)?.[1]);
  const pids = [...pidsOf(cluster), slapdPid];
  const out = await devCluster('down', '--dir', dir);
  assert.equal(out.match(/^stopped: /gm)?.length, pids.length, out);
  for (const pid of pids) {
    assert.equal(isAlive(pid), false, `pid ${pid}`);
    assert.deepEqual(groupMembers(pid), []);
  }
  assert.match(await devCluster('down', '--dir', dir), /no dev cluster/);
});
