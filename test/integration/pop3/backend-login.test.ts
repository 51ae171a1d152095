import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa } from '../../harness/certs.js';
import { startDovecot } from '../../harness/dovecot.js';
import type { DovecotHandle } from '../../harness/dovecot.js';
import { Secret } from '../../../src/core/secret.js';
import { LoginFailure } from '../../../src/core/failure.js';
import type { BackendLoginParams, BackendLoginSuccess } from '../../../src/session/backend-login.js';
import { pop3BackendLogin } from '../../../src/protocols/pop3/backend-login.js';
import { createPop3Driver } from '../../../src/protocols/pop3/driver.js';
import { Relay } from '../../../src/relay/relay.js';
import { readInto, stopReading } from '../../../src/net/socket-reads.js';
import { pino } from 'pino';
import { connect } from 'node:net';
import type { FrontendContext } from '../../../src/session/frontend.js';

// 127.0.0.12 is the backend, 127.0.0.13 our source address: out of other tests' way.
const BACKEND_HOST = '127.0.0.12';
const SOURCE_IP = '127.0.0.13';
const USERS = [
  { name: 'alice', password: 'alice-pw' },
  { name: 'bob', password: 'bob-pw' },
];
const MASTER = { name: 'proxymaster', password: 'master-pw' };

let dir: string;
let dovecot: DovecotHandle;
let ca: Buffer;
let otherCa: Buffer;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pop3-backend-'));
  const caFiles = await createCa(join(dir, 'ca'), 'backend-ca');
  const other = await createCa(join(dir, 'other'), 'other-ca');
  ca = await readFile(caFiles.cert);
  otherCa = await readFile(other.cert);
  dovecot = await startDovecot({
    dir: join(dir, 'dovecot'),
    id: 'pop3int',
    host: BACKEND_HOST,
    users: USERS,
    // Only our source address may send XCLIENT.
    trustedNetworks: [`${SOURCE_IP}/32`],
    masterUser: MASTER,
    ca: caFiles,
  });
});

after(async () => {
  await dovecot?.stop();
  await rm(dir, { recursive: true, force: true });
});

let sessionCounter = 0;

function params(overrides: Partial<BackendLoginParams> = {}): BackendLoginParams {
  sessionCounter += 1;
  return {
    host: BACKEND_HOST,
    port: dovecot.pop3,
    sourceIp: SOURCE_IP,
    ssl: 'no',
    starttls: 'no',
    tls: { ca, clientCert: undefined, clientKey: undefined },
    user: 'alice',
    password: new Secret('alice-pw'),
    master: undefined,
    proxyMech: undefined,
    timeoutMs: 5_000,
    nopipelining: false,
    notTrusted: false,
    ttl: 5,
    sessionId: `md-pop3-test-${sessionCounter}`,
    client: { remoteIp: '192.0.2.7', remotePort: 40123, localIp: '127.0.0.1', localPort: 110 },
    forward: {},
    clientId: undefined,
    ...overrides,
  };
}

/** Talk to the backend through the logged-in socket, as the relay would. */
async function command(result: BackendLoginSuccess, line: string, multiline: boolean): Promise<string> {
  const socket = result.socket;
  let text = result.pending.toString('latin1');
  const done = (): boolean => (multiline ? text.includes('\r\n.\r\n') || text.startsWith('-ERR') : text.includes('\r\n'));
  const reply = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new assert.AssertionError({ message: `no reply to ${line}: ${JSON.stringify(text)}` })), 5_000);
    // As the relay reads it: a plain backend socket reads into shared buffers, not 'data' events.
    readInto(socket, {
      bytesRead(_socket: Socket, chunk: Buffer): boolean {
        text += chunk.toString('latin1');
        if (done()) {
          clearTimeout(timer);
          stopReading(socket);
          resolve(text);
        }
        return false;
      },
    });
  });
  socket.write(line + '\r\n');
  return reply;
}

