import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, formatEndpoint, formatTimestamp, jsonLine, renderTable } from '../../../../src/cli/commands/format.js';

test('table columns are padded to the widest cell, two spaces apart, no trailing blanks', () => {
  const text = renderTable(['user', 'n', 'state'], [['alice@example.org', '12', 'up'], ['b', '3', '']]);
  assert.equal(text, ['user               n   state', 'alice@example.org  12  up', 'b                  3'].join('\n') + '\n');
});

test('a table without rows is just the header', () => {
  assert.equal(renderTable(['a', 'bb'], []), 'a  bb\n');
});

test('durations drop leading zero units but keep inner ones', () => {
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(999), '0s');
  assert.equal(formatDuration(61_000), '1m 1s');
  assert.equal(formatDuration(3_600_000), '1h 0m 0s');
  assert.equal(formatDuration(90_061_000), '1d 1h 1m 1s');
  assert.equal(formatDuration(-5), '0s');
});

test('timestamps are UTC to the second', () => {
  assert.equal(formatTimestamp(Date.UTC(2024, 0, 2, 3, 4, 5, 678)), '2024-01-02 03:04:05');
});

test('endpoints bracket IPv6', () => {
  assert.equal(formatEndpoint('127.0.0.1', 143), '127.0.0.1:143');
  assert.equal(formatEndpoint('::1', 143), '[::1]:143');
});

test('JSON output is one line', () => {
  assert.equal(jsonLine({ a: [1, { b: 'x' }] }), '{"a":[1,{"b":"x"}]}\n');
});
