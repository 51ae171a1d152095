import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sieveDriver } from '../../../../src/protocols/sieve/driver.js';
import { failure, fakeContext, LineReader, socketPair, type FakeOptions } from '../../session/fake-context.js';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** A connected client after the greeting; `greeting` holds its lines. */
async function open(options: FakeOptions = {}) {
  const fake = fakeContext({ protocol: 'sieve', ...options });
  const pair = await socketPair();
  const reader = new LineReader(pair.client);
  sieveDriver.handle(pair.server, fake.context);
  const greeting: string[] = [];
  for (;;) {
    const line = (await reader.next()) ?? '';
    greeting.push(line);
    if (line.startsWith('OK ')) break;
  }
  return { fake, reader, greeting, write: (s: string) => pair.client.write(s), close: pair.close };
}

test('greeting: capabilities in Pigeonhole\'s order, then OK; SASL only where plaintext is allowed', async () => {
  const trusted = await open();
  assert.equal(trusted.greeting[0], '"IMPLEMENTATION" "mail-director"');
  assert.match(trusted.greeting[1] ?? '', /^"SIEVE" "fileinto reject envelope .*"$/);
  assert.deepEqual(trusted.greeting.slice(2), ['"NOTIFY" "mailto"', '"SASL" "PLAIN LOGIN"', '"VERSION" "1.0"', 'OK "mail-director ready."']);
  trusted.close();
  const untrusted = await open({ trusted: false });
  assert.ok(untrusted.greeting.includes('"SASL" ""'));
  untrusted.write(`AUTHENTICATE "PLAIN" "${b64('\0alice\0pw')}"\r\n`);
  assert.equal(await untrusted.reader.next(), 'NO "Plaintext authentication disabled."');
  assert.equal(untrusted.fake.logins.length, 0);
  untrusted.close();
});

test('SIEVE and NOTIFY follow what every backend offers', async () => {
  const o = await open({ backendCapabilities: new Set(['SIEVE fileinto', 'SIEVE vacation', 'OTHER x']) });
  assert.ok(o.greeting.includes('"SIEVE" "fileinto vacation"'));
  assert.ok(!o.greeting.some((l) => l.startsWith('"NOTIFY"')));
  o.close();
});

test('AUTHENTICATE PLAIN with a continuation as quoted string or literal', async () => {
  for (const response of [`"${b64('\0alice\0pw')}"\r\n`, `{${b64('\0alice\0pw').length}+}\r\n${b64('\0alice\0pw')}\r\n`]) {
    const o = await open();
    o.write('AUTHENTICATE "PLAIN"\r\n');
    assert.equal(await o.reader.next(), '""');
    o.write(response);
    assert.equal(await o.reader.next(), 'OK "Logged in."');
    assert.equal(o.fake.logins[0]?.user, 'alice');
    assert.equal(o.fake.logins[0]?.password.reveal(), 'pw');
    o.close();
  }
});

test('AUTHENTICATE LOGIN asks for the user name and password', async () => {
  const o = await open();
  o.write(`AUTHENTICATE "LOGIN" "${b64('bob')}"\r\n`);
  assert.equal(await o.reader.next(), `"${b64('Password:')}"`);
  o.write(`"${b64('secret')}"\r\n`);
  assert.equal(await o.reader.next(), 'OK "Logged in."');
  assert.equal(o.fake.logins[0]?.user, 'bob');
  assert.equal(o.fake.logins[0]?.mechanism, 'LOGIN');
  o.close();
});

test('cancel, empty and invalid responses, unknown mechanism and an atom mechanism', async () => {
  const o = await open();
  o.write('AUTHENTICATE "PLAIN"\r\n');
  assert.equal(await o.reader.next(), '""');
  o.write('"*"\r\n');
  assert.equal(await o.reader.next(), 'NO "Authentication aborted by client."');
  o.write('AUTHENTICATE "PLAIN"\r\n');
  assert.equal(await o.reader.next(), '""');
  o.write('\r\n');
  assert.equal(await o.reader.next(), 'NO "Received empty AUTHENTICATE client response line."');
  o.write('AUTHENTICATE "PLAIN"\r\n');
  assert.equal(await o.reader.next(), '""');
  o.write('"!!"\r\n');
  assert.equal(await o.reader.next(), 'NO "Invalid base64 in response"');
  o.write('AUTHENTICATE "CRAM-MD5"\r\n');
  assert.equal(await o.reader.next(), 'NO "Unsupported authentication mechanism."');
  o.write('AUTHENTICATE PLAIN\r\n');
  assert.equal(await o.reader.next(), 'NO "Error in MANAGESIEVE command received by server."');
  assert.equal(o.fake.logins.length, 0);
  o.close();
});

test('failures render as Pigeonhole: TRYLATER for temporary ones, a nologin reason as the text', async () => {
  const cases: Array<[FakeOptions['login'], string]> = [
    [() => failure('backend_unavailable'), 'NO (TRYLATER) "Account is temporarily unavailable."'],
    [() => failure('auth_temp'), 'NO (TRYLATER) "Temporary authentication failure."'],
    [() => failure('backend_auth_failed'), 'NO "Authentication failed."'],
    [() => failure('nologin', 'Moved "elsewhere"'), 'NO "Moved \\"elsewhere\\""'],
  ];
  for (const [login, expected] of cases) {
    const o = await open({ login });
    o.write(`AUTHENTICATE "PLAIN" "${b64('\0alice\0pw')}"\r\n`);
    assert.equal(await o.reader.next(), expected);
    o.close();
  }
});

test('NOOP with an echo tag, CAPABILITY, a syntax error, LOGOUT', async () => {
  const o = await open();
  o.write('NOOP "t1"\r\n');
  assert.equal(await o.reader.next(), 'OK (TAG "t1") "Done"');
  o.write('NOOP t1\r\n');
  assert.equal(await o.reader.next(), 'NO "Invalid echo tag."');
  o.write('NOOP "abc\r\n');
  assert.equal(await o.reader.next(), 'NO "String contains invalid character."');
  o.write('CAPABILITY\r\n');
  let line = await o.reader.next();
  while (line?.startsWith('"')) line = await o.reader.next();
  assert.equal(line, 'OK "Capability completed."');
  o.write('LOGOUT\r\n');
  assert.equal(await o.reader.next(), 'OK "Logout completed."');
  assert.equal(await o.reader.next(), undefined);
  assert.deepEqual(o.fake.closed, ['Aborted login']);
  o.close();
});

test('a literal over limits.max_literal_size ends the connection', async () => {
  const o = await open({ limits: { maxLiteralSize: 10 } });
  o.write('AUTHENTICATE "PLAIN" {100+}\r\n');
  assert.equal(await o.reader.next(), 'BYE "Literal size too large"');
  assert.equal(await o.reader.next(), undefined);
  o.close();
});
