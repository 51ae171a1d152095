import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthPenalty } from '../../../src/auth/penalty.js';

test('each failure from an address doubles its wait (2, 4, 8 … 15 s); a success clears it; others are not affected', () => {
  let now = 0;
  const p = new AuthPenalty({ now: () => now });
  assert.equal(p.delayMs('192.0.2.1'), 0);
  const waits: number[] = [];
  for (let i = 0; i < 5; i++) {
    p.record('192.0.2.1', false);
    waits.push(p.delayMs('192.0.2.1'));
  }
  assert.deepEqual(waits, [2_000, 4_000, 8_000, 15_000, 15_000]);
  assert.equal(p.delayMs('192.0.2.2'), 0);
  p.record('192.0.2.1', true);
  assert.equal(p.delayMs('192.0.2.1'), 0);
  assert.equal(p.size, 0);
});

test('a penalty is forgotten after a quiet hour, and the table is bounded by forgetting the longest quiet first', () => {
  let now = 0;
  const p = new AuthPenalty({ now: () => now, maxEntries: 3 });
  for (const ip of ['a', 'b', 'c']) p.record(ip, false);
  p.record('a', false); // a is the most recent now
  p.record('d', false); // over the bound: b (the longest quiet) goes
  assert.equal(p.size, 3);
  assert.equal(p.delayMs('b'), 0);
  assert.equal(p.delayMs('a'), 4_000);
  now = 3_600_001;
  assert.equal(p.size, 0);
  assert.equal(p.delayMs('a'), 0);
});
