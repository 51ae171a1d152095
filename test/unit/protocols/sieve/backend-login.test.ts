import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { Secret } from '../../../../src/core/secret.js';
import { LoginFailure } from '../../../../src/core/failure.js';
import type { BackendLoginParams } from '../../../../src/session/backend-login.js';
import { backendLoginParams } from '../../session/backend-login-params.js';
import { authenticateLine, sieveBackendLogin } from '../../../../src/protocols/sieve/backend-login.js';

function params(overrides: Partial<BackendLoginParams> = {}): BackendLoginParams {
  return backendLoginParams(4190, { ...overrides });
}

const CAPS = '"IMPLEMENTATION" "Dovecot Pigeonhole"\r\n"SIEVE" {17}\r\nfileinto vacation\r\n"NOTIFY" "mailto"\r\n"SASL" "PLAIN LOGIN"\r\n"VERSION" "1.0"\r\n';

/** A scripted ManageSieve backend: `greeting` first, then `onLine` answers each line. */
async function fakeBackend(greeting: string, onLine: (line: string, socket: Socket) => void): Promise<{ server: Server; port: number; received: string[] }> {
  const received: string[] = [];
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.write(greeting);
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

async function failureOf(promise: Promise<unknown>): Promise<LoginFailure> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof LoginFailure);
    return err;
  }
  throw new Error('login succeeded');
}

test('capabilities (literal included), XCLIENT to a trusting backend, AUTHENTICATE PLAIN; the backend OK and later bytes are kept', async () => {
  const backend = await fakeBackend(`${CAPS}"XCLIENT"\r\nOK "ready"\r\n`, (line, socket) => {
    if (line.startsWith('XCLIENT ')) socket.write('OK "Updated"\r\n');
    else if (line.startsWith('AUTHENTICATE ')) socket.write('OK "Logged in."\r\nOK "after"\r\n');
  });
  const result = await sieveBackendLogin(params({ port: backend.port }));
  assert.deepEqual(backend.received, [
    'XCLIENT ADDR=192.0.2.7 PORT=4711 SESSION=SeSsIoN TTL=4',
    `AUTHENTICATE "PLAIN" "${Buffer.from('\0alice\0pw 1').toString('base64')}"`,
  ]);
  assert.equal(result.loginReply, 'OK "Logged in."');
  assert.deepEqual(result.capabilities, ['SIEVE fileinto', 'SIEVE vacation', 'NOTIFY mailto']);
  assert.equal(result.pending.toString(), 'OK "after"\r\n');
  result.socket.destroy();
  backend.server.close();
});

test('no XCLIENT when not advertised or not trusted; a master user authenticates for the user', async () => {
  for (const greeting of [`${CAPS}OK "ready"\r\n`, `${CAPS}"XCLIENT"\r\nOK "ready"\r\n`]) {
    const backend = await fakeBackend(greeting, (line, socket) => {
      if (line.startsWith('AUTHENTICATE ')) socket.write('OK "Logged in."\r\n');
      else socket.write('NO "unexpected"\r\n');
    });
    const result = await sieveBackendLogin(params({ port: backend.port, notTrusted: true, master: 'master', password: new Secret('mpw') }));
    assert.deepEqual(backend.received, [`AUTHENTICATE "PLAIN" "${Buffer.from('alice\0master\0mpw').toString('base64')}"`]);
    result.socket.destroy();
    backend.server.close();
  }
});

test('NO is backend_auth_failed; NO (TRYLATER), BYE and a challenge are backend_unavailable', async () => {
  const cases: Array<[string, LoginFailure['kind']]> = [
    ['NO "Authentication failed."', 'backend_auth_failed'],
    ['NO (TRYLATER) "Try later"', 'backend_unavailable'],
    ['BYE "going away"', 'backend_unavailable'],
    ['"more please"', 'backend_unavailable'],
  ];
  for (const [answer, kind] of cases) {
    const backend = await fakeBackend(`${CAPS}OK "ready"\r\n`, (line, socket) => {
      if (line.startsWith('AUTHENTICATE ')) socket.write(`${answer}\r\n`);
    });
    const failure = await failureOf(sieveBackendLogin(params({ port: backend.port })));
    assert.equal(failure.kind, kind, answer);
    assert.ok(!failure.message.includes('pw 1'), 'the password is not in the failure');
    backend.server.close();
  }
});

test('a backend without SASL, one refusing at greeting, one without STARTTLS when asked, a silent one', async () => {
  const noSasl = await fakeBackend('"IMPLEMENTATION" "x"\r\n"SASL" ""\r\nOK "ready"\r\n', () => undefined);
  assert.match((await failureOf(sieveBackendLogin(params({ port: noSasl.port })))).message, /disabled authentication/);
  assert.deepEqual(noSasl.received, []);
  noSasl.server.close();

  const bye = await fakeBackend('BYE "Too many connections"\r\n', () => undefined);
  assert.equal((await failureOf(sieveBackendLogin(params({ port: bye.port })))).kind, 'backend_unavailable');
  bye.server.close();

  const noTls = await fakeBackend(`${CAPS}OK "ready"\r\n`, () => undefined);
  assert.match((await failureOf(sieveBackendLogin(params({ port: noTls.port, starttls: 'yes' })))).message, /doesn't support STARTTLS/);
  noTls.server.close();

  const silent = await fakeBackend('', () => undefined);
  const failure = await failureOf(sieveBackendLogin(params({ port: silent.port, timeoutMs: 200 })));
  assert.equal(failure.kind, 'backend_unavailable');
  assert.match(failure.message, /timed out/);
  silent.server.close();
});

test('nothing listening: backend_unavailable', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new TypeError('no port');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.equal((await failureOf(sieveBackendLogin(params({ port: address.port, timeoutMs: 1000 })))).kind, 'backend_unavailable');
});

test('a long PLAIN message goes as a non-synchronizing literal', () => {
  const line = authenticateLine(params({ password: new Secret('x'.repeat(2000)) }));
  assert.match(line, /^AUTHENTICATE "PLAIN" \{\d+\+\}\r\n[A-Za-z0-9+/=]+\r\n$/);
});
