import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, usageText, UsageError } from '../../../src/cli/args.js';
import type { ArgsSpec } from '../../../src/cli/args.js';

const SPEC: ArgsSpec = {
  options: [
    { name: 'json', summary: 'JSON output' },
    { name: 'director', value: 'HOST:PORT', env: 'MAIL_DIRECTOR_ADDR', summary: 'where' },
    { name: 'reason', value: 'TEXT', summary: 'why' },
  ],
  positionals: [
    { name: 'USER', required: true, summary: 'who' },
    { name: 'HOST', required: false, summary: 'where to' },
  ],
};

test('flags, values in both spellings, and positionals in any order', () => {
  const args = parseArgs(['--json', 'alice', '--director', '127.0.0.1:1', '--reason=a=b c', 'h'], SPEC);
  assert.equal(args.flag('json'), true);
  assert.equal(args.value('director'), '127.0.0.1:1');
  assert.equal(args.value('reason'), 'a=b c');
  assert.deepEqual(args.positionals, ['alice', 'h']);
  assert.equal(args.help, false);
});

test('absent flag is false and absent value undefined', () => {
  const args = parseArgs(['alice'], SPEC);
  assert.equal(args.flag('json'), false);
  assert.equal(args.value('reason'), undefined);
});

test('-- ends options so a user may start with a dash', () => {
  const args = parseArgs(['--json', '--', '--weird-user'], SPEC);
  assert.deepEqual(args.positionals, ['--weird-user']);
  assert.equal(args.flag('json'), true);
});

test('an empty value given with = is kept', () => {
  assert.equal(parseArgs(['alice', '--reason='], SPEC).value('reason'), '');
});

test('environment fills an absent option; the command line wins; empty env is ignored', () => {
  assert.equal(parseArgs(['alice'], SPEC, { MAIL_DIRECTOR_ADDR: 'h:1' }).value('director'), 'h:1');
  assert.equal(parseArgs(['alice', '--director', 'x:2'], SPEC, { MAIL_DIRECTOR_ADDR: 'h:1' }).value('director'), 'x:2');
  assert.equal(parseArgs(['alice'], SPEC, { MAIL_DIRECTOR_ADDR: '' }).value('director'), undefined);
});

test('usage errors name the problem', () => {
  const cases: [string[], RegExp][] = [
    [['alice', '--bogus'], /unknown option --bogus/],
    [['alice', '-x'], /unknown option -x/],
    [['alice', '--director'], /option --director needs a value \(HOST:PORT\)/],
    [['alice', '--json=yes'], /option --json takes no value/],
    [['alice', '--reason', 'a', '--reason', 'b'], /option --reason given twice/],
    [[], /missing argument USER/],
    [['a', 'b', 'c'], /unexpected argument c/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => parseArgs(argv, SPEC), (err: unknown) => err instanceof UsageError && message.test(err.message), argv.join(' '));
  }
});

test('--help and -h skip the positional checks', () => {
  assert.equal(parseArgs(['--help'], SPEC).help, true);
  assert.equal(parseArgs(['-h', 'a', 'b', 'c'], SPEC).help, true);
});

test('usage text shows synopsis, arguments, options with env, and extra text', () => {
  const text = usageText(['user', 'kick'], 'End sessions.', SPEC, 'JSON: {}');
  const lines = text.split('\n');
  assert.equal(lines[0], 'usage: mail-director user kick [options] USER [HOST]');
  assert.equal(lines[2], 'End sessions.');
  assert.ok(lines.includes('  USER                  who'), text);
  assert.ok(lines.includes('  --director HOST:PORT  where (env MAIL_DIRECTOR_ADDR)'), text);
  assert.ok(lines.includes('  -h, --help            show this help'), text);
  assert.ok(text.endsWith('\nJSON: {}\n'));
});
