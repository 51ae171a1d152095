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

async function run(argv: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {} });
  return { code, out, err };
}

test('--help of every group and command goes to stdout with exit 0', async () => {
  for (const argv of [['--help'], ['-h'], ['help'], ['user', '--help'], ['backend', '-h'], ['auth', '--help'], ['auth', 'cache', '--help'], ['config', '--help'], ['ring', 'add', '--help'], ['user', 'kick', '--help'], ['serve', '--help'], ['config', 'check', '--help'], ['help', 'user'], ['help', 'user', 'kick']]) {
    const r = await run(argv);
    assert.equal(r.code, 0, argv.join(' '));
    assert.match(r.out, /^usage: mail-director /, argv.join(' '));
    assert.equal(r.err, '', argv.join(' '));
  }
  assert.match((await run(['user', '--help'])).out, /^ {2}user kick +End every live session/m);
  assert.match((await run(['--help'])).out, /64 bad command line, 67 no such user/);
});

test('--version prints the package version', async () => {
  const r = await run(['--version']);
  assert.equal(r.code, 0);
  assert.match(r.out, /^mail-director \d+\.\d+\.\d+\n$/);
});

test('a bare group, an unknown subcommand or option: usage on stderr, exit 64, no echo of global options', async () => {
  const bare = await run(['--director', '127.0.0.1:1', 'auth']);
  assert.equal(bare.code, 64);
  assert.equal(bare.out, '');
  assert.match(bare.err, /^mail-director auth: a subcommand is needed\n/);
  assert.doesNotMatch(bare.err, /127\.0\.0\.1/);
  const unknown = await run(['user', 'frob', '--json']);
  assert.equal(unknown.code, 64);
  assert.match(unknown.err, /unknown command: user frob\n/);
  const option = await run(['who', '--bogus']);
  assert.equal(option.code, 64);
  assert.match(option.err, /unknown option --bogus/);
  assert.equal((await run([])).code, 64);
});

test('a weight out of range is refused before anything is sent, with the valid range', async () => {
  const r = await run(['backend', 'weight', 'b1', '10001', '--director', '127.0.0.1:1']);
  assert.equal(r.code, 64);
  assert.match(r.err, /N must be 0\.\.10000/);
  const add = await run(['backend', 'add', 'b9', '127.0.0.9', '--weight', '0', '--director', '127.0.0.1:1']);
  assert.equal(add.code, 64);
  assert.match(add.err, /--weight must be 1\.\.10000/);
});
