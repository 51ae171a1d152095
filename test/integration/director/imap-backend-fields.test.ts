// Backend-side passdb fields through a real director: master, nopassword, TLS to the backend,
// proxy_not_trusted, forward_*, source_ip, proxy_timeout, proxy_nopipelining.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCa } from '../../harness/certs.js';
import { startCluster, type Cluster } from '../../harness/cluster.js';
import { startDirector, type DirectorHandle } from '../../harness/director.js';
import { backendById, firstDirector, login, openImap, waitEvent } from './imap-support.js';

const MASTER = { name: 'proxymaster', password: 'master-pw-9' };
const FAKE_HOST = '127.0.0.21';

let dir: string;
let cluster: Cluster;
/** Same cluster, but the director trusts a CA that did not sign the backends' certificates. */
let wrongCa: DirectorHandle;
let fake: FakeBackend;

/** What a minimal IMAP backend saw from the director. */
interface FakeSession {
  readonly remoteAddress: string;
  readonly lines: string[];
  /** Lines that had arrived when the ID reply was sent. */
  linesAtIdReply: string[] | undefined;
}

interface FakeBackend {
  readonly server: Server;
  readonly port: number;
  readonly sessions: FakeSession[];
  /** Stop answering: accept and send nothing (proxy_timeout). */
  silent: boolean;
}

