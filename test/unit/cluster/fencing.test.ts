import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inMinority } from '../../../src/cluster/fencing.js';

const live = (...ids: string[]): ReadonlySet<string> => new Set(ids);

test('a director that sees no strict majority of the members fences itself', () => {
  assert.equal(inMinority(['d1', 'd2', 'd3'], live('d1', 'd2'), undefined), false);
  assert.equal(inMinority(['d1', 'd2', 'd3'], live('d3'), undefined), true);
  // An even split of four: no majority on either side.
  assert.equal(inMinority(['d1', 'd2', 'd3', 'd4'], live('d1', 'd2'), undefined), true);
  assert.equal(inMinority(['d1', 'd2', 'd3', 'd4'], live('d3', 'd4'), undefined), true);
  assert.equal(inMinority(['d1'], live('d1'), undefined), false);
});

test('ring.tie_breaker decides an even split: only the side that has it goes on', () => {
  assert.equal(inMinority(['d1', 'd2', 'd3', 'd4'], live('d1', 'd2'), 'd1'), false);
  assert.equal(inMinority(['d1', 'd2', 'd3', 'd4'], live('d3', 'd4'), 'd1'), true);
  // A ring of two: without a tie-breaker both go on; with one, only the tie-breaker.
  assert.equal(inMinority(['d1', 'd2'], live('d2'), undefined), false);
  assert.equal(inMinority(['d1', 'd2'], live('d2'), 'd1'), true);
  assert.equal(inMinority(['d1', 'd2'], live('d1'), 'd1'), false);
  assert.equal(inMinority(['d1', 'd2'], live('d1', 'd2'), 'd1'), false);
  // A tie-breaker that is no member changes nothing.
  assert.equal(inMinority(['d1', 'd2'], live('d2'), 'd9'), false);
});
