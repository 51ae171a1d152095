import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPop3Driver } from '../../../../src/protocols/pop3/driver.js';
import { failure, fakeContext, LineReader, socketPair, success } from '../../session/fake-context.js';
import type { Fake, FakeOptions } from '../../session/fake-context.js';
import type { LoginOutcome } from '../../../../src/session/frontend.js';

const driver = createPop3Driver({ greeting: 'Test' });

async function open(options: FakeOptions = {}): Promise<{ fake: Fake; write: (s: string) => void; reader: LineReader; close: () => void; client: import('node:net').Socket }> {
  const fake = fakeContext(options);
  const pair = await socketPair();
  const reader = new LineReader(pair.client);
  driver.handle(pair.server, fake.context);
  assert.equal(await reader.next(), '+OK Test ready.');
  return { fake, write: (s) => pair.client.write(s), reader, close: pair.close, client: pair.client };
}

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

test('CAPA on a trusted connection lists USER, SASL and STLS when a certificate is configured', async () => {
  const { createSecureContext } = await import('node:tls');
  const c = await open({ secureContext: createSecureContext({}) });
  c.write('capa\r\n');
  assert.deepEqual(await c.reader.lines(10), [
    '+OK', 'CAPA', 'TOP', 'UIDL', 'RESP-CODES', 'PIPELINING', 'AUTH-RESP-CODE', 'STLS', 'USER', 'SASL PLAIN LOGIN',
  ]);
  assert.equal(await c.reader.next(), '.');
  c.close();
});

test('CAPA from an untrusted network without TLS offers no plaintext login, and never more than the backends', async () => {
  const c = await open({ trusted: false, backendCapabilities: new Set(['TOP', 'UIDL', 'SASL PLAIN']) });
  c.write('CAPA\r\n');
  assert.deepEqual(await c.reader.lines(5), ['+OK', 'CAPA', 'TOP', 'UIDL', '.']);
  c.close();
});

test('USER/PASS logs in, writes +OK Logged in. and hands pipelined bytes to the relay', async () => {
  const c = await open();
  c.write('USER alice\r\nPASS s3cret word\r\nSTAT\r\nRETR 1\r\n');
  assert.equal(await c.reader.next(), '+OK');
  assert.equal(await c.reader.next(), '+OK Logged in.');
  assert.equal(await c.reader.next(), undefined);
  assert.equal(c.fake.logins.length, 1);
  const request = c.fake.logins[0];
  assert.equal(request?.user, 'alice');
  assert.equal(request?.password.reveal(), 's3cret word');
  assert.equal(request?.mechanism, 'USER');
  assert.equal(c.fake.relays.length, 1);
  assert.equal(c.fake.relays[0]?.pending.toString(), 'STAT\r\nRETR 1\r\n');
  assert.equal(c.fake.relays[0]?.kickText('Kicked by admin'), '-ERR [SYS/TEMP] Disconnected by proxy: Kicked by admin\r\n');
  assert.equal(c.fake.relays[0]?.kickText('moving you\nnow'), '-ERR [SYS/TEMP] moving you now\r\n');
  assert.deepEqual(c.fake.closed, []);
  assert.ok(!c.fake.logs.join('').includes('s3cret'), 'password must not be logged');
});

test('bytes sent while the login is pending are kept for the relay, not parsed', async () => {
  let release: (outcome: LoginOutcome) => void = () => undefined;
  const c = await open({ login: () => new Promise<LoginOutcome>((resolve) => (release = resolve)) });
  c.write('USER alice\r\nPASS pw\r\n');
  assert.equal(await c.reader.next(), '+OK');
  await waitFor(() => c.fake.logins.length === 1);
  c.write('LIST\r\nQUIT\r\n');
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(c.reader.buffered, '', 'nothing answered while the login is pending');
  release(success());
  assert.equal(await c.reader.next(), '+OK Logged in.');
  await waitFor(() => c.fake.relays.length === 1);
  const relay = c.fake.relays[0];
  await waitFor(() => Buffer.concat([relay?.pending ?? Buffer.alloc(0), ...(relay?.later ?? [])]).length >= 12);
  assert.equal(Buffer.concat([relay?.pending ?? Buffer.alloc(0), ...(relay?.later ?? [])]).toString(), 'LIST\r\nQUIT\r\n');
});

