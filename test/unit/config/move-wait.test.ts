import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkConfigText } from '../../../src/config/load.js';

const BASE = `director:
  id: d1
listen:
  imap: 127.0.0.1:10143
passdb:
  driver: passwd-file
  path: /nonexistent/users.passwd
ring:
  backends:
    - { id: b1, host: 127.0.0.11 }
`;

test('limits.move_wait defaults to 30 s', () => {
  const { config, problems } = checkConfigText('/x/c.yaml', BASE);
  assert.deepEqual(problems, []);
  assert.equal(config?.limits.moveWaitMs, 30_000);
});

test('limits.move_wait takes a duration', () => {
  const { config, problems } = checkConfigText('/x/c.yaml', `${BASE}limits:\n  move_wait: 5s\n`);
  assert.deepEqual(problems, []);
  assert.equal(config?.limits.moveWaitMs, 5_000);
});

test('limits.move_wait: a bad value or 0 is reported with its line and key', () => {
  for (const [value, message] of [['soon', /unit|duration/], ['0s', /at least|minimum|>=|less/]] as const) {
    const { config, problems } = checkConfigText('/x/c.yaml', `${BASE}limits:\n  move_wait: ${value}\n`);
    assert.equal(config, undefined, value);
    assert.equal(problems.length, 1, value);
    assert.equal(problems[0]?.key, 'limits.move_wait');
    assert.equal(problems[0]?.line, 12);
    assert.match(problems[0]?.message ?? '', message);
  }
});
