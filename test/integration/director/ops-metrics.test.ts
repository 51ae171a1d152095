import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster } from '../../harness/cluster.js';
import type { DirectorHandle } from '../../harness/director.js';
import { loginOnce } from './imap-support.js';

// /metrics on the director's http port after real logins.

let dir: string;
let cluster: Cluster;
let director: DirectorHandle;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ops-metrics-'));
  cluster = await startCluster({ dir, backends: 1, directors: 1, users: 10, directorOverrides: { limits: { auth_failure_delay: '0s' } } });
  director = cluster.directors[0] as DirectorHandle;
});

after(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function metrics(): Promise<string> {
  const address = director.address('http');
  assert.ok(address !== null);
  const res = await fetch(`http://${address}/metrics`);
  assert.equal(res.status, 200);
  return res.text();
}

/** The value of one sample, labels in any order; undefined when absent. */
function sample(text: string, name: string, labels: Readonly<Record<string, string>>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const got = new Map([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1] ?? '', x[2] ?? '']));
    if (Object.entries(labels).every(([k, v]) => got.get(k) === v) && got.size === Object.keys(labels).length) return Number(m[3]);
  }
  return undefined;
}

test('maildirector_logins_total counts IMAP logins and no user name leaks into /metrics', async () => {
  const before = sample(await metrics(), 'maildirector_logins_total', { protocol: 'imap', result: 'ok' }) ?? 0;
  const users = cluster.usersOfKind('ring').slice(0, 3);
  assert.equal(users.length, 3);
  for (const u of users) assert.match(await loginOnce(director, u.name, u.password), /^OK/);
  const wrong = cluster.usersOfKind('host')[0];
  assert.ok(wrong !== undefined);
  assert.match(await loginOnce(director, wrong.name, `${wrong.password}x`), /^NO /);

  const text = await metrics();
  assert.equal(sample(text, 'maildirector_logins_total', { protocol: 'imap', result: 'ok' }), before + 3, text);
  const failures = text
    .split('\n')
    .filter((l) => l.startsWith('maildirector_logins_total{') && l.includes('protocol="imap"') && !l.includes('result="ok"'))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
  assert.equal(failures, 1, text);
  assert.match(text, /^# TYPE maildirector_logins_total counter$/m);
  for (const u of cluster.users) assert.ok(!text.includes(u.name), `user name ${u.name} in /metrics`);
  for (const u of cluster.users) assert.ok(!text.includes(u.password), 'a password in /metrics');
});
