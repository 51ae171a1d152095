import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineFramer } from '../../../src/net/line-framer.js';

function drain(framer: LineFramer): string[] {
  const lines: string[] = [];
  for (;;) {
    const frame = framer.next();
    if (frame === undefined) return lines;
    assert.equal(frame.kind, 'line');
    if (frame.kind === 'line') lines.push(frame.line.toString('utf8'));
  }
}

const INPUT = Buffer.from('USER alice\r\nPASS pa ss\r\n\r\nCAPA\nAUTH PLAIN\r\nAGFsaWNlAHNlY3JldA==\r\nrest');
const EXPECTED = ['USER alice', 'PASS pa ss', '', 'CAPA', 'AUTH PLAIN', 'AGFsaWNlAHNlY3JldA=='];

test('lines come out the same wherever the input is split', () => {
  for (let split = 0; split <= INPUT.length; split += 1) {
    const framer = new LineFramer(64);
    const lines: string[] = [];
    framer.push(INPUT.subarray(0, split));
    lines.push(...drain(framer));
    framer.push(INPUT.subarray(split));
    lines.push(...drain(framer));
    assert.deepEqual(lines, EXPECTED, `split at ${split}`);
    assert.equal(framer.takeRemaining().toString(), 'rest');
  }
});

test('byte-by-byte input gives the same lines, CR and LF split apart included', () => {
  const framer = new LineFramer(64);
  const lines: string[] = [];
  for (const byte of INPUT) {
    framer.push(Buffer.from([byte]));
    lines.push(...drain(framer));
  }
  assert.deepEqual(lines, EXPECTED);
});

test('a line longer than the limit is refused, with or without its LF yet', () => {
  const exact = new LineFramer(4);
  exact.push(Buffer.from('ABCD\r\n'));
  assert.deepEqual(drain(exact), ['ABCD']);

  const long = new LineFramer(4);
  long.push(Buffer.from('ABCDE\r\n'));
  assert.equal(long.next()?.kind, 'too-long');

  const unterminated = new LineFramer(4);
  unterminated.push(Buffer.from('ABCD\r'));
  assert.equal(unterminated.next(), undefined);
  unterminated.push(Buffer.from('X'));
  assert.equal(unterminated.next()?.kind, 'too-long');
});

test('takeRemaining returns unread bytes and empties the framer', () => {
  const framer = new LineFramer(64);
  framer.push(Buffer.from('PASS x\r\nLIST\r\nRETR 1\r\nST'));
  assert.deepEqual(framer.next()?.kind, 'line');
  assert.equal(framer.takeRemaining().toString(), 'LIST\r\nRETR 1\r\nST');
  assert.equal(framer.bufferedBytes, 0);
  assert.equal(framer.next(), undefined);
});

test('a bare CR inside a line is kept: only CRLF or LF ends a line', () => {
  const framer = new LineFramer(64);
  framer.push(Buffer.from('USER a\rPASS b\r\n'));
  assert.deepEqual(drain(framer), ['USER a\rPASS b']);
});