/** A tiny IMAP server that records the director's login conversation and lets it in. */
async function startFakeBackend(): Promise<FakeBackend> {
  const fb = { sessions: [] as FakeSession[], silent: false } as { server: Server; port: number; sessions: FakeSession[]; silent: boolean };
  const server = createServer((socket: Socket) => {
    socket.on('error', () => undefined);
    const session: FakeSession = { remoteAddress: socket.remoteAddress ?? '', lines: [], linesAtIdReply: undefined };
    fb.sessions.push(session);
    if (fb.silent) return;
    socket.write('* OK [CAPABILITY IMAP4rev1 ID LITERAL+ SASL-IR AUTH=PLAIN] fake ready\r\n');
    let buffer = '';
    // Commands wait while an ID reply is held back, as a real server answers in order.
    let held: string[] | undefined;
    const handle = (line: string): void => {
      if (held !== undefined) {
        held.push(line);
        return;
      }
      const tag = line.split(' ')[0] ?? '*';
      const cmd = (line.split(' ')[1] ?? '').toUpperCase();
      if (cmd === 'ID') {
        // Answer late: a pipelining director has sent its login by now, a non-pipelining one has not.
        held = [];
        setTimeout(() => {
          session.linesAtIdReply = [...session.lines];
          socket.write(`* ID NIL\r\n${tag} OK ID completed.\r\n`);
          const queued = held ?? [];
          held = undefined;
          for (const l of queued) handle(l);
        }, 300);
      } else if (cmd === 'AUTHENTICATE' || cmd === 'LOGIN') {
        socket.write(`${tag} OK [CAPABILITY IMAP4rev1 IDLE] Logged in\r\n`);
      } else if (cmd === 'LOGOUT') {
        socket.end(`* BYE Logging out\r\n${tag} OK Logout completed.\r\n`);
      } else if (cmd.length > 0) {
        socket.write(`${tag} OK done\r\n`);
      }
    };
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let i;
      while ((i = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, i).replace(/\r$/, '');
        buffer = buffer.slice(i + 1);
        session.lines.push(line);
        handle(line);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, FAKE_HOST, resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake backend has no port');
  fb.server = server;
  fb.port = address.port;
  return fb;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-imap-fields-'));
  cluster = await startCluster({ dir, backends: 2, directors: 1, users: 10, masterUser: MASTER, directorOverrides: { limits: { auth_failure_delay: '200ms' } } });
  const otherCa = await createCa(join(dir, 'other-ca'), 'not-the-backend-ca');
  wrongCa = await startDirector({
    dir: join(dir, 'd-wrongca'),
    id: 'd8',
    ca: cluster.ca,
    backendCa: otherCa.cert,
    ldap: cluster.slapd,
    backends: cluster.backends,
    listen: ['imap'],
  });
  fake = await startFakeBackend();
  await fillPool();
});

after(async () => {
  await wrongCa?.stop();
  await cluster?.stop();
  await new Promise((resolve) => fake?.server.close(resolve));
  if (process.env['KEEP_TEST_DIR'] === undefined) await rm(dir, { recursive: true, force: true });
});

const POOL_SIZE = 24;
let pool: Array<{ name: string; password: string }> = [];
let counter = 0;

/**
 * Users made in before(): Dovecot re-reads its passwd-file at most once a
 * second, so users appended during a test may not be known yet.
 */
async function fillPool(): Promise<void> {
  pool = Array.from({ length: POOL_SIZE }, (_, i) => ({ name: `fld${String(i + 1).padStart(3, '0')}`, password: `pw-fld-${i + 1}-${Math.random().toString(36).slice(2)}` }));
  for (const u of pool) {
    await cluster.slapd.addUser({ uid: u.name, password: u.password });
    await backendById(cluster, 'b1').addUser(u);
  }
  await sleep(1100);
}

/**
 * A pool user (never logged in, so nothing cached) given routing attrs. With
 * `ldapPassword`, LDAP holds that password while b1 keeps `backendPassword`.
 */
async function newUser(attrs: Record<string, string | string[]>, opts: { ldapPassword?: string } = {}): Promise<{ name: string; password: string; backendPassword: string }> {
  const u = pool[counter++];
  if (u === undefined) throw new Error('user pool exhausted; raise POOL_SIZE');
  await cluster.slapd.modifyUser(u.name, { ...attrs, ...(opts.ldapPassword === undefined ? {} : { userPassword: opts.ldapPassword }) });
  return { name: u.name, password: opts.ldapPassword ?? u.password, backendPassword: u.password };
}

async function reply(user: string, password: string, director: DirectorHandle = firstDirector(cluster)): Promise<string> {
  const { client } = await openImap(director);
  try {
    return await login(client, user, password);
  } finally {
    client.close();
  }
}

/** The backend's raw "Login:" log line for `user` (Dovecot prints TLS/secured and the session id there). */
async function loginLine(backendId: string, user: string): Promise<string> {
  const b = backendById(cluster, backendId);
  await waitEvent(b, (e) => e.event === 'login' && e.user === user);
  const text = await readFile(b.logFile, 'utf8');
  const line = text.split('\n').find((l) => l.includes(`Login: user=<${user}>`));
  assert.ok(line !== undefined);
  return line;
}

function b1(): { host: string; imap: number; imaps: number } {
  return backendById(cluster, 'b1');
}

test('master user: the backend logs the real user, authenticated by the master password', async () => {
  // The backend's own password for this user differs: only the master login can succeed there.
  const u = await newUser(
    { mailHost: b1().host, mailProxy: 'proxy', mailExtraField: [`master=${MASTER.name}`, `pass=${MASTER.password}`] },
    { ldapPassword: 'ldap-pw-not-on-backend' },
  );
  assert.match(await reply(u.name, u.password), /^a1 OK /);
  const line = await loginLine('b1', u.name);
  assert.doesNotMatch(line, new RegExp(`user=<${MASTER.name}>`));
});

test('without master, a password the backend does not know fails there', async () => {
  const u = await newUser({ mailHost: b1().host, mailProxy: 'proxy' }, { ldapPassword: 'ldap-pw-not-on-backend' });
  assert.equal(await reply(u.name, u.password), 'a1 NO [AUTHENTICATIONFAILED] Authentication failed.');
});

test('nopassword: the director does not check the password, the backend does', async () => {
  const u = await newUser(
    { mailHost: b1().host, mailProxy: 'proxy', mailExtraField: 'nopassword=y' },
    { ldapPassword: 'ldap-only-pw' },
  );
  // The backend's password works although LDAP holds another one.
  assert.match(await reply(u.name, u.backendPassword), /^a1 OK /);
  // A wrong one is refused by the backend.
  assert.equal(await reply(u.name, 'wrong-pw'), 'a1 NO [AUTHENTICATIONFAILED] Authentication failed.');
  // The LDAP password is not a backdoor either.
  assert.equal(await reply(u.name, 'ldap-only-pw'), 'a1 NO [AUTHENTICATIONFAILED] Authentication failed.');
});

test('ssl=yes: implicit TLS to the backend, verified against backend_tls.ca', async () => {
  const u = await newUser({ mailHost: b1().host, mailPort: String(b1().imaps), mailProxy: 'proxy', mailExtraField: 'ssl=yes' });
  assert.match(await reply(u.name, u.password), /^a1 OK /);
  assert.match(await loginLine('b1', u.name), /, TLS/);
});

test('starttls=yes: STARTTLS on the backend plain port, verified', async () => {
  const u = await newUser({ mailHost: b1().host, mailPort: String(b1().imap), mailProxy: 'proxy', mailExtraField: 'starttls=yes' });
  assert.match(await reply(u.name, u.password), /^a1 OK /);
  assert.match(await loginLine('b1', u.name), /, TLS/);
});

test('plain backend login is not TLS (the TLS checks above can fail)', async () => {
  const u = await newUser({ mailHost: b1().host, mailPort: String(b1().imap), mailProxy: 'proxy' });
  assert.match(await reply(u.name, u.password), /^a1 OK /);
  assert.doesNotMatch(await loginLine('b1', u.name), /, TLS/);
});

test('a backend certificate that does not verify: temporary failure; any-cert still connects', async () => {
  const ssl = await newUser({ mailHost: b1().host, mailPort: String(b1().imaps), mailProxy: 'proxy', mailExtraField: 'ssl=yes' });
  assert.equal(await reply(ssl.name, ssl.password, wrongCa), 'a1 NO [UNAVAILABLE] Account is temporarily unavailable.');
  const st = await newUser({ mailHost: b1().host, mailPort: String(b1().imap), mailProxy: 'proxy', mailExtraField: 'starttls=yes' });
  assert.equal(await reply(st.name, st.password, wrongCa), 'a1 NO [UNAVAILABLE] Account is temporarily unavailable.');

  const any = await newUser({ mailHost: b1().host, mailPort: String(b1().imaps), mailProxy: 'proxy', mailExtraField: 'ssl=any-cert' });
  assert.match(await reply(any.name, any.password, wrongCa), /^a1 OK /);
  assert.match(await loginLine('b1', any.name), /, TLS/);
});

function fakeUserAttrs(extra: string[]): Record<string, string | string[]> {
  return { mailHost: FAKE_HOST, mailPort: String(fake.port), mailProxy: 'proxy', ...(extra.length > 0 ? { mailExtraField: extra } : {}) };
}

async function fakeLogin(extra: string[]): Promise<FakeSession> {
  const u = await newUser(fakeUserAttrs(extra));
  const before = fake.sessions.length;
  assert.match(await reply(u.name, u.password), /^a1 OK /);
  const session = fake.sessions[before];
  assert.ok(session !== undefined, 'the fake backend saw a connection');
  return session;
}

function idLine(session: FakeSession): string | undefined {
  return session.lines.find((l) => /^\S+ ID /i.test(l));
}

test('trusted by default: ID carries the session id and the client address; forward_* become x-forward-*', async () => {
  const s = await fakeLogin(['forward_tenant=blue', 'forward_plan=gold']);
  const id = idLine(s);
  assert.ok(id !== undefined, `lines: ${JSON.stringify(s.lines)}`);
  assert.match(id, /"x-session-id" "[^"]+"/);
  assert.match(id, /"x-originating-ip" "127\.0\.0\.1"/);
  assert.match(id, /"x-forward-tenant" "blue"/);
  assert.match(id, /"x-forward-plan" "gold"/);
});

test('proxy_not_trusted: no ID with x-* fields is sent', async () => {
  const s = await fakeLogin(['proxy_not_trusted=y', 'forward_tenant=blue']);
  assert.equal(idLine(s), undefined, `lines: ${JSON.stringify(s.lines)}`);
  assert.ok(!s.lines.some((l) => l.includes('x-originating-ip') || l.includes('x-forward')));
  assert.ok(s.lines.some((l) => /^\S+ (AUTHENTICATE|LOGIN) /i.test(l)));
});

test('source_ip: the director connects to the backend from that address', async () => {
  const s = await fakeLogin(['source_ip=127.0.0.5']);
  assert.equal(s.remoteAddress, '127.0.0.5');
  const plain = await fakeLogin([]);
  assert.notEqual(plain.remoteAddress, '127.0.0.5');
});

test('proxy_nopipelining: the login waits for the ID reply; by default it does not', async () => {
  const piped = await fakeLogin([]);
  assert.ok(piped.linesAtIdReply?.some((l) => /^\S+ AUTHENTICATE /i.test(l)), `pipelined: ${JSON.stringify(piped.linesAtIdReply)}`);
  const serial = await fakeLogin(['proxy_nopipelining=y']);
  assert.ok(serial.linesAtIdReply !== undefined);
  assert.ok(!serial.linesAtIdReply.some((l) => /^\S+ (AUTHENTICATE|LOGIN) /i.test(l)), `not pipelined: ${JSON.stringify(serial.linesAtIdReply)}`);
  assert.ok(serial.lines.some((l) => /^\S+ (AUTHENTICATE|LOGIN) /i.test(l)));
});

test('proxy_timeout: a backend that never greets is a temporary failure after that long', async () => {
  const u = await newUser(fakeUserAttrs(['proxy_timeout=1']));
  fake.silent = true;
  try {
    const started = Date.now();
    assert.equal(await reply(u.name, u.password), 'a1 NO [UNAVAILABLE] Account is temporarily unavailable.');
    const took = Date.now() - started;
    assert.ok(took >= 900 && took < 4000, `took ${took} ms`);
  } finally {
    fake.silent = false;
  }
});
