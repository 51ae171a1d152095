import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { Secret } from '../../../../src/core/secret.js';
import { LoginFailure } from '../../../../src/core/failure.js';
import type { BackendLoginParams } from '../../../../src/session/backend-login.js';
import { backendLoginParams } from '../../session/backend-login-params.js';
import { tabEscape, xclientLine } from '../../../../src/session/xclient-fields.js';
import {
  loginSteps,
  pop3BackendLogin,

} from '../../../../src/protocols/pop3/backend-login.js';

function params(overrides: Partial<BackendLoginParams> = {}): BackendLoginParams {
  return backendLoginParams(110, { ...overrides });
}

/** A scripted POP3 backend: `onLine` answers each received line. */
async function fakeBackend(
  banner: string | undefined,
  onLine: (line: string, socket: Socket, received: string[]) => void,
): Promise<{ server: Server; port: number; received: string[]; chunks: string[] }> {
  const received: string[] = [];
  const chunks: string[] = [];
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    if (banner !== undefined) socket.write(banner + '\r\n');
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk.toString());
      buffer += chunk.toString();
      for (let i = buffer.indexOf('\r\n'); i >= 0; i = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        received.push(line);
        onLine(line, socket, received);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new TypeError('no port');
  return { server, port: address.port, received, chunks };
}

