import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isMetricsSnapshot, MetricsRegistry, mirrorTotal, replaceAll } from '../../../../src/adapters/metrics/metrics.js';
import { registerSessionGauge } from '../../../../src/adapters/metrics/session-gauge.js';

test('a histogram renders cumulative buckets, +Inf, sum and count per label set', async () => {
  const registry = new MetricsRegistry();
  const h = registry.histogram('x_seconds', 'Test.', ['op'], [0.1, 1]);
  h.observe({ op: 'a' }, 0.05);
  h.observe({ op: 'a' }, 0.5);
  h.observe({ op: 'a' }, 3);
  h.observe({ op: 'b' }, 0.1);
  const lines = (await registry.render()).split('\n');
  assert.ok(lines.includes('# TYPE x_seconds histogram'));
  for (const want of [
    'x_seconds_bucket{le="0.1",op="a"} 1',
    'x_seconds_bucket{le="1",op="a"} 2',
    'x_seconds_bucket{le="+Inf",op="a"} 3',
    'x_seconds_sum{op="a"} 3.55',
    'x_seconds_count{op="a"} 3',
    'x_seconds_bucket{le="0.1",op="b"} 1',
    'x_seconds_count{op="b"} 1',
  ]) {
    assert.ok(lines.includes(want), `missing ${want}`);
  }
});

test('counters mirror totals kept elsewhere; gauges render infinity as +Inf; label values are escaped, not mangled', async () => {
  const registry = new MetricsRegistry();
  const c = registry.counter('c_total', 'Test.', ['direction']);
  const g = registry.gauge('lag_seconds', 'Test.', ['peer']);
  mirrorTotal(c, [{ labels: { direction: 'sent' }, total: 7 }]);
  mirrorTotal(c, [{ labels: { direction: 'sent' }, total: 9 }]);
  replaceAll(g, [{ labels: { peer: 'd"1\\x\n' }, value: Infinity }]);
  const text = await registry.render();
  assert.match(text, /^c_total\{direction="sent"\} 9$/m);
  assert.ok(text.split('\n').includes('lag_seconds{peer="d\\"1\\\\x\\n"} +Inf'), text);
});

test('a primary adds its workers\' snapshots: counters and histograms summed per label set', async () => {
  const primary = new MetricsRegistry();
  primary.counter('logins_total', 'Test.', ['protocol']).inc({ protocol: 'imap' }, 2);
  primary.histogram('login_seconds', 'Test.', ['protocol'], [1]);
  const workers = [new MetricsRegistry(), new MetricsRegistry()];
  for (const [i, w] of workers.entries()) {
    w.histogram('login_seconds', 'Test.', ['protocol'], [1]).observe({ protocol: 'imap' }, i === 0 ? 0.5 : 2);
  }
  const snapshots = await Promise.all(workers.map((w) => w.snapshot()));
  assert.ok(snapshots.every(isMetricsSnapshot));
  // Through IPC the snapshots arrive as JSON.
  const text = await primary.renderWith(snapshots.map((s) => JSON.parse(JSON.stringify(s)) as typeof s));
  const lines = text.split('\n');
  assert.ok(lines.includes('logins_total{protocol="imap"} 2'), text);
  assert.ok(lines.includes('login_seconds_bucket{le="1",protocol="imap"} 1'), text);
  assert.ok(lines.includes('login_seconds_count{protocol="imap"} 2'), text);
  assert.ok(lines.includes('login_seconds_sum{protocol="imap"} 2.5'), text);
  assert.equal(isMetricsSnapshot([{ name: 'x' }]), false);
});

test('process series come with processMetrics', async () => {
  const text = await new MetricsRegistry({ processMetrics: true }).render();
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_gc_duration_seconds']) {
    assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'));
  }
});

test('maildirector_sessions drops to 0 for every ring backend and a seen passdb host, never vanishes', async () => {
  const registry = new MetricsRegistry();
  let sessions = [
    { protocol: 'imap', backendId: 'b1', backendHost: '10.0.0.1' },
    { protocol: 'imap', backendId: 'b1', backendHost: '10.0.0.1' },
    { protocol: 'pop3', backendId: undefined, backendHost: 'mail.example' },
  ];
  registerSessionGauge(registry, { sessions: () => sessions, backends: () => ['b1', 'b2'] });
  let lines = (await registry.render()).split('\n');
  assert.ok(lines.includes('maildirector_sessions{protocol="imap",backend="b1"} 2'));
  assert.ok(lines.includes('maildirector_sessions{protocol="imap",backend="b2"} 0'));
  assert.ok(lines.includes('maildirector_sessions{protocol="pop3",backend="mail.example"} 1'));
  sessions = [];
  lines = (await registry.render()).split('\n');
  assert.ok(lines.includes('maildirector_sessions{protocol="imap",backend="b1"} 0'));
  assert.ok(lines.includes('maildirector_sessions{protocol="pop3",backend="mail.example"} 0'));
  assert.ok(lines.includes('maildirector_sessions{protocol="lmtp",backend="b2"} 0'));
});
