import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImapFramer } from '../../../../src/protocols/imap/framer.js';
import type { FramerEvent } from '../../../../src/protocols/imap/framer.js';

const LIMITS = { maxLineLength: 200, maxLiteralSize: 50 };

function drain(framer: ImapFramer): FramerEvent[] {
  const out: FramerEvent[] = [];
  for (let e = framer.next(); e !== undefined; e = framer.next()) out.push(e);
  return out;
}

function describe(events: FramerEvent[]): string[] {
  return events.map((e) => {
    if (e.kind === 'command') {
      return `cmd:${e.command.segments.map((s) => s.toString('latin1')).join('|')}#${e.command.literals.map((l) => l.toString('latin1')).join('|')}`;
    }
    return e.kind === 'continue' ? `continue:${e.size}` : `error:${e.error}`;
  });
}

const INPUT = 'a1 NOOP\r\nb LOGIN {5}\r\nal\r\ne {3+}\r\npw\n\r\nc CAPABILITY\n';
const EXPECTED = ['cmd:a1 NOOP#', 'continue:5', 'cmd:b LOGIN {5}| {3+}|#al\r\ne|pw\n', 'cmd:c CAPABILITY#'];

test('cuts lines and literals (sync and LITERAL+)', () => {
  const framer = new ImapFramer(LIMITS);
  framer.push(Buffer.from(INPUT, 'latin1'));
  assert.deepEqual(describe(drain(framer)), EXPECTED);
});

test('split input at every byte boundary gives the same events', () => {
  const bytes = Buffer.from(INPUT, 'latin1');
  for (let cut = 0; cut <= bytes.length; cut++) {
    const framer = new ImapFramer(LIMITS);
    const events: FramerEvent[] = [];
    framer.push(bytes.subarray(0, cut));
    events.push(...drain(framer));
    framer.push(bytes.subarray(cut));
    events.push(...drain(framer));
    assert.deepEqual(describe(events), EXPECTED, `cut at ${cut}`);
  }
});

test('byte-at-a-time input', () => {
  const framer = new ImapFramer(LIMITS);
  const events: FramerEvent[] = [];
  for (const b of Buffer.from(INPUT, 'latin1')) {
    framer.push(Buffer.from([b]));
    events.push(...drain(framer));
  }
  assert.deepEqual(describe(events), EXPECTED);
});

test('a too-big synchronizing literal is refused before any continuation', () => {
  const framer = new ImapFramer(LIMITS);
  framer.push(Buffer.from('a LOGIN {51}\r\n'));
  assert.deepEqual(describe(drain(framer)), ['error:literal_too_big']);
  framer.push(Buffer.from('more\r\n'));
  assert.equal(framer.next(), undefined);
});

test('a too-big LITERAL+ is an error flagged non-synchronizing', () => {
  const framer = new ImapFramer(LIMITS);
  framer.push(Buffer.from('a LOGIN {999+}\r\n'));
  const [event] = drain(framer);
  assert.ok(event?.kind === 'error' && event.error === 'literal_too_big' && event.nonSync);
});

test('a line longer than the limit is an error even without LF', () => {
  const framer = new ImapFramer(LIMITS);
  framer.push(Buffer.alloc(150, 0x61));
  assert.equal(framer.next(), undefined);
  framer.push(Buffer.alloc(60, 0x61));
  assert.deepEqual(describe(drain(framer)), ['error:line_too_long']);
});

test('line length counts all segments of a command, not literal data', () => {
  const framer = new ImapFramer({ maxLineLength: 30, maxLiteralSize: 100 });
  framer.push(Buffer.from(`a X {40+}\r\n${'z'.repeat(40)} ${'y'.repeat(25)}\r\n`));
  assert.deepEqual(describe(drain(framer)), ['error:line_too_long']);
  const ok = new ImapFramer({ maxLineLength: 30, maxLiteralSize: 100 });
  ok.push(Buffer.from(`a X {40+}\r\n${'z'.repeat(40)} y\r\n`));
  assert.equal(drain(ok)[0]?.kind, 'command');
});

test('takeRemaining returns unconsumed bytes in order', () => {
  const framer = new ImapFramer(LIMITS);
  framer.push(Buffer.from('a LOGIN u p\r\nb SEL'));
  framer.push(Buffer.from('ECT INBOX\r\n'));
  assert.equal(drain(framer).length > 0, true);
  const framer2 = new ImapFramer(LIMITS);
  framer2.push(Buffer.from('a LOGIN u p\r\nb SEL'));
  framer2.push(Buffer.from('ECT INBOX\r\n'));
  assert.equal(framer2.next()?.kind, 'command');
  assert.equal(framer2.takeRemaining().toString(), 'b SELECT INBOX\r\n');
  assert.equal(framer2.takeRemaining().length, 0);
});

test('discard drops buffered input and a half-read command', () => {
  const framer = new ImapFramer(LIMITS);
  framer.push(Buffer.from('a LOGIN {5}\r\nab'));
  assert.equal(framer.next()?.kind, 'continue');
  assert.equal(framer.discard(), 2);
  framer.push(Buffer.from('b NOOP\r\n'));
  assert.deepEqual(describe(drain(framer)), ['cmd:b NOOP#']);
});
