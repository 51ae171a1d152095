import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UriHealth } from '../../../src/adapters/health.js';

test('a failed URI is skipped during its backoff, which grows, is capped and jittered', () => {
  let random = 1;
  const health = new UriHealth(['a', 'b'], { baseMs: 100, maxMs: 1000 }, () => random);
  assert.deepEqual(health.candidates(0), ['a', 'b']);
  assert.equal(health.markFailure('a', 0), 100);
  assert.deepEqual(health.candidates(50), ['b']);
  assert.deepEqual(health.candidates(100), ['a', 'b']);
  assert.equal(health.markFailure('a', 0), 200);
  assert.equal(health.markFailure('a', 0), 400);
  assert.equal(health.markFailure('a', 0), 800);
  assert.equal(health.markFailure('a', 0), 1000);
  random = 0;
  assert.equal(health.markFailure('a', 0), 500, 'jitter takes up to half off');
  health.markSuccess('a');
  assert.deepEqual(health.candidates(0), ['a', 'b']);
  assert.equal(health.failures('a'), 0);
});

test('all URIs in backoff: no candidates', () => {
  const health = new UriHealth(['a', 'b'], { baseMs: 100, maxMs: 1000 }, () => 1);
  health.markFailure('a', 0);
  health.markFailure('b', 0);
  assert.deepEqual(health.candidates(10), []);
});