test('a failed login is answered, then the commands sent meanwhile run', async () => {
  let release: (outcome: LoginOutcome) => void = () => undefined;
  const c = await open({ login: () => new Promise<LoginOutcome>((resolve) => (release = resolve)) });
  c.write('USER alice\r\nPASS pw\r\n');
  assert.equal(await c.reader.next(), '+OK');
  await waitFor(() => c.fake.logins.length === 1);
  c.write('NOOP\r\n');
  release(failure('auth_failed'));
  assert.equal(await c.reader.next(), '-ERR [AUTH] Authentication failed.');
  assert.equal(await c.reader.next(), '-ERR Unknown command.');
  c.close();
});

const RENDERED: Array<[LoginOutcome, string]> = [
  [failure('auth_failed'), '-ERR [AUTH] Authentication failed.'],
  [failure('backend_auth_failed'), '-ERR [AUTH] Authentication failed.'],
  [failure('invalid_input'), '-ERR [AUTH] Authentication failed.'],
  [failure('auth_temp'), '-ERR [SYS/TEMP] Temporary authentication failure.'],
  [failure('backend_unavailable'), '-ERR [SYS/TEMP] Account is temporarily unavailable.'],
  [failure('proxy_loop'), '-ERR [SYS/TEMP] Account is temporarily unavailable.'],
  [failure('nologin', 'Moved to\r\nanother provider'), '-ERR [AUTH] Moved to  another provider'],
  [failure('nologin', '[IN-USE] Mailbox being moved'), '-ERR [IN-USE] Mailbox being moved'],
  [failure('privacy_required'), '-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.'],
];

for (const [outcome, expected] of RENDERED) {
  const kind = outcome.ok ? 'ok' : outcome.failure.kind;
  test(`login failure ${kind} is rendered as ${expected}`, async () => {
    const c = await open({ login: () => outcome });
    c.write('USER alice\r\nPASS pw\r\n');
    assert.equal(await c.reader.next(), '+OK');
    assert.equal(await c.reader.next(), expected);
    assert.equal(c.fake.relays.length, 0);
    c.close();
  });
}

test('the connection closes after limits.maxAuthAttempts failed logins', async () => {
  const c = await open({ login: () => failure('auth_failed'), limits: { maxAuthAttempts: 2 } });
  c.write('USER a\r\nPASS x\r\n');
  assert.deepEqual(await c.reader.lines(2), ['+OK', '-ERR [AUTH] Authentication failed.']);
  c.write('USER a\r\nPASS y\r\n');
  assert.deepEqual(await c.reader.lines(3), ['+OK', '-ERR [AUTH] Authentication failed.', undefined]);
  assert.deepEqual(c.fake.closed, ['Disconnected: Too many failed authentication attempts']);
});

test('PASS without USER is refused without a login', async () => {
  const c = await open();
  c.write('PASS x\r\n');
  assert.equal(await c.reader.next(), '-ERR No username given.');
  assert.equal(c.fake.logins.length, 0);
  c.close();
});

test('plaintext USER, PASS and AUTH PLAIN are refused before TLS from untrusted networks', async () => {
  const c = await open({ trusted: false });
  const refusal = '-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.';
  c.write(`USER alice\r\nPASS pw\r\nAUTH PLAIN ${b64('\0alice\0pw')}\r\nAUTH LOGIN\r\n`);
  assert.deepEqual(await c.reader.lines(4), [refusal, refusal, refusal, refusal]);
  c.write('AUTH\r\n');
  assert.deepEqual(await c.reader.lines(2), ['+OK', '.']);
  assert.equal(c.fake.logins.length, 0);
  c.close();
});

