import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PreloginLimits } from '../../../src/net/prelogin-limits.js';

test('per-address and total caps; exempt addresses count only towards the total; release frees a slot', () => {
  const limits = new PreloginLimits(() => ({ total: 4, perIp: 2 }));
  assert.equal(limits.acquire('a', false), undefined);
  assert.equal(limits.acquire('a', false), undefined);
  assert.equal(limits.acquire('a', false), 'per_ip');
  assert.equal(limits.acquire('t', true), undefined);
  assert.equal(limits.acquire('t', true), undefined);
  assert.equal(limits.acquire('t', true), 'total');
  assert.equal(limits.acquire('b', false), 'total');
  limits.release('a');
  assert.equal(limits.total, 3);
  assert.equal(limits.acquire('b', false), undefined);
  assert.equal(limits.acquire('a', false), 'total');
});
