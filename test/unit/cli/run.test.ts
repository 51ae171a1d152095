import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hoistGlobalOptions, main } from '../../../src/cli/run.js';

test('global options before the subcommand move after it', () => {
  assert.deepEqual(hoistGlobalOptions(['--director', '127.0.0.1:1', '--json', 'user', 'kick', 'bob']), [
    'user', 'kick', 'bob', '--director', '127.0.0.1:1', '--json',
  ]);
  assert.deepEqual(hoistGlobalOptions(['--director=h:1', 'who']), ['who', '--director=h:1']);
  assert.deepEqual(hoistGlobalOptions(['who', '--json']), ['who', '--json']);
});

test('an unknown command is a usage error, not a crash', async () => {
  let err = '';
  const code = await main(['frobnicate'], { stdout: () => undefined, stderr: (t) => (err += t), env: {} });
  assert.equal(code, 64);
  assert.match(err, /unknown command: frobnicate/);
});
