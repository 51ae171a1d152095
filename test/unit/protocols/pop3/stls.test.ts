import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, createSecureContext } from 'node:tls';
import { createCa, issueCert } from '../../../harness/certs.js';
import { createPop3Driver } from '../../../../src/protocols/pop3/driver.js';
import { fakeContext, LineReader, socketPair } from '../../session/fake-context.js';

const dir = await mkdtemp(join(tmpdir(), 'pop3-stls-'));
after(() => rm(dir, { recursive: true, force: true }));
const ca = await createCa(dir, 'ca');
const leaf = await issueCert(ca, dir, 'director', { ips: ['127.0.0.1'], dns: [] });
const secureContext = createSecureContext({ cert: await readFile(leaf.cert), key: await readFile(leaf.key) });
const caPem = await readFile(ca.cert);

test('STLS upgrades the connection, drops pipelined plaintext and then allows plaintext login', async () => {
  const fake = fakeContext({ trusted: false, secureContext });
  const pair = await socketPair();
  const plain = new LineReader(pair.client);
  createPop3Driver({ greeting: 'Test' }).handle(pair.server, fake.context);
  assert.equal(await plain.next(), '+OK Test ready.');

  // The injected USER must never be seen: it was sent in the clear after STLS.
  pair.client.write('STLS\r\nUSER injected\r\n');
  assert.equal(await plain.next(), '+OK Begin TLS negotiation now.');
  pair.client.removeAllListeners('data');
  const secure = tlsConnect({ socket: pair.client, ca: caPem, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', resolve);
    secure.once('error', reject);
  });
  const reader = new LineReader(secure);
  secure.write('CAPA\r\n');
  const capa: Array<string | undefined> = [];
  for (let line = await reader.next(); line !== '.'; line = await reader.next()) capa.push(line);
  assert.equal(capa[0], '+OK');
  assert.ok(!capa.includes('STLS'), 'STLS is not offered again');
  assert.ok(capa.includes('USER') && capa.includes('SASL PLAIN LOGIN'), 'plaintext login is offered under TLS');

  secure.write('PASS pw\r\n');
  assert.equal(await reader.next(), '-ERR No username given.', 'the injected USER was dropped');
  secure.write('STLS\r\n');
  assert.equal(await reader.next(), '-ERR TLS is already active.');
  secure.write('USER alice\r\nPASS pw\r\n');
  assert.deepEqual(await reader.lines(2), ['+OK', '+OK Logged in.']);
  assert.equal(fake.logins[0]?.user, 'alice');
  secure.destroy();
  pair.close();
});

test('a client that fails the TLS handshake is closed and reported', async () => {
  const fake = fakeContext({ trusted: false, secureContext });
  const pair = await socketPair();
  const plain = new LineReader(pair.client);
  createPop3Driver().handle(pair.server, fake.context);
  await plain.next();
  pair.client.write('STLS\r\n');
  assert.equal(await plain.next(), '+OK Begin TLS negotiation now.');
  pair.client.write('this is not a TLS ClientHello\r\n');
  assert.equal(await plain.next(), undefined);
  assert.deepEqual(fake.closed, ['Disconnected: TLS handshake failed']);
});
