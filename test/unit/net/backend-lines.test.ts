import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { BackendLineError, BackendLines, MAX_BACKEND_LINE } from '../../../src/net/backend-lines.js';
import { Deadline } from '../../../src/net/deadline.js';

/** Enough of a Socket for readInto(): 'data' events, pause and resume. */
class FakeSocket extends EventEmitter {
  paused = false;
  resume(): this {
    this.paused = false;
    return this;
  }
  pause(): this {
    this.paused = true;
    return this;
  }
  send(bytes: Buffer | string): void {
    this.emit('data', typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }
}

function reader(deadlineMs = 5_000): { socket: FakeSocket; lines: BackendLines; deadline: Deadline } {
  const socket = new FakeSocket();
  const deadline = new Deadline(deadlineMs);
  return { socket, lines: new BackendLines(socket as unknown as Socket, deadline), deadline };
}

async function rejection(promise: Promise<unknown>): Promise<BackendLineError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof BackendLineError, String(err));
    return err;
  }
  assert.fail('resolved');
}

const INPUT = Buffer.from('* OK [CAPABILITY IMAP4rev1] ready\r\n* CAPABILITY X\n\r\nL OK \xff done\r\n+ pending bytes', 'latin1');
const EXPECTED = ['* OK [CAPABILITY IMAP4rev1] ready', '* CAPABILITY X', '', 'L OK \xff done'];
const REST = '+ pending bytes';

test('lines split at every offset (and in three pieces) come out whole; the rest is handed over by detach()', async () => {
  for (let a = 0; a <= INPUT.length; a++) {
    for (const b of [a, Math.min(INPUT.length, a + 1), Math.min(INPUT.length, a + 7)]) {
      const { socket, lines, deadline } = reader();
      const got: string[] = [];
      const reading = (async () => {
        for (let i = 0; i < EXPECTED.length; i++) got.push(await lines.next());
      })();
      socket.send(INPUT.subarray(0, a));
      socket.send(INPUT.subarray(a, b));
      socket.send(INPUT.subarray(b));
      await reading;
      assert.deepEqual(got, EXPECTED, `split at ${a}, ${b}`);
      assert.equal(lines.detach().toString('latin1'), REST);
      deadline.clear();
    }
  }
});

test('byte by byte', async () => {
  const { socket, lines, deadline } = reader();
  const got: string[] = [];
  const reading = (async () => {
    for (let i = 0; i < EXPECTED.length; i++) got.push(await lines.next());
  })();
  for (const byte of INPUT) socket.send(Buffer.from([byte]));
  await reading;
  assert.deepEqual(got, EXPECTED);
  assert.equal(lines.detach().toString('latin1'), REST);
  deadline.clear();
});

test('lines already received are taken without an await; bytes are latin1, so they round-trip', () => {
  const { socket, lines, deadline } = reader();
  socket.send(INPUT);
  const got: string[] = [];
  for (let line = lines.buffered(); line !== undefined; line = lines.buffered()) got.push(line);
  assert.deepEqual(got, EXPECTED);
  assert.deepEqual(Buffer.from(got[3] as string, 'latin1'), Buffer.from('L OK \xff done', 'latin1'));
  assert.equal(lines.detach().toString('latin1'), REST);
  deadline.clear();
});

test('a line of MAX_BACKEND_LINE bytes passes; one byte more, with or without its line end, is too long', async () => {
  const ok = reader();
  ok.socket.send(`${'a'.repeat(MAX_BACKEND_LINE)}\r\n`);
  assert.equal((await ok.lines.next()).length, MAX_BACKEND_LINE);
  ok.deadline.clear();

  const ended = reader();
  ended.socket.send(`${'a'.repeat(MAX_BACKEND_LINE + 1)}\r\n`);
  assert.equal((await rejection(ended.lines.next())).code, 'too-long');
  ended.deadline.clear();

  const endless = reader();
  const waiting = endless.lines.next();
  for (let sent = 0; sent <= MAX_BACKEND_LINE + 1; sent += 4096) endless.socket.send('b'.repeat(4096));
  endless.socket.send('c');
  assert.equal((await rejection(waiting)).code, 'too-long');
  endless.deadline.clear();
});

test('EOF mid-line: the line is not returned, next() fails as closed; a socket error likewise', async () => {
  const eof = reader();
  eof.socket.send('* OK hello\r\n* half a li');
  assert.equal(await eof.lines.next(), '* OK hello');
  const waiting = eof.lines.next();
  eof.socket.emit('end');
  const err = await rejection(waiting);
  assert.equal(err.code, 'closed');
  assert.equal(err.message, 'Remote disconnected');
  eof.deadline.clear();

  const broken = reader();
  const pending = broken.lines.next();
  broken.socket.emit('error', Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
  const error = await rejection(pending);
  assert.equal(error.code, 'socket');
  assert.match(error.message, /ECONNRESET/);
  broken.deadline.clear();
});

test('the deadline ends a wait with a timeout', async () => {
  const { lines } = reader(30);
  const started = Date.now();
  assert.equal((await rejection(lines.next())).code, 'timeout');
  assert.ok(Date.now() - started < 2_000);
});

test('detach() stops reading: later bytes are not taken, and a late socket error is ignored', () => {
  const { socket, lines, deadline } = reader();
  socket.send('x\r\n');
  assert.equal(lines.detach().toString(), 'x\r\n');
  socket.send('later\r\n');
  assert.equal(lines.buffered(), undefined);
  socket.emit('error', new Error('late'));
  deadline.clear();
});