test('AUTH with no arguments lists the mechanisms', async () => {
  const c = await open();
  c.write('AUTH\r\n');
  assert.deepEqual(await c.reader.lines(4), ['+OK', 'PLAIN', 'LOGIN', '.']);
  c.close();
});

test('AUTH PLAIN with an initial response logs in with the authzid', async () => {
  const c = await open();
  c.write(`AUTH PLAIN ${b64('alice\0alice\0pw pw')}\r\n`);
  assert.equal(await c.reader.next(), '+OK Logged in.');
  assert.equal(c.fake.logins[0]?.user, 'alice');
  assert.equal(c.fake.logins[0]?.authzid, 'alice');
  assert.equal(c.fake.logins[0]?.password.reveal(), 'pw pw');
  assert.equal(c.fake.logins[0]?.mechanism, 'PLAIN');
  assert.ok(!c.fake.logs.join('').includes(b64('alice\0alice\0pw pw')), 'SASL payload must not be logged');
});

test('AUTH PLAIN without an initial response asks with an empty challenge', async () => {
  const c = await open();
  c.write('AUTH plain\r\n');
  assert.equal(await c.reader.next(), '+ ');
  c.write(`${b64('\0bob\0pw')}\r\n`);
  assert.equal(await c.reader.next(), '+OK Logged in.');
  assert.equal(c.fake.logins[0]?.user, 'bob');
  assert.equal(c.fake.logins[0]?.authzid, undefined);
});

test('AUTH LOGIN asks for user name and password', async () => {
  const c = await open();
  c.write('AUTH LOGIN\r\n');
  assert.equal(await c.reader.next(), `+ ${b64('Username:')}`);
  c.write(`${b64('carol')}\r\n`);
  assert.equal(await c.reader.next(), `+ ${b64('Password:')}`);
  c.write(`${b64('hunter2hunter2')}\r\n`);
  assert.equal(await c.reader.next(), '+OK Logged in.');
  assert.equal(c.fake.logins[0]?.user, 'carol');
  assert.equal(c.fake.logins[0]?.password.reveal(), 'hunter2hunter2');
  assert.equal(c.fake.logins[0]?.mechanism, 'LOGIN');
  const logs = c.fake.logs.join('');
  assert.ok(!logs.includes('hunter2hunter2') && !logs.includes(b64('hunter2hunter2')), 'password must not be logged');
});

test('AUTH LOGIN with the user name as initial response asks only for the password', async () => {
  const c = await open();
  c.write(`AUTH LOGIN ${b64('dave')}\r\n`);
  assert.equal(await c.reader.next(), `+ ${b64('Password:')}`);
  c.write(`${b64('pw')}\r\n`);
  assert.equal(await c.reader.next(), '+OK Logged in.');
  assert.equal(c.fake.logins[0]?.user, 'dave');
});

test('* cancels an AUTH exchange, bad base64 and unknown mechanisms are refused', async () => {
  const c = await open();
  c.write('AUTH LOGIN\r\n');
  assert.equal(await c.reader.next(), `+ ${b64('Username:')}`);
  c.write('*\r\n');
  assert.equal(await c.reader.next(), '-ERR Authentication aborted by client.');
  c.write('AUTH PLAIN not!base64\r\n');
  assert.equal(await c.reader.next(), '-ERR [AUTH] Invalid base64 in response');
  c.write('AUTH CRAM-MD5\r\n');
  assert.equal(await c.reader.next(), '-ERR [AUTH] Unsupported authentication mechanism.');
  c.write(`AUTH PLAIN ${b64('no-nul-here')}\r\n`);
  assert.equal(await c.reader.next(), '-ERR [AUTH] Authentication failed.');
  assert.equal(c.fake.logins.length, 0);
  c.close();
});

