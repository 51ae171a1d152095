import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImapFramer } from '../../../../src/protocols/imap/framer.js';
import { ImapParseError, isValidTag, parseCommand } from '../../../../src/protocols/imap/parser.js';
import type { ParsedCommand } from '../../../../src/protocols/imap/parser.js';

function parse(input: string): ParsedCommand {
  const framer = new ImapFramer({ maxLineLength: 1000, maxLiteralSize: 1000 });
  framer.push(Buffer.from(input, 'utf8'));
  for (;;) {
    const event = framer.next();
    assert.ok(event !== undefined, 'incomplete command');
    if (event.kind === 'command') return parseCommand(event.command);
  }
}

test('tag, upper-cased name and atoms', () => {
  const cmd = parse('a1 login alice secret\r\n');
  assert.equal(cmd.tag, 'a1');
  assert.equal(cmd.name, 'LOGIN');
  assert.deepEqual(cmd.args, [
    { type: 'atom', value: 'alice' },
    { type: 'atom', value: 'secret' },
  ]);
});

test('quoted strings with \\" and \\\\ escapes, UTF-8', () => {
  const cmd = parse('a LOGIN "al\\"ice" "p\\\\w ü"\r\n');
  assert.deepEqual(cmd.args, [
    { type: 'string', value: 'al"ice', literal: false },
    { type: 'string', value: 'p\\w ü', literal: false },
  ]);
});

test('quoted strings without escapes (read in place), next to atoms and empty ones', () => {
  const cmd = parse('a LOGIN "alice ü" "" x\r\n');
  assert.deepEqual(cmd.args, [
    { type: 'string', value: 'alice ü', literal: false },
    { type: 'string', value: '', literal: false },
    { type: 'atom', value: 'x' },
  ]);
});

test('other escapes and unterminated quotes are errors carrying the tag', () => {
  assert.throws(() => parse('t1 LOGIN "a\\x" b\r\n'), (err: unknown) => err instanceof ImapParseError && err.tag === 't1');
  assert.throws(() => parse('t1 LOGIN "abc\r\n'), ImapParseError);
});

test('literals, sync and non-sync', () => {
  const cmd = parse('a LOGIN {5+}\r\nal ce {4}\r\np"w\\\r\n');
  assert.deepEqual(cmd.args, [
    { type: 'string', value: 'al ce', literal: true },
    { type: 'string', value: 'p"w\\', literal: true },
  ]);
});

test('parenthesised lists for ID, with NIL', () => {
  const cmd = parse('a ID ("name" "x" "version" NIL)\r\n');
  assert.deepEqual(cmd.args, [
    {
      type: 'list',
      items: [
        { type: 'string', value: 'name', literal: false },
        { type: 'string', value: 'x', literal: false },
        { type: 'string', value: 'version', literal: false },
        { type: 'atom', value: 'NIL' },
      ],
    },
  ]);
  assert.throws(() => parse('a ID ("name" "x"\r\n'), ImapParseError);
});

test('invalid tags become empty', () => {
  assert.equal(parse('a*b NOOP\r\n').tag, '');
  assert.equal(isValidTag('A001'), true);
  assert.equal(isValidTag('+'), false);
  // 8-bit bytes (read as latin1) would come back re-encoded as UTF-8: refused, as Dovecot does.
  assert.equal(isValidTag('a\u00e9'), false);
  assert.equal(isValidTag('GET'), true);
});

test('missing command name is an error', () => {
  assert.throws(() => parse('lonely\r\n'), ImapParseError);
});
