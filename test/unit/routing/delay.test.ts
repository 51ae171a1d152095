import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loginDelayMs } from '../../../src/routing/delay.js';

const NOW = 1_700_000_000_000;
const never = (): number => {
  throw new Error('random must not be called without jitter');
};

test('no delay_until, or one in the past: no wait', () => {
  assert.equal(loginDelayMs(undefined, NOW, never, 40_000), 0);
  assert.equal(loginDelayMs({ atMs: NOW - 1, jitterSeconds: 0 }, NOW, never, 40_000), 0);
  assert.equal(loginDelayMs({ atMs: NOW, jitterSeconds: 0 }, NOW, never, 40_000), 0);
});

test('waits until the time, plus up to N random seconds', () => {
  assert.equal(loginDelayMs({ atMs: NOW + 5000, jitterSeconds: 0 }, NOW, never, 40_000), 5000);
  assert.equal(loginDelayMs({ atMs: NOW + 5000, jitterSeconds: 10 }, NOW, () => 0, 40_000), 5000);
  assert.equal(loginDelayMs({ atMs: NOW + 5000, jitterSeconds: 10 }, NOW, () => 0.5, 40_000), 10_000);
  assert.equal(loginDelayMs({ atMs: NOW + 5000, jitterSeconds: 10 }, NOW, () => 0.9999, 40_000), 14_999);
  // A time just past still waits if the jitter reaches beyond now.
  assert.equal(loginDelayMs({ atMs: NOW - 1000, jitterSeconds: 4 }, NOW, () => 0.5, 40_000), 1000);
});

test('capped by the maximum', () => {
  assert.equal(loginDelayMs({ atMs: NOW + 3_600_000, jitterSeconds: 0 }, NOW, never, 40_000), 40_000);
  assert.equal(loginDelayMs({ atMs: NOW + 5000, jitterSeconds: 0 }, NOW, never, 0), 0);
  assert.equal(loginDelayMs({ atMs: Number.NaN, jitterSeconds: 0 }, NOW, never, 40_000), 0);
});
