import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSubmissionDriver } from '../../../../src/protocols/submission/driver.js';
import { failure, fakeContext, LineReader, socketPair, type FakeOptions } from '../../session/fake-context.js';

const driver = createSubmissionDriver({ hostname: 'director.test' });

async function open(options: FakeOptions = {}) {
  const fake = fakeContext({ protocol: 'submission', ...options });
  const pair = await socketPair();
  const reader = new LineReader(pair.client);
  driver.handle(pair.server, fake.context);
  assert.equal(await reader.next(), '220 director.test ESMTP mail-director ready.');
  return { fake, reader, write: (s: string) => pair.client.write(s), close: pair.close };
}

/** The lines of one (possibly multi-line) reply. */
async function reply(reader: LineReader): Promise<string[]> {
  const lines: string[] = [];
  for (;;) {
    const line = await reader.next();
    assert.ok(line !== undefined, 'connection closed mid-reply');
    lines.push(line);
    if (/^\d{3}( |$)/.test(line)) return lines;
  }
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

test('EHLO before login: AUTH from a trusted network, the baseline extensions while the backends are unknown', async () => {
  const o = await open();
  o.write('EHLO client.example\r\n');
  assert.deepEqual(await reply(o.reader), ['250-director.test', '250-8BITMIME', '250-AUTH PLAIN LOGIN', '250-ENHANCEDSTATUSCODES', '250 PIPELINING']);
  o.close();
});

test('EHLO lists what every backend offers, with parameters, and no AUTH in the clear from an untrusted network', async () => {
  const o = await open({ trusted: false, backendCapabilities: new Set(['SIZE 10240000', 'CHUNKING', 'BURL imap', 'PIPELINING', 'XCLIENT ADDR', 'AUTH PLAIN', 'STARTTLS']) });
  o.write('EHLO client.example\r\n');
  assert.deepEqual(await reply(o.reader), ['250-director.test', '250-BURL imap', '250-CHUNKING', '250-SIZE 10240000', '250 PIPELINING']);
  o.write('HELO client.example\r\n');
  assert.deepEqual(await reply(o.reader), ['250 director.test']);
  o.write('EHLO\r\n');
  assert.deepEqual(await reply(o.reader), ['501 Missing hostname']);
  o.close();
});

test('AUTH over plaintext from an untrusted address is refused with 530 5.7.0, and nothing is logged in', async () => {
  const o = await open({ trusted: false });
  o.write(`AUTH PLAIN ${b64('\0alice\0pw')}\r\n`);
  assert.deepEqual(await reply(o.reader), ['530 5.7.0 Authentication not allowed until SSL/TLS is enabled.']);
  assert.equal(o.fake.logins.length, 0);
  o.close();
});

test('mail commands before AUTH: 530 5.7.0 Authentication required.', async () => {
  const o = await open();
  for (const command of ['MAIL FROM:<a@example.org>', 'RCPT TO:<b@example.org>', 'DATA', 'BDAT 10 LAST', 'VRFY x']) {
    o.write(`${command}\r\n`);
    assert.deepEqual(await reply(o.reader), ['530 5.7.0 Authentication required.'], command);
  }
  o.close();
});

test('AUTH LOGIN by continuation; the EHLO domain travels with the login', async () => {
  const o = await open();
  o.write('EHLO client.example\r\nAUTH LOGIN\r\n');
  await reply(o.reader);
  assert.deepEqual(await reply(o.reader), ['334 VXNlcm5hbWU6']);
  o.write(`${b64('alice')}\r\n`);
  assert.deepEqual(await reply(o.reader), ['334 UGFzc3dvcmQ6']);
  o.write(`${b64('s3cret')}\r\n`);
  assert.deepEqual(await reply(o.reader), ['235 2.7.0 Logged in.']);
  assert.equal(o.fake.logins[0]?.user, 'alice');
  assert.equal(o.fake.logins[0]?.password.reveal(), 's3cret');
  assert.equal(o.fake.logins[0]?.mechanism, 'LOGIN');
  assert.equal(o.fake.logins[0]?.helo, 'client.example');
  o.close();
});

test('AUTH PLAIN without initial response, then `*` cancels with 501', async () => {
  const o = await open();
  o.write('AUTH PLAIN\r\n');
  assert.deepEqual(await reply(o.reader), ['334 ']);
  o.write('*\r\n');
  assert.deepEqual(await reply(o.reader), ['501 5.5.2 Authentication aborted by client.']);
  o.write('AUTH PLAIN\r\n');
  assert.deepEqual(await reply(o.reader), ['334 ']);
  o.write('%%%\r\n');
  assert.deepEqual(await reply(o.reader), ['501 5.5.2 Invalid base64 data in continued response']);
  assert.equal(o.fake.logins.length, 0);
  o.close();
});

test('AUTH without a mechanism, with too many words, or an unknown mechanism', async () => {
  const o = await open();
  o.write('AUTH\r\n');
  assert.deepEqual(await reply(o.reader), ['501 5.5.4 Missing SASL mechanism parameter']);
  o.write('AUTH PLAIN a b\r\n');
  assert.deepEqual(await reply(o.reader), ['501 5.5.4 Invalid parameters']);
  o.write('AUTH CRAM-MD5\r\n');
  assert.deepEqual(await reply(o.reader), ['504 5.5.4 Unsupported authentication mechanism.']);
  o.close();
});

test('login failures in Dovecot\'s words: temporary ones are 454 4.7.0', async () => {
  const cases = [
    ['auth_temp', '454 4.7.0 Temporary authentication failure.'],
    ['backend_unavailable', '454 4.7.0 Account is temporarily unavailable.'],
    ['backend_auth_failed', '535 5.7.8 Authentication failed.'],
  ] as const;
  for (const [kind, text] of cases) {
    const o = await open({ login: () => failure(kind) });
    o.write(`AUTH PLAIN ${b64('\0alice\0pw')}\r\n`);
    assert.deepEqual(await reply(o.reader), [text], kind);
    o.close();
  }
  const o = await open({ login: () => failure('nologin', 'Mailbox moved\r\nto elsewhere') });
  o.write(`AUTH PLAIN ${b64('\0alice\0pw')}\r\n`);
  assert.deepEqual(await reply(o.reader), ['535 5.7.8 Mailbox moved  to elsewhere']);
  o.close();
});

test('NOOP, RSET and QUIT', async () => {
  const o = await open();
  o.write('NOOP\r\nRSET\r\nQUIT\r\n');
  assert.deepEqual(await reply(o.reader), ['250 2.0.0 OK']);
  assert.deepEqual(await reply(o.reader), ['250 2.0.0 OK']);
  assert.deepEqual(await reply(o.reader), ['221 2.0.0 Bye']);
  assert.equal(await o.reader.next(), undefined);
  assert.deepEqual(o.fake.closed, ['logout']);
  o.close();
});

test('STARTTLS without a certificate: 502 5.5.1, and EHLO does not offer it', async () => {
  const o = await open();
  o.write('STARTTLS\r\n');
  assert.deepEqual(await reply(o.reader), ['502 5.5.1 TLS support is not enabled.']);
  o.close();
});
