import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCluster, type Cluster, type ClusterUser } from '../../harness/cluster.js';
import type { DirectorHandle } from '../../harness/director.js';
import type { DovecotHandle } from '../../harness/dovecot.js';
import { lmtpDeliver } from '../../harness/lmtp.js';
import { loginOnce } from './imap-support.js';

// director.login_source_ips with three loopback addresses: the backend sees
// the director's connections come from each of them in turn (its log's
// real_rip), while the client's address still reaches it by ID (rip); a
// passdb source_ip wins over the list.

const SOURCES = ['127.0.0.21', '127.0.0.22', '127.0.0.23'];
const PASSDB_SOURCE = '127.0.0.29';

let dir: string;
let cluster: Cluster;
let director: DirectorHandle;
let backend: DovecotHandle;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'login-source-ips-'));
  cluster = await startCluster({
    dir,
    backends: 1,
    directors: 1,
    users: 6,
    // The last one with Dovecot's `?`: kept only because this host has it (all of 127.0.0.0/8 is local).
    directorOverrides: { director: { login_source_ips: [SOURCES[0], SOURCES[1], `?${SOURCES[2]}`] } },
  });
  director = cluster.directors[0] as DirectorHandle;
  backend = cluster.backends[0] as DovecotHandle;
});

after(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** real_rip of each backend login line of `user`, in order. */
async function sourcesOf(u: ClusterUser, count: number): Promise<string[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const log = await readFile(backend.logFile, 'utf8');
    const found = log
      .split('\n')
      .filter((l) => l.includes(`imap-login: Info: Login: user=<${u.name}>`))
      .map((l) => /real_rip=([0-9.]+)/.exec(l)?.[1] ?? '?');
    if (found.length >= count || Date.now() > deadline) return found;
    await sleep(50);
  }
}

test('six logins leave from the three source addresses in turn; the client\'s own address still reaches the backend', async () => {
  const u = cluster.usersOfKind('ring')[0];
  assert.ok(u !== undefined);
  for (let i = 0; i < 6; i++) assert.match(await loginOnce(director, u.name, u.password), /^OK /);
  const sources = await sourcesOf(u, 6);
  assert.equal(sources.length, 6);
  assert.deepEqual([...sources].sort(), [...SOURCES, ...SOURCES].sort(), sources.join(' '));
  // Round robin: no address twice in a row.
  for (let i = 1; i < sources.length; i++) assert.notEqual(sources[i], sources[i - 1], sources.join(' '));
  const log = await readFile(backend.logFile, 'utf8');
  const line = log.split('\n').find((l) => l.includes(`Login: user=<${u.name}>`)) ?? '';
  assert.match(line, /rip=127\.0\.0\.1,/);
});

test('source_ip from the passdb wins over login_source_ips', async () => {
  const u = cluster.usersOfKind('ring')[1];
  assert.ok(u !== undefined);
  await cluster.slapd.modifyUser(u.name, { mailExtraField: [`source_ip=${PASSDB_SOURCE}`] });
  for (let i = 0; i < 2; i++) assert.match(await loginOnce(director, u.name, u.password), /^OK /);
  assert.deepEqual(await sourcesOf(u, 2), [PASSDB_SOURCE, PASSDB_SOURCE]);
});

test('LMTP deliveries take the next source address per backend connection', async () => {
  const u = cluster.usersOfKind('ring')[2];
  assert.ok(u !== undefined);
  const lmtp = director.lmtp;
  assert.ok(lmtp !== null);
  const before = (await readFile(backend.logFile, 'utf8')).length;
  for (let i = 0; i < 3; i++) await lmtpDeliver(director.host, lmtp, `${u.name}@example.org`, `Subject: ${i}\r\n\r\nbody\r\n`);
  // Dovecot's lmtp logs each connection as "Connect from ADDRESS" before XCLIENT names the MTA.
  const connects = (await readFile(backend.logFile, 'utf8'))
    .slice(before)
    .split('\n')
    .map((l) => /lmtp\(\d+\): Info: Connect from ([0-9.]+)/.exec(l)?.[1])
    .filter((ip): ip is string => ip !== undefined);
  assert.deepEqual([...connects].sort(), [...SOURCES].sort(), connects.join(' '));
});
