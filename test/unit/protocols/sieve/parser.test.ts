import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiteralFramer, type FramedCommand } from '../../../../src/session/literal-framer.js';
import { commandName, parseArguments, parseLine, SieveParseError } from '../../../../src/protocols/sieve/parser.js';
import { sieveString } from '../../../../src/protocols/sieve/quote.js';

/** Frame `input` (one command) the way the connection does. */
function frame(input: string | Buffer): FramedCommand {
  const framer = new LiteralFramer({ maxLineLength: 1024, maxLiteralSize: 1024 });
  framer.push(Buffer.isBuffer(input) ? input : Buffer.from(input, 'utf8'));
  for (;;) {
    const event = framer.next();
    if (event === undefined) throw new Error('incomplete');
    if (event.kind === 'command') return event.command;
    if (event.kind === 'error') throw new Error(event.error);
  }
}

test('command name is the first word, upper-cased; arguments are atoms, quoted strings and literals', () => {
  const command = frame('authenticate "PLAIN" {4+}\r\nAGE=\r\n');
  assert.equal(commandName(command), 'AUTHENTICATE');
  assert.deepEqual(parseArguments(command), [
    { type: 'string', value: 'PLAIN', literal: false },
    { type: 'string', value: 'AGE=', literal: true },
  ]);
  assert.deepEqual(parseArguments(frame('NOOP abc  "x\\"y\\\\"  \r\n')), [
    { type: 'atom', value: 'abc' },
    { type: 'string', value: 'x"y\\', literal: false },
  ]);
  assert.deepEqual(parseArguments(frame('CAPABILITY\r\n')), []);
  // A synchronizing literal from a client is read too (Pigeonhole does).
  assert.deepEqual(parseArguments(frame('NOOP {3}\r\nabc\r\n')), [{ type: 'string', value: 'abc', literal: true }]);
});

test("Pigeonhole's parser errors", () => {
  const cases: Array<[string | Buffer, string]> = [
    ['NOOP "abc\r\n', 'String contains invalid character.'],
    ['NOOP "a\\b"\r\n', 'Escaped quoted-string character is not a QUOTED-SPECIAL.'],
    ['NOOP a(b\r\n', 'Invalid characters in atom'],
    [Buffer.from('NOOP \xe4\r\n', 'latin1'), '8bit data in atom'],
    [Buffer.from('NOOP "\xff"\r\n', 'latin1'), 'Invalid UTF-8 character in quoted-string.'],
    ['NOOP {x}\r\n', 'Invalid literal size'],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => parseArguments(frame(input)), (err: unknown) => err instanceof SieveParseError && err.message === message, String(input));
  }
});

test('a response line is arguments only', () => {
  assert.deepEqual(parseLine(frame('"SIEVE" "fileinto vacation"\r\n')), [
    { type: 'string', value: 'SIEVE', literal: false },
    { type: 'string', value: 'fileinto vacation', literal: false },
  ]);
  assert.deepEqual(parseLine(frame('\r\n')), []);
});

test('strings we write: quoted with escapes, literal for line breaks or over 1024 octets', () => {
  assert.equal(sieveString('Logged in.'), '"Logged in."');
  assert.equal(sieveString('a "b" \\c'), '"a \\"b\\" \\\\c"');
  assert.equal(sieveString('two\r\nlines'), '{10}\r\ntwo\r\nlines');
  assert.equal(sieveString('x'.repeat(1025), true), `{1025+}\r\n${'x'.repeat(1025)}`);
});
