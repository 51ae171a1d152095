import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster } from '../../harness/cluster.js';
import type { DirectorHandle } from '../../harness/director.js';
import { loginOnce } from './imap-support.js';
import { metricSample, promtoolCheckMetrics } from '../../harness/promtool.js';
import { createRingClient } from '../../../src/adapters/grpc/ring-transport.js';

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

const sample = metricSample;

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

test('promtool parses and lints /metrics without a complaint; histograms, process series and escaped labels are there', async () => {
  const u = cluster.usersOfKind('ring')[0];
  assert.ok(u !== undefined);
  assert.match(await loginOnce(director, u.name, u.password), /^OK/);
  // The admin service allows only [A-Za-z0-9._-] in ids, but a peer's gossip (or a state file) is
  // checked for length only: a quote, a backslash and a newline from there must be escaped, not mangled.
  const oddId = 'b"q\\z\nx';
  const grpc = director.address('grpc');
  assert.ok(grpc !== null);
  const peer = createRingClient({ target: grpc, tls: undefined });
  try {
    const backend = { backendId: oddId, removed: false, spec: { host: '127.0.0.99', ports: {}, weight: 100, tag: '' } };
    await peer.apply({ entries: [{ version: { counter: 1, origin: 'd1' }, backend }], timeoutMs: 1000 }, 5000);
  } finally {
    peer.close();
  }
  const text = await metrics();
  const checked = await promtoolCheckMetrics(text);
  assert.equal(checked.code, 0, checked.output);
  assert.equal(checked.output.trim(), '', `promtool: ${checked.output}`);

  const lines = text.split('\n');
  assert.ok(lines.includes('maildirector_backend_up{backend="b\\"q\\\\z\\nx"} 0'), lines.filter((l) => l.startsWith('maildirector_backend_up')).join('\n'));
  assert.ok(lines.includes('maildirector_sessions{protocol="imap",backend="b\\"q\\\\z\\nx"} 0'));
  for (const histogram of ['maildirector_login_duration_seconds', 'maildirector_backend_connect_duration_seconds', 'maildirector_ldap_request_duration_seconds']) {
    assert.ok(lines.includes(`# TYPE ${histogram} histogram`), histogram);
  }
  assert.ok((sample(text, 'maildirector_login_duration_seconds_count', { protocol: 'imap', result: 'ok' }) ?? 0) >= 1, 'an ok IMAP login timed');
  assert.ok((sample(text, 'maildirector_login_duration_seconds_bucket', { protocol: 'imap', result: 'ok', le: '+Inf' }) ?? 0) >= 1);
  assert.ok((sample(text, 'maildirector_backend_connect_duration_seconds_bucket', { result: 'ok', le: '0.5' }) ?? 0) >= 1, 'a backend connect under 0.5 s');
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_open_fds', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
    assert.ok((sample(text, name, {}) ?? -1) >= 0, `${name} missing`);
  }
  assert.ok(lines.includes('# TYPE nodejs_gc_duration_seconds histogram'));
});
