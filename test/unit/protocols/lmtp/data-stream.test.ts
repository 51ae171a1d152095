import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataTerminator, MessageStream, type DataSink } from '../../../../src/protocols/lmtp/data-stream.js';

/** Feed `text` in pieces of `size` bytes; the offset (in the whole input) just past the end line, or -1. */
function endOf(text: string, size: number): number {
  const t = new DataTerminator();
  const bytes = Buffer.from(text, 'latin1');
  for (let at = 0; at < bytes.length; at += size) {
    const end = t.scan(bytes.subarray(at, at + size));
    if (end >= 0) return at + end;
  }
  return -1;
}

test('the final dot is found however the bytes are split; stuffed dots and dots inside lines are text', () => {
  const message = 'a\r\n..b\r\nc.\r\n.x\r\n\r\n.\r\nQUIT\r\n';
  const expected = message.indexOf('\r\n.\r\n') + 5;
  for (let size = 1; size <= message.length; size++) assert.equal(endOf(message, size), expected, `split every ${size} bytes`);
  assert.equal(endOf('.\r\n', 1), 3, 'an empty message');
  assert.equal(endOf('a\r\n..\r\n', 2), -1);
  assert.equal(endOf('a\n.\n', 1), 4, 'bare LF as Dovecot and Postfix read it');
});

test('backends that are full pause the stream until they drain; bytes after the dot are not message', async () => {
  const written: Buffer[][] = [[], []];
  let release: () => void = () => undefined;
  const sinks: DataSink[] = [0, 1].map((i) => ({
    writable: true,
    write: (chunk: Buffer) => {
      written[i]?.push(chunk);
      return i === 0;
    },
    drained: () => new Promise<void>((resolve) => (release = resolve)),
  }));
  const stream = new MessageStream(sinks);
  const first = stream.push(Buffer.from('hello\r\n'));
  assert.equal(first.done, false);
  assert.ok(first.wait !== undefined, 'the second backend is full');
  let drained = false;
  void first.wait.then(() => (drained = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(drained, false);
  release();
  await first.wait;
  const last = stream.push(Buffer.from('.\r\nQUIT\r\n'));
  assert.equal(last.done, true);
  assert.equal(last.used, 3);
  assert.equal(Buffer.concat(written[0] ?? []).toString(), 'hello\r\n.\r\n');
  assert.equal(Buffer.concat(written[1] ?? []).toString(), 'hello\r\n.\r\n');
});