test('unknown commands are answered and too many close the connection', async () => {
  const c = await open({ limits: { maxInvalidCommands: 3 } });
  c.write('NOOP\r\nXYZZY\r\nCAPA\r\n\r\n');
  const lines = await c.reader.lines(2);
  assert.deepEqual(lines, ['-ERR Unknown command.', '-ERR Unknown command.']);
  assert.equal(await c.reader.next(), '+OK');
  while ((await c.reader.next()) !== '.');
  assert.deepEqual(await c.reader.lines(3), ['-ERR Unknown command.', '-ERR Too many invalid bad commands.', undefined]);
  assert.deepEqual(c.fake.closed, ['Disconnected: Too many invalid commands']);
});

test('QUIT says goodbye and closes without a relay', async () => {
  const c = await open();
  c.write('QUIT\r\nCAPA\r\n');
  assert.deepEqual(await c.reader.lines(2), ['+OK Logging out', undefined]);
  assert.deepEqual(c.fake.closed, ['logout']);
});

test('an over-long line ends the connection', async () => {
  const c = await open({ limits: { maxLineLength: 100 } });
  c.write(`USER ${'x'.repeat(200)}`);
  assert.deepEqual(await c.reader.lines(2), ['-ERR Input buffer full, aborting', undefined]);
  assert.deepEqual(c.fake.closed, ['Disconnected: Input buffer full']);
});

test('a client that does not log in is disconnected after the pre-login timeout', async () => {
  const c = await open({ limits: { preloginTimeoutMs: 100 } });
  assert.deepEqual(await c.reader.lines(2), ['-ERR Disconnected for inactivity.', undefined]);
  assert.deepEqual(c.fake.closed, ['Disconnected: Inactivity']);
});

test('a client that disconnects is reported closed once', async () => {
  const c = await open();
  c.client.end();
  await waitFor(() => c.fake.closed.length > 0);
  assert.deepEqual(c.fake.closed, ['Disconnected']);
});

test('a client that leaves while its login is pending gets no backend login and is reported closed once', async () => {
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  let backendError: unknown;
  const c = await open({
    login: async (request, backendLogin) => {
      await held; // e.g. a delay_until hold or a slow LDAP server
      try {
        await backendLogin({ host: '127.0.0.1', port: 9, user: request.user, password: request.password } as Parameters<typeof backendLogin>[0]);
      } catch (err) {
        backendError = err;
      }
      return success(request.user);
    },
  });
  c.write('USER alice\r\nPASS pw\r\n');
  assert.equal(await c.reader.next(), '+OK');
  await waitFor(() => c.fake.logins.length === 1);
  c.client.end();
  // Noticed while the login is still held, not only once it is over.
  await waitFor(() => c.fake.closed.length > 0);
  release();
  await waitFor(() => backendError !== undefined);
  assert.match(String(backendError), /client disconnected before the backend login/);
  assert.deepEqual(c.fake.closed, ['Disconnected']);
  assert.equal(c.fake.relays.length, 0);
});

test('STLS without a certificate is refused; on an implicit-TLS port it is already active', async () => {
  const plain = await open();
  plain.write('STLS\r\n');
  assert.equal(await plain.reader.next(), "-ERR TLS support isn't enabled.");
  plain.close();
  const { createSecureContext } = await import('node:tls');
  const tls = await open({ implicitTls: true, secureContext: createSecureContext({}), trusted: false });
  tls.write('STLS\r\nUSER alice\r\n');
  assert.deepEqual(await tls.reader.lines(2), ['-ERR TLS is already active.', '+OK']);
  tls.close();
});

async function waitFor(predicate: () => boolean, timeoutMs = 2_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new assert.AssertionError({ message: 'condition not reached' });
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}


test('a password sent as a line of its own is not logged as an unknown command', async () => {
  const c = await open();
  c.write('CorrectHorseBatteryStaple\r\n');
  assert.equal(await c.reader.next(), '-ERR Unknown command.');
  assert.ok(!c.fake.logs.join('').toLowerCase().includes('correcthorse'));
  c.close();
});
