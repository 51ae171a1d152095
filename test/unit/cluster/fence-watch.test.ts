import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FenceWatch } from '../../../src/cluster/fence-watch.js';

function watch(): { w: FenceWatch; set: (fenced: boolean) => void; at: (ms: number) => void } {
  let fenced = true;
  let now = 1_000;
  const w = new FenceWatch({ fenced: () => fenced, joinWaitMs: () => 30_000, blipWaitMs: () => 2_000, now: () => now });
  return { w, set: (f) => (fenced = f), at: (ms) => (now = ms) };
}

test('a director that never served holds logins up to the join wait from its start', () => {
  const { w, at } = watch();
  at(20_000);
  assert.equal(w.fenced(), true);
  assert.equal(w.joining(), true);
  assert.equal(w.holdUntil(), 31_000);
});

test('after serving, a lost majority holds logins only for the blip wait from when it was first seen', () => {
  const { w, set, at } = watch();
  set(false);
  at(5_000);
  assert.equal(w.fenced(), false);
  assert.equal(w.joining(), false);
  set(true);
  at(6_000);
  assert.equal(w.fenced(), true);
  at(7_500);
  assert.equal(w.fenced(), true, 'still fenced: the start of the fence does not move');
  assert.equal(w.holdUntil(), 8_000);
  set(false);
  assert.equal(w.fenced(), false);
  set(true);
  at(9_000);
  w.fenced();
  assert.equal(w.holdUntil(), 11_000, 'a new fence starts a new wait');
});
