import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imapBackendLogin } from '../../../src/protocols/imap/backend-login.js';
import { LoginFailure } from '../../../src/core/failure.js';
import { BackendConnectError, upgradeClientSocket } from '../../../src/net/backend-connect.js';
import { readInto, stopReading } from '../../../src/net/socket-reads.js';
import { Secret } from '../../../src/core/secret.js';
import type { BackendLoginParams, BackendLoginSuccess } from '../../../src/session/backend-login.js';
import { createCa } from '../../harness/certs.js';
import type { CaFiles } from '../../harness/certs.js';
import { startDovecot } from '../../harness/dovecot.js';
import type { DovecotHandle } from '../../harness/dovecot.js';
import { freePort } from '../../harness/ports.js';

const HOST = '127.0.0.11';
const USER = { name: 'alice', password: 'pa ss"w\\ord' };
const MASTER = { name: 'proxymaster', password: 'masterpw' };

let dir: string;
let ca: CaFiles;
let otherCa: CaFiles;
let dovecot: DovecotHandle;
let caPem: Buffer;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-imap-bl-'));
  ca = await createCa(join(dir, 'ca'), 'backend-ca');
  otherCa = await createCa(join(dir, 'other'), 'other-ca');
  caPem = await readFile(ca.cert);
  dovecot = await startDovecot({
    dir: join(dir, 'dovecot'),
    id: 'bl1',
    host: HOST,
    users: [USER, { name: 'bob', password: 'bobpw' }],
    trustedNetworks: ['127.0.0.0/8'],
    masterUser: MASTER,
    ca,
  });
});

after(async () => {
  await dovecot?.stop();
  await rm(dir, { recursive: true, force: true });
});

function params(overrides: Partial<BackendLoginParams> = {}): BackendLoginParams {
  return {
    host: HOST,
    port: dovecot.imap,
    sourceIp: undefined,
    ssl: 'no',
    starttls: 'no',
    tls: { ca: caPem, clientCert: undefined, clientKey: undefined },
    user: USER.name,
    password: new Secret(USER.password),
    master: undefined,
    proxyMech: undefined,
    timeoutMs: 5000,
    nopipelining: false,
    notTrusted: false,
    ttl: 4,
    sessionId: 'sess-' + Math.random().toString(36).slice(2),
    client: { remoteIp: '192.0.2.7', remotePort: 40001, localIp: '127.0.0.1', localPort: 143 },
    forward: {},
    clientId: undefined,
    ...overrides,
  };
}

/** Check the session really is logged in, then close it. */
async function assertLoggedIn(result: BackendLoginSuccess): Promise<void> {
  assert.ok(result.capabilities.some((c) => c.toUpperCase() === 'IMAP4REV1'), `caps: ${result.capabilities.join(' ')}`);
  assert.ok(!result.capabilities.includes('AUTH=PLAIN'), 'post-login capabilities expected');
  assert.equal(result.socket.listenerCount('data'), 0);
  assert.equal(result.socket.listenerCount('readable'), 0);
  const reply = await exchange(result.socket, 'x SELECT INBOX\r\n', /^x /m, result.pending);
  assert.match(reply, /^x OK/m);
  result.socket.destroy();
}

function exchange(socket: Socket, command: string, until: RegExp, already: Buffer = Buffer.alloc(0)): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = already.toString('latin1');
    const timer = setTimeout(() => reject(new Error(`no reply, got: ${text}`)), 3000);
    // As the relay reads it: a plain backend socket reads into shared buffers, not 'data' events.
    readInto(socket, {
      bytesRead(_socket: Socket, chunk: Buffer): boolean {
        text += chunk.toString('latin1');
        if (until.test(text)) {
          clearTimeout(timer);
          stopReading(socket);
          resolve(text);
        }
        return false;
      },
    });
    socket.on('error', reject);
    socket.write(command);
  });
}

async function logText(): Promise<string> {
  return readFile(dovecot.logFile, 'utf8');
}

