import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogThrottle } from '../../../../src/adapters/log/throttle.js';

test('one line per interval, and the next says how many were left out', () => {
  const t = new LogThrottle(1000);
  assert.deepEqual(t.take(5_000), { suppressed: 0 });
  assert.equal(t.take(5_100), undefined);
  assert.equal(t.take(5_999), undefined);
  assert.deepEqual(t.take(6_000), { suppressed: 2 });
  assert.deepEqual(t.take(9_000), { suppressed: 0 });
});
