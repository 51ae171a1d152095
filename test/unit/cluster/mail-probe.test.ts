import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { converse } from '../../../src/net/probe-conversation.js';
import { mailProbe } from '../../../src/cluster/mail-probe.js';
import { imapCapabilityProbe } from '../../../src/protocols/imap/probe.js';
import { pop3CapabilityProbe } from '../../../src/protocols/pop3/probe.js';
import { submissionCapabilityProbe } from '../../../src/protocols/submission/probe.js';
import { sieveCapabilityProbe } from '../../../src/protocols/sieve/probe.js';

const probeImapCapabilities = async (host: string, port: number, timeoutMs: number): Promise<Set<string>> =>
  new Set(await converse(host, port, timeoutMs, imapCapabilityProbe));
const probePop3Capabilities = async (host: string, port: number, timeoutMs: number): Promise<Set<string>> =>
  new Set(await converse(host, port, timeoutMs, pop3CapabilityProbe));

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
  } finally {
    for (const b of [good, refusing, wrong]) b.server.close();
  }
});

test('Submission: EHLO keywords with parameters, without AUTH, STARTTLS and XCLIENT', async () => {
  const b = await backend('220 mx ESMTP\r\n', (line) =>
    /^EHLO/i.test(line) ? '250-mx\r\n250-PIPELINING\r\n250-size 1000\r\n250-AUTH PLAIN\r\n250-STARTTLS\r\n250-XCLIENT ADDR\r\n250 BURL imap\r\n' : '221 bye\r\n');
  try {
    assert.deepEqual([...(await converse(HOST, b.port, 1_000, submissionCapabilityProbe))].sort(), ['BURL imap', 'PIPELINING', 'SIZE 1000']);
  } finally {
    b.server.close();
  }
});

test('ManageSieve: SIEVE extensions and NOTIFY methods from the greeting, one item each', async () => {
  const b = await backend('"IMPLEMENTATION" "Pigeonhole"\r\n"SIEVE" "fileinto reject"\r\n"NOTIFY" "mailto"\r\n"SASL" "PLAIN"\r\nOK "ready"\r\n', () => 'OK "bye"\r\n');
  try {
    assert.deepEqual([...(await converse(HOST, b.port, 1_000, sieveCapabilityProbe))].sort(), ['NOTIFY mailto', 'SIEVE fileinto', 'SIEVE reject']);
  } finally {
    b.server.close();
  }
});

test('mail probe: IMAP decides and is asked every round; the other protocols are refreshed only after refreshMs and never vote down', async () => {
  let imapConnections = 0;
  const imap = await backend('* OK [CAPABILITY IMAP4rev1] ready\r\n', () => '');
  imap.server.on('connection', () => imapConnections++);
  let pop3Connections = 0;
  const pop3 = await backend('+OK ready\r\n', () => '+OK\r\nUIDL\r\n.\r\n');
  pop3.server.on('connection', () => pop3Connections++);
  let clock = 0;
  const probe = mailProbe({
    conversations: new Map([['imap', imapCapabilityProbe], ['pop3', pop3CapabilityProbe], ['sieve', sieveCapabilityProbe]]),
    refreshMs: 1000,
    now: () => clock,
  });
  // sieve: nothing listens on port 9 here; it must not fail the round.
  const spec = { id: 'b1', host: HOST, weight: 100, tag: '', ports: { imap: imap.port, pop3: pop3.port, sieve: 9 } };
  try {
    assert.deepEqual(await probe(spec, 1_000), { imap: ['IMAP4REV1'], pop3: ['UIDL'] });
    clock = 500;
    assert.deepEqual(await probe(spec, 1_000), { imap: ['IMAP4REV1'], pop3: ['UIDL'] });
    assert.equal(pop3Connections, 1);
    clock = 1_500;
    await probe(spec, 1_000);
    assert.equal(pop3Connections, 2);
    assert.equal(imapConnections, 3);
    imap.server.close();
    await assert.rejects(probe({ ...spec, ports: { ...spec.ports, imap: 9 } }, 1_000));
  } finally {
    imap.server.close();
    pop3.server.close();
  }
});
