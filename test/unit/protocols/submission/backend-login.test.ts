import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { Secret } from '../../../../src/core/secret.js';
import { LoginFailure } from '../../../../src/core/failure.js';
import type { BackendLoginParams } from '../../../../src/session/backend-login.js';
import { backendLoginParams } from '../../session/backend-login-params.js';
import { submissionBackendLogin } from '../../../../src/protocols/submission/backend-login.js';
import { xclientLines, xtext } from '../../../../src/session/smtp-xclient.js';

function params(overrides: Partial<BackendLoginParams> = {}): BackendLoginParams {
  return backendLoginParams(587, { clientHelo: 'client.example', ...overrides });
}

const OPTIONS = { ehloName: 'director.test' };

interface FakeSmtp {
  readonly server: Server;
  readonly port: number;
  readonly received: string[];
}

/** A scripted SMTP backend: 220 banner, then `onLine` answers each received line. */
async function fakeSmtp(onLine: (line: string, socket: Socket) => void, banner = '220 backend.test ESMTP ready'): Promise<FakeSmtp> {
  const received: string[] = [];
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.write(banner + '\r\n');
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (let i = buffer.indexOf('\r\n'); i >= 0; i = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        received.push(line);
        onLine(line, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new TypeError('no port');
  return { server, port: address.port, received };
}

/** A Dovecot-like backend: EHLO lists `caps`; XCLIENT gets a new 220; AUTH answers `authReply`. */
function dovecotLike(caps: readonly string[], authReply = '235 2.7.0 Logged in.'): (line: string, socket: Socket) => void {
  return (line, socket) => {
    const verb = (line.split(' ')[0] ?? '').toUpperCase();
    if (verb === 'EHLO') {
      const lines = ['backend.test', ...caps];
      socket.write(lines.map((l, i) => `250${i === lines.length - 1 ? ' ' : '-'}${l}\r\n`).join(''));
    } else if (verb === 'XCLIENT') socket.write('220 backend.test ESMTP ready\r\n');
    else if (verb === 'AUTH') socket.write(`${authReply}\r\n`);
    else socket.write('500 5.5.1 Unknown command\r\n');
  };
}

async function expectFailure(promise: Promise<unknown>, kind: LoginFailure['kind']): Promise<LoginFailure> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof LoginFailure, `expected LoginFailure, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    return err;
  }
  assert.fail('login unexpectedly succeeded');
}

test('banner, EHLO, XCLIENT, EHLO again, AUTH PLAIN: the 235 is the login reply and the last EHLO the capabilities', async () => {
  const fake = await fakeSmtp(dovecotLike(['8BITMIME', 'AUTH PLAIN LOGIN', 'SIZE 1000', 'XCLIENT ADDR PORT HELO LOGIN TTL SESSION FORWARD']));
  try {
    const result = await submissionBackendLogin(params({ port: fake.port, forward: { tenant: 'blue' } }), OPTIONS);
    result.socket.destroy();
    assert.equal(result.loginReply, '235 2.7.0 Logged in.');
    assert.deepEqual(result.capabilities, ['8BITMIME', 'AUTH PLAIN LOGIN', 'SIZE 1000', 'XCLIENT ADDR PORT HELO LOGIN TTL SESSION FORWARD']);
    const forward = Buffer.from('tenant=blue').toString('base64');
    assert.deepEqual(fake.received, [
      'EHLO director.test',
      `XCLIENT HELO=client.example TTL=4 PORT=4711 ADDR=192.0.2.7 SESSION=SeSsIoN FORWARD=${xtext(forward)}`,
      'EHLO director.test',
      `AUTH PLAIN ${Buffer.from('\0alice\0pw 1').toString('base64')}`,
    ]);
  } finally {
    fake.server.close();
  }
});

test('no XCLIENT when the backend does not offer it, or with proxy_not_trusted', async () => {
  for (const [caps, notTrusted] of [[['AUTH PLAIN'], false], [['AUTH PLAIN', 'XCLIENT ADDR PORT'], true]] as const) {
    const fake = await fakeSmtp(dovecotLike(caps));
    try {
      const result = await submissionBackendLogin(params({ port: fake.port, notTrusted }), OPTIONS);
      result.socket.destroy();
      assert.deepEqual(fake.received.map((l) => l.split(' ')[0]), ['EHLO', 'AUTH']);
    } finally {
      fake.server.close();
    }
  }
});

test('XCLIENT sends only the attributes the backend lists; a 250 answer needs no new EHLO', async () => {
  const handler = dovecotLike(['AUTH PLAIN', 'XCLIENT ADDR']);
  const fake = await fakeSmtp((line, socket) => (line.startsWith('XCLIENT') ? socket.write('250 2.0.0 OK\r\n') : handler(line, socket)));
  try {
    const result = await submissionBackendLogin(params({ port: fake.port, client: { remoteIp: '2001:db8::1', remotePort: 1, localIp: '::1', localPort: 587 } }), OPTIONS);
    result.socket.destroy();
    assert.deepEqual(fake.received.slice(1, 3), ['XCLIENT ADDR=IPV6:2001:db8::1', `AUTH PLAIN ${Buffer.from('\0alice\0pw 1').toString('base64')}`]);
  } finally {
    fake.server.close();
  }
});

test('master user: AUTH PLAIN authorizes as the user and authenticates as the master', async () => {
  const fake = await fakeSmtp(dovecotLike(['AUTH PLAIN']));
  try {
    const result = await submissionBackendLogin(params({ port: fake.port, user: 'bob', master: 'admin', password: new Secret('mpw') }), OPTIONS);
    result.socket.destroy();
    assert.equal(fake.received[1], `AUTH PLAIN ${Buffer.from('bob\0admin\0mpw').toString('base64')}`);
  } finally {
    fake.server.close();
  }
});

test('proxy_mech=login: user name and password after their 334 challenges', async () => {
  const handler = dovecotLike(['AUTH PLAIN LOGIN']);
  const fake = await fakeSmtp((line, socket) => {
    if (line === 'AUTH LOGIN') socket.write('334 VXNlcm5hbWU6\r\n');
    else if (line === Buffer.from('alice').toString('base64')) socket.write('334 UGFzc3dvcmQ6\r\n');
    else if (line === Buffer.from('pw 1').toString('base64')) socket.write('235 2.7.0 Logged in.\r\n');
    else handler(line, socket);
  });
  try {
    const result = await submissionBackendLogin(params({ port: fake.port, proxyMech: 'login' }), OPTIONS);
    result.socket.destroy();
    assert.equal(result.loginReply, '235 2.7.0 Logged in.');
  } finally {
    fake.server.close();
  }
});

test('proxy_noauth: no AUTH, the user goes in XCLIENT LOGIN', async () => {
  const fake = await fakeSmtp(dovecotLike(['XCLIENT LOGIN ADDR']));
  try {
    const result = await submissionBackendLogin(params({ port: fake.port, noauth: true }), OPTIONS);
    result.socket.destroy();
    assert.deepEqual(fake.received, ['EHLO director.test', 'XCLIENT LOGIN=alice ADDR=192.0.2.7', 'EHLO director.test']);
    assert.equal(result.loginReply, '235 2.7.0 Logged in.');
  } finally {
    fake.server.close();
  }
});

test('a 535 from the backend is backend_auth_failed; a 454 is backend_unavailable', async () => {
  for (const [reply, kind] of [['535 5.7.8 Authentication failed.', 'backend_auth_failed'], ['454 4.7.0 Temporary failure', 'backend_unavailable']] as const) {
    const fake = await fakeSmtp(dovecotLike(['AUTH PLAIN'], reply));
    try {
      await expectFailure(submissionBackendLogin(params({ port: fake.port }), OPTIONS), kind);
    } finally {
      fake.server.close();
    }
  }
});

test('credentials never go to a backend that does not offer AUTH', async () => {
  const fake = await fakeSmtp(dovecotLike(['8BITMIME']));
  try {
    const failure = await expectFailure(submissionBackendLogin(params({ port: fake.port }), OPTIONS), 'backend_unavailable');
    assert.match(failure.message, /authentication support not advertised/);
    assert.deepEqual(fake.received, ['EHLO director.test']);
  } finally {
    fake.server.close();
  }
});

test('a bad banner, an inconsistent multi-line reply, a refused XCLIENT: backend_unavailable', async () => {
  const cases: Array<[string, (line: string, socket: Socket) => void]> = [
    ['554 5.3.2 go away', dovecotLike(['AUTH PLAIN'])],
    ['220 ok', (_line, socket) => socket.write('250-a\r\n251 b\r\n')],
    ['220 ok', (line, socket) => (line.startsWith('XCLIENT') ? socket.write('550 5.7.14 You are not from trusted IP\r\n') : dovecotLike(['AUTH PLAIN', 'XCLIENT ADDR'])(line, socket))],
  ];
  for (const [banner, handler] of cases) {
    const fake = await fakeSmtp(handler, banner);
    try {
      await expectFailure(submissionBackendLogin(params({ port: fake.port }), OPTIONS), 'backend_unavailable');
    } finally {
      fake.server.close();
    }
  }
});

test('starttls=yes against a backend without STARTTLS fails before any credentials', async () => {
  const fake = await fakeSmtp(dovecotLike(['AUTH PLAIN']));
  try {
    await expectFailure(submissionBackendLogin(params({ port: fake.port, starttls: 'yes' }), OPTIONS), 'backend_unavailable');
    assert.deepEqual(fake.received, ['EHLO director.test']);
  } finally {
    fake.server.close();
  }
});

test('a backend that never answers is cut by the deadline; a closed port is unavailable', async () => {
  const silent = await fakeSmtp(() => undefined);
  try {
    await expectFailure(submissionBackendLogin(params({ port: silent.port, timeoutMs: 200 }), OPTIONS), 'backend_unavailable');
  } finally {
    silent.server.close();
  }
  const closed = await fakeSmtp(() => undefined);
  closed.server.close();
  await expectFailure(submissionBackendLogin(params({ port: closed.port, timeoutMs: 1000 }), OPTIONS), 'backend_unavailable');
});

test('CR, LF or NUL in the user or password never reaches the backend', async () => {
  await expectFailure(submissionBackendLogin(params({ password: new Secret('a\r\nRSET') }), OPTIONS), 'backend_auth_failed');
});

test('xtext encodes +, = and what is not printable ASCII; long XCLIENT commands are split', () => {
  assert.equal(xtext('a+b=c d\u00e9'), 'a+2Bb+3Dc+20d+C3+A9');
  const lines = xclientLines(params({ forward: { big: 'x'.repeat(600) } }), { offered: ['ADDR', 'FORWARD'], login: false });
  assert.equal(lines.length, 2);
  assert.match(lines[0] ?? '', /^XCLIENT ADDR=192\.0\.2\.7$/);
  assert.match(lines[1] ?? '', /^XCLIENT FORWARD=/);
});