function okToAll(line: string, socket: Socket): void {
  if (line.startsWith('PASS') || line.startsWith('AUTH')) socket.write('+OK Logged in.\r\nextra bytes');
  else socket.write('+OK\r\n');
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

test('XCLIENT carries address, port, session, the TTL the core gives and tab-escaped forward fields', () => {
  assert.equal(xclientLine(params()), 'XCLIENT ADDR=192.0.2.7 PORT=4711 SESSION=SeSsIoN TTL=4');
  const line = xclientLine(params({ forward: { a: '1', 'b\tc': 'x\ny' } }));
  const encoded = /FORWARD=(\S+)$/.exec(line)?.[1] ?? '';
  assert.equal(Buffer.from(encoded, 'base64').toString(), 'a=1\tb\x01tc=x\x01ny');
  assert.equal(tabEscape('\x01\x00\r'), '\x011\x010\x01r');
});

test('master login and proxy_mech=plain use AUTH PLAIN with an initial response', () => {
  const master = loginSteps(params({ master: 'proxy', password: new Secret('masterpw') }), false);
  assert.equal(master.length, 1);
  const b64 = master[0]?.line.replace('AUTH PLAIN ', '') ?? '';
  assert.equal(Buffer.from(b64, 'base64').toString(), 'alice\0proxy\0masterpw');
  const plain = loginSteps(params({ proxyMech: 'plain' }), true);
  assert.deepEqual(plain.map((s) => s.state), ['xclient', 'login2']);
  assert.equal(Buffer.from(plain[1]?.line.replace('AUTH PLAIN ', '') ?? '', 'base64').toString(), '\0alice\0pw 1');
});

test('XCLIENT, USER and PASS in order; bytes after the final +OK become pending', async () => {
  const backend = await fakeBackend('+OK [XCLIENT] Dovecot ready.', okToAll);
  try {
    const result = await pop3BackendLogin(params({ port: backend.port }));
    assert.deepEqual(backend.received, ['XCLIENT ADDR=192.0.2.7 PORT=4711 SESSION=SeSsIoN TTL=4', 'USER alice', 'PASS pw 1']);
    assert.equal(result.loginReply, '+OK Logged in.');
    // Bytes may arrive after the reply line in the same or a later segment.
    const later: Buffer[] = [result.pending];
    if (result.pending.length < 'extra bytes'.length) {
      result.socket.on('data', (c: Buffer) => later.push(c));
      result.socket.resume();
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(Buffer.concat(later).toString(), 'extra bytes');
    result.socket.destroy();
  } finally {
    backend.server.close();
  }
});

test('no XCLIENT without [XCLIENT] in the banner or with proxy_not_trusted', async () => {
  const plainBanner = await fakeBackend('+OK Dovecot ready.', okToAll);
  const tagged = await fakeBackend('+OK [XCLIENT] Dovecot ready.', okToAll);
  try {
    (await pop3BackendLogin(params({ port: plainBanner.port }))).socket.destroy();
    assert.deepEqual(plainBanner.received, ['USER alice', 'PASS pw 1']);
    (await pop3BackendLogin(params({ port: tagged.port, notTrusted: true }))).socket.destroy();
    assert.deepEqual(tagged.received, ['USER alice', 'PASS pw 1']);
  } finally {
    plainBanner.server.close();
    tagged.server.close();
  }
});

test('each command waits for the previous reply, as Dovecot\'s pop3 proxy does (pipelining stalled on delayed ACKs)', async () => {
  let userAnswered = false;
  let passBeforeUserReply = false;
  const backend = await fakeBackend('+OK ready', (line, socket) => {
    if (line.startsWith('USER')) {
      setTimeout(() => {
        userAnswered = true;
        socket.write('+OK\r\n');
      }, 50);
    } else {
      if (!userAnswered) passBeforeUserReply = true;
      socket.write('+OK Logged in.\r\n');
    }
  });
  try {
    (await pop3BackendLogin(params({ port: backend.port }))).socket.destroy();
    assert.equal(passBeforeUserReply, false);
  } finally {
    backend.server.close();
  }
});

test('-ERR on the password is backend_auth_failed; a temporary -ERR or a bad banner is backend_unavailable', async () => {
  const wrong = await fakeBackend('+OK ready', (line, socket) =>
    socket.write(line.startsWith('PASS') ? '-ERR [AUTH] Authentication failed.\r\n' : '+OK\r\n'),
  );
  const temp = await fakeBackend('+OK ready', (line, socket) =>
    socket.write(line.startsWith('PASS') ? '-ERR [SYS/TEMP] Try later\r\n' : '+OK\r\n'),
  );
  const bad = await fakeBackend('* OK IMAP, not POP3', () => undefined);
  try {
    const failure = await expectFailure(pop3BackendLogin(params({ port: wrong.port })), 'backend_auth_failed');
    assert.ok(!failure.message.includes('pw 1'), 'the password is not in the failure detail');
    await expectFailure(pop3BackendLogin(params({ port: temp.port })), 'backend_unavailable');
    await expectFailure(pop3BackendLogin(params({ port: bad.port })), 'backend_unavailable');
  } finally {
    wrong.server.close();
    temp.server.close();
    bad.server.close();
  }
});

test('a silent backend fails as backend_unavailable within the budget', async () => {
  const silent = await fakeBackend(undefined, () => undefined);
  try {
    const start = Date.now();
    const failure = await expectFailure(pop3BackendLogin(params({ port: silent.port, timeoutMs: 300 })), 'backend_unavailable');
    const elapsed = Date.now() - start;
    assert.ok(elapsed >= 250 && elapsed < 2_000, `took ${elapsed} ms`);
    assert.match(failure.message, /banner/);
  } finally {
    silent.server.close();
  }
});

test('a refused connection is retried, then fails as backend_unavailable', async () => {
  const probe = await fakeBackend(undefined, () => undefined);
  const port = probe.port;
  await new Promise<void>((resolve) => probe.server.close(() => resolve()));
  const start = Date.now();
  await expectFailure(pop3BackendLogin(params({ port, timeoutMs: 2_000 })), 'backend_unavailable');
  assert.ok(Date.now() - start >= 250, 'retried with a pause');
});

test('CR, LF or NUL in the credentials never reach the backend', async () => {
  const backend = await fakeBackend('+OK ready', okToAll);
  try {
    await expectFailure(pop3BackendLogin(params({ port: backend.port, user: 'a\rDELE 1' })), 'backend_auth_failed');
    await expectFailure(pop3BackendLogin(params({ port: backend.port, password: new Secret('x\r\nDELE 1') })), 'backend_auth_failed');
    assert.deepEqual(backend.received, []);
  } finally {
    backend.server.close();
  }
});
