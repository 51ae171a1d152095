import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, parseSize } from '../../../src/config/durations.js';

test('durations take a unit', () => {
  assert.deepEqual(parseDuration('100ms'), { ok: true, value: 100 });
  assert.deepEqual(parseDuration('5s'), { ok: true, value: 5000 });
  assert.deepEqual(parseDuration('3m'), { ok: true, value: 180_000 });
  assert.deepEqual(parseDuration('1h'), { ok: true, value: 3_600_000 });
});

test('bare numbers are rejected except 0', () => {
  assert.deepEqual(parseDuration(0), { ok: true, value: 0 });
  assert.deepEqual(parseDuration('0'), { ok: true, value: 0 });
  for (const bad of [30, '30', '5 minutes', '1.5s', '-1s', 's', '', true, null]) {
    assert.equal(parseDuration(bad).ok, false, String(bad));
  }
});

test('sizes take binary units', () => {
  assert.deepEqual(parseSize('512B'), { ok: true, value: 512 });
  assert.deepEqual(parseSize('64KiB'), { ok: true, value: 65536 });
  assert.deepEqual(parseSize('10MiB'), { ok: true, value: 10 * 1024 * 1024 });
  for (const bad of [64, '64KB', '64k', 'big', '1.5MiB']) assert.equal(parseSize(bad).ok, false, String(bad));
  const r = parseSize('64KB');
  assert.ok(!r.ok && r.message.includes('KiB'));
});

test('unit names are not looked up on Object.prototype', () => {
  assert.equal(parseDuration('1constructor').ok, false);
  assert.equal(parseSize('1toString').ok, false);
});