async function expectFailure(promise: Promise<BackendLoginSuccess>, kind: LoginFailure['kind']): Promise<LoginFailure> {
  try {
    const result = await promise;
    result.socket.destroy();
  } catch (err) {
    assert.ok(err instanceof LoginFailure, `expected LoginFailure, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    return err;
  }
  assert.fail('login unexpectedly succeeded');
}

async function logLines(match: string): Promise<string[]> {
  const log = await readFile(dovecot.logFile, 'utf8');
  return log.split('\n').filter((l) => l.includes(match));
}

async function waitForLog(match: string): Promise<string> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const lines = await logLines(match);
    if (lines[0] !== undefined) return lines[0];
    if (Date.now() > deadline) assert.fail(`no Dovecot log line with ${match}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('USER/PASS logs in, XCLIENT (with forward fields) tells the backend the client address and session', async () => {
  const p = params({ forward: { 'x-tenant': 'acme', note: 'a\tb' } });
  const result = await pop3BackendLogin(p);
  assert.equal(result.loginReply, '+OK Logged in.');
  assert.match(await command(result, 'STAT', false), /^\+OK \d+ \d+\r\n/);
  result.socket.destroy();
  const login = await waitForLog(`session=<${p.sessionId}>`);
  assert.match(login, /Login: user=<alice>/);
  assert.match(login, /rip=192\.0\.2\.7,/);
});

test('proxy_not_trusted skips XCLIENT: the backend sees our own address', async () => {
  const p = params({ notTrusted: true, user: 'bob', password: new Secret('bob-pw') });
  const result = await pop3BackendLogin(p);
  result.socket.destroy();
  const deadline = Date.now() + 5_000;
  let lines: string[] = [];
  while (lines.length === 0 && Date.now() < deadline) {
    lines = (await logLines('Login: user=<bob>')).filter((l) => l.includes(`rip=${SOURCE_IP},`));
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(lines.length, 1, 'one login of bob from the director address');
  assert.ok(!lines[0]?.includes(p.sessionId), 'our session id was not forwarded');
});

test('proxy_mech=plain logs in with AUTH PLAIN, nopipelining too', async () => {
  const result = await pop3BackendLogin(params({ proxyMech: 'plain' }));
  assert.match(await command(result, 'NOOP', false), /^\+OK/);
  result.socket.destroy();
  const slow = await pop3BackendLogin(params({ nopipelining: true }));
  slow.socket.destroy();
});

test('a wrong password is backend_auth_failed', async () => {
  await expectFailure(pop3BackendLogin(params({ password: new Secret('wrong') })), 'backend_auth_failed');
  await expectFailure(pop3BackendLogin(params({ proxyMech: 'plain', password: new Secret('wrong') })), 'backend_auth_failed');
});

test('a master user logs in as the user with AUTH PLAIN', async () => {
  const p = params({ user: 'bob', master: MASTER.name, password: new Secret(MASTER.password) });
  const result = await pop3BackendLogin(p);
  result.socket.destroy();
  const login = await waitForLog(`session=<${p.sessionId}>`);
  assert.match(login, /Login: user=<bob>/);
  await expectFailure(pop3BackendLogin(params({ user: 'bob', master: MASTER.name, password: new Secret('nope') })), 'backend_auth_failed');
});

test('starttls=yes and ssl=yes verify the backend against the CA', async () => {
  const stls = await pop3BackendLogin(params({ starttls: 'yes' }));
  assert.equal('encrypted' in stls.socket && stls.socket.encrypted, true);
  assert.match(await command(stls, 'STAT', false), /^\+OK/);
  stls.socket.destroy();
  const implicit = await pop3BackendLogin(params({ port: dovecot.pop3s, ssl: 'yes' }));
  assert.equal('encrypted' in implicit.socket && implicit.socket.encrypted, true);
  assert.match(await command(implicit, 'STAT', false), /^\+OK/);
  implicit.socket.destroy();
});

test('an unverifiable certificate is backend_unavailable unless any-cert', async () => {
  const untrusted = { ca: otherCa, clientCert: undefined, clientKey: undefined };
  await expectFailure(pop3BackendLogin(params({ starttls: 'yes', tls: untrusted })), 'backend_unavailable');
  await expectFailure(pop3BackendLogin(params({ port: dovecot.pop3s, ssl: 'yes', tls: untrusted })), 'backend_unavailable');
  const anyCert = await pop3BackendLogin(params({ port: dovecot.pop3s, ssl: 'any-cert', tls: untrusted }));
  anyCert.socket.destroy();
});

test('a backend that is down or too slow is backend_unavailable within the budget', async () => {
  const silent: Server = createServer((s: Socket) => s.on('error', () => undefined));
  await new Promise<void>((resolve) => silent.listen(0, BACKEND_HOST, resolve));
  const address = silent.address();
  assert.ok(address !== null && typeof address !== 'string');
  try {
    const start = Date.now();
    await expectFailure(pop3BackendLogin(params({ port: address.port, timeoutMs: 500 })), 'backend_unavailable');
    const elapsed = Date.now() - start;
    assert.ok(elapsed < 2_500, `gave up after ${elapsed} ms`);
  } finally {
    silent.close();
  }
  const downPort = address.port;
  const start = Date.now();
  await expectFailure(pop3BackendLogin(params({ port: downPort, timeoutMs: 1_000 })), 'backend_unavailable');
  assert.ok(Date.now() - start < 2_500);
});

test('after login the returned socket serves RETR of a delivered message', async () => {
  await dovecot.deliver('alice', 'From: test@example.org\r\nSubject: pop3 relay check\r\n\r\nbody line one\r\n');
  const result = await pop3BackendLogin(params());
  const list = await command(result, 'LIST', true);
  assert.match(list, /^\+OK/);
  const count = list.split('\r\n').filter((l) => /^\d+ \d+$/.test(l)).length;
  assert.ok(count >= 1, list);
  const retr = await command({ ...result, pending: Buffer.alloc(0) }, `RETR ${count}`, true);
  assert.match(retr, /^\+OK/);
  assert.match(retr, /Subject: pop3 relay check/);
  assert.match(retr, /body line one/);
  result.socket.destroy();
});

test('through the driver: pipelined USER, PASS, STAT, QUIT reach the backend after login', async () => {
  const closed: string[] = [];
  const context: FrontendContext = {
    protocol: 'pop3',
    sessionId: 'md-pop3-driver-1',
    client: { remoteIp: '192.0.2.8', remotePort: 40124, localIp: '127.0.0.1', localPort: 110 },
    implicitTls: false,
    secureContext: undefined,
    plaintextAllowed: () => true,
    tlsEstablished: () => undefined,
    limits: {
      maxLineLength: 8192, maxLiteralSize: 0, maxInvalidCommands: 10, preloginTimeoutMs: 10_000, maxAuthAttempts: 3,
      authFailureDelayMs: 0, idleTimeoutMs: 10_000, proxyTimeoutMs: 5_000, maxLoginDelayMs: 0, maxDisconnectDelayMs: 0, moveWaitMs: 30_000, maxPreloginConnections: 10_000, maxPreloginPerIp: 100,
    },
    imapIdRetain: false,
    oauth2: false,
    log: pino({ level: 'silent' }),
    backendPreloginCapabilities: () => undefined,
    async login(request, backendLogin) {
      // Stands in for the session core: no passdb, straight to the backend.
      try {
        const backend = await backendLogin(params({ user: request.user, password: request.password, sessionId: this.sessionId, client: this.client }));
        return { ok: true, user: request.user, destination: { host: BACKEND_HOST, port: dovecot.pop3, backend: undefined }, backend };
      } catch (err) {
        if (err instanceof LoginFailure) return { ok: false, failure: err };
        throw err;
      }
    },
    async relay(client, outcome, clientPending) {
      const relay = new Relay(client, outcome.backend.socket, { clientPending, backendPending: outcome.backend.pending, idleTimeoutMs: 10_000 });
      await relay.done;
    },
    closed(reason) {
      closed.push(reason);
    },
  };
  const listener = createServer((socket) => createPop3Driver({ greeting: 'Director' }).handle(socket, context));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const address = listener.address();
  assert.ok(address !== null && typeof address !== 'string');
  try {
    const client = connect({ host: '127.0.0.1', port: address.port });
    let text = '';
    client.on('data', (c: Buffer) => (text += c.toString('latin1')));
    await new Promise<void>((resolve) => client.once('connect', resolve));
    // First a wrong password, then everything at once.
    client.write('USER alice\r\nPASS wrong\r\nUSER alice\r\nPASS alice-pw\r\nSTAT\r\nQUIT\r\n');
    await new Promise<void>((resolve) => client.once('close', resolve));
    const lines = text.split('\r\n');
    assert.deepEqual(lines.slice(0, 5), ['+OK Director ready.', '+OK', '-ERR [AUTH] Authentication failed.', '+OK', '+OK Logged in.']);
    assert.match(lines[5] ?? '', /^\+OK \d+ \d+$/);
    assert.match(lines[6] ?? '', /^\+OK Logging out/);
    assert.deepEqual(closed, []);
  } finally {
    listener.close();
  }
});
