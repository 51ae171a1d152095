import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { probeGreeting, probeImapCapabilities, probePop3Capabilities } from '../../../src/cluster/capability-probe.js';

const HOST = '127.0.0.1';

/** A backend that writes `greeting` and answers every line with `answer(line)`, one byte per write. */
async function backend(greeting: string, answer: (line: string) => string): Promise<{ server: Server; port: number }> {
  const server = createServer((socket: Socket) => {
    socket.on('error', () => undefined);
    const trickle = (text: string): void => {
      for (const ch of text) socket.write(ch);
    };
    trickle(greeting);
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let lf = buffered.indexOf('\n'); lf >= 0; lf = buffered.indexOf('\n')) {
        const line = buffered.slice(0, lf).replace(/\r$/, '');
        buffered = buffered.slice(lf + 1);
        trickle(answer(line));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  server.unref();
  return { server, port: (server.address() as AddressInfo).port };
}

test('IMAP: capabilities from the greeting code, without a command', async () => {
  const b = await backend('* OK [CAPABILITY IMAP4rev1 SASL-IR id] ready\r\n', () => assert.fail('no command expected'));
  try {
    assert.deepEqual([...(await probeImapCapabilities(HOST, b.port, 1_000))].sort(), ['ID', 'IMAP4REV1', 'SASL-IR']);
  } finally {
    b.server.close();
  }
});

test('IMAP: CAPABILITY asked when the greeting has none; lines trickle in byte by byte', async () => {
  const b = await backend('* OK ready\r\n', (line) =>
    line === 'p CAPABILITY' ? '* CAPABILITY IMAP4rev1 IDLE\r\np OK done\r\n' : 'p BAD\r\n');
  try {
    assert.deepEqual([...(await probeImapCapabilities(HOST, b.port, 1_000))].sort(), ['IDLE', 'IMAP4REV1']);
    await probeGreeting(HOST, b.port, 1_000);
  } finally {
    b.server.close();
  }
});

test('POP3: CAPA names upper-cased; -ERR to CAPA is an empty list; a wrong greeting fails', async () => {
  const good = await backend('+OK ready\r\n', () => '+OK\r\nTOP\r\nsasl PLAIN\r\nUIDL\r\n.\r\n');
  const refusing = await backend('+OK ready\r\n', () => '-ERR no\r\n');
  const wrong = await backend('-ERR go away\r\n', () => '');
  try {
    assert.deepEqual([...(await probePop3Capabilities(HOST, good.port, 1_000))].sort(), ['SASL', 'TOP', 'UIDL']);
    assert.equal((await probePop3Capabilities(HOST, refusing.port, 1_000)).size, 0);
    await assert.rejects(probePop3Capabilities(HOST, wrong.port, 1_000), /unexpected greeting/);
    await assert.rejects(probeGreeting(HOST, wrong.port, 1_000), /unexpected greeting/);
  } finally {
    for (const b of [good, refusing, wrong]) b.server.close();
  }
});
