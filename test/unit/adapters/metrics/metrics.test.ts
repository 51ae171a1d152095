import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsRegistry } from '../../../../src/adapters/metrics/metrics.js';

test('a histogram renders cumulative buckets, +Inf, sum and count per label set', () => {
  const registry = new MetricsRegistry();
  const h = registry.histogram('x_seconds', 'Test.', ['op'], [0.1, 1]);
  h.observe(['a'], 0.05);
  h.observe(['a'], 0.5);
  h.observe(['a'], 3);
  h.observe(['b'], 0.1);
  const lines = registry.render().split('\n');
  assert.ok(lines.includes('# TYPE x_seconds histogram'));
  for (const want of [
    'x_seconds_bucket{op="a",le="0.1"} 1',
    'x_seconds_bucket{op="a",le="1"} 2',
    'x_seconds_bucket{op="a",le="+Inf"} 3',
    'x_seconds_sum{op="a"} 3.55',
    'x_seconds_count{op="a"} 3',
    'x_seconds_bucket{op="b",le="0.1"} 1',
    'x_seconds_count{op="b"} 1',
  ]) {
    assert.ok(lines.includes(want), `missing ${want}`);
  }
});

test('counters mirror totals kept elsewhere; gauges render infinity as +Inf; label values cannot break the format', () => {
  const registry = new MetricsRegistry();
  const c = registry.counter('c_total', 'Test.', ['direction']);
  const g = registry.gauge('lag_seconds', 'Test.', ['peer']);
  c.setTotal(['sent'], 7);
  c.setTotal(['sent'], 9);
  g.set(['d"1\n'], Infinity);
  const text = registry.render();
  assert.match(text, /^c_total\{direction="sent"\} 9$/m);
  assert.match(text, /^lag_seconds\{peer="d_1_"\} \+Inf$/m);
});