async function rejectsWith(promise: Promise<unknown>, kind: LoginFailure['kind']): Promise<LoginFailure> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof LoginFailure, `expected LoginFailure, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    assert.ok(!err.message.includes(USER.password), 'password must not appear in failure');
    return err;
  }
  assert.fail('login should have failed');
}

test('LOGIN with quoted special characters succeeds and forwards ID fields', async () => {
  const p = params({ forward: { tenant: 'acme' }, clientId: [['name', 'Thunderbird'], ['x-originating-ip', '6.6.6.6']] });
  await assertLoggedIn(await imapBackendLogin(p));
  const log = await logText();
  const line = log.split('\n').find((l) => l.includes(`session=<${p.sessionId}>`) || (l.includes('Login: user=<alice>') && l.includes('rip=192.0.2.7')));
  assert.ok(line !== undefined, `login line with rip=192.0.2.7 expected:\n${log.slice(-2000)}`);
  assert.match(line, /rip=192\.0\.2\.7/);
  assert.ok(!log.includes('6.6.6.6'), 'client x-* ID keys must not be forwarded');
});

test('wrong password → backend_auth_failed', async () => {
  await rejectsWith(imapBackendLogin(params({ password: new Secret('wrong') })), 'backend_auth_failed');
});

test('master user login logs in as the real user', async () => {
  const p = params({ user: 'bob', master: MASTER.name, password: new Secret(MASTER.password), client: { remoteIp: '192.0.2.99', remotePort: 1, localIp: '127.0.0.1', localPort: 143 } });
  await assertLoggedIn(await imapBackendLogin(p));
  const log = await logText();
  assert.match(log, /Login: user=<bob>[^\n]*rip=192\.0\.2\.99/);
});

test('starttls=yes verified against the CA', async () => {
  await assertLoggedIn(await imapBackendLogin(params({ starttls: 'yes' })));
});

test('ssl=yes verified against the CA', async () => {
  await assertLoggedIn(await imapBackendLogin(params({ ssl: 'yes', port: dovecot.imaps })));
});

test('ssl=yes with the wrong CA → backend_unavailable', async () => {
  const wrong = await readFile(otherCa.cert);
  await rejectsWith(imapBackendLogin(params({ ssl: 'yes', port: dovecot.imaps, tls: { ca: wrong, clientCert: undefined, clientKey: undefined } })), 'backend_unavailable');
});

test('a certificate for another host name → TLS refused (host name is verified)', async () => {
  // The backend certificate names 127.0.0.11 and localhost only.
  const sock = connect({ host: HOST, port: dovecot.imaps });
  await new Promise((r) => sock.once('connect', r));
  await assert.rejects(upgradeClientSocket(sock, { mode: 'yes', host: '127.0.0.12', ca: caPem }), (err: unknown) => {
    assert.ok(err instanceof BackendConnectError);
    assert.equal(err.code, 'tls');
    return true;
  });
});

test('ssl=any-cert passes with an unknown CA', async () => {
  const wrong = await readFile(otherCa.cert);
  await assertLoggedIn(await imapBackendLogin(params({ ssl: 'any-cert', port: dovecot.imaps, tls: { ca: wrong, clientCert: undefined, clientKey: undefined } })));
});

test('nopipelining works', async () => {
  await assertLoggedIn(await imapBackendLogin(params({ nopipelining: true })));
});

test('proxy_mech=plain uses AUTHENTICATE PLAIN', async () => {
  await assertLoggedIn(await imapBackendLogin(params({ proxyMech: 'plain', nopipelining: true })));
});

test('not trusted: no ID, backend logs the director address', async () => {
  const p = params({ notTrusted: true, user: 'bob', password: new Secret('bobpw'), client: { remoteIp: '192.0.2.55', remotePort: 1, localIp: '127.0.0.1', localPort: 143 } });
  await assertLoggedIn(await imapBackendLogin(p));
  assert.ok(!(await logText()).includes('192.0.2.55'));
});

test('backend down (nothing listening) → backend_unavailable fast', async () => {
  const port = await freePort(HOST);
  const started = Date.now();
  await rejectsWith(imapBackendLogin(params({ port, timeoutMs: 5000 })), 'backend_unavailable');
  assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
});

test('backend that never sends a banner → backend_unavailable after timeoutMs', async () => {
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const started = Date.now();
    const failure = await rejectsWith(imapBackendLogin(params({ host: '127.0.0.1', port, timeoutMs: 400 })), 'backend_unavailable');
    const took = Date.now() - started;
    assert.ok(took >= 380 && took < 1500, `took ${took} ms`);
    assert.match(failure.message, /state=banner/);
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
  }
});
