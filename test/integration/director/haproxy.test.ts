import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCluster, type Cluster, type ClusterUser } from '../../harness/cluster.js';
import { REPO_ROOT, type DirectorHandle } from '../../harness/director.js';
import type { DovecotHandle } from '../../harness/dovecot.js';
import { issueCert } from '../../harness/certs.js';
import { run } from '../../harness/exec.js';
import { haproxyPem, startHaproxy, type HaproxyHandle } from '../../harness/haproxy.js';
import { LineClient } from '../support/line-client.js';
import { quoted } from './imap-support.js';

// HAProxy 2.6 in TCP mode in front of two directors whose imap, imaps and
// pop3 ports are marked haproxy. Clients connect to HAProxy from 127.0.0.77
// (in trusted_networks) and 127.0.0.78/.79 (not); HAProxy connects to the
// directors from 127.0.0.3, the only haproxy_trusted_networks address. The
// client's own address must be what the directors log, trust, count and
// list, and what the backend Dovecot logs (passed on by ID and XCLIENT).

const LB_BIND = '127.0.0.2';
const LB_SOURCE = '127.0.0.3';
const CLIENT = '127.0.0.77';
const UNTRUSTED = '127.0.0.78';
const OTHER = '127.0.0.79';

let dir: string;
let cluster: Cluster;
let haproxy: HaproxyHandle;
let backend: DovecotHandle;
let d1: DirectorHandle;
let d2: DirectorHandle;
let users: ClusterUser[];

function addr(d: DirectorHandle, key: 'imap' | 'imaps' | 'pop3'): string {
  const a = d.address(key);
  assert.ok(a !== null);
  return a;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'haproxy-'));
  cluster = await startCluster({
    dir,
    backends: 1,
    directors: 2,
    users: 14,
    directorHaproxy: ['imap', 'imaps', 'pop3'],
    directorOverrides: {
      director: { haproxy_trusted_networks: [`${LB_SOURCE}/32`], trusted_networks: ['127.0.0.1/32', `${CLIENT}/32`] },
      limits: { max_prelogin_per_ip: 1 },
    },
  });
  [d1, d2] = cluster.directors as [DirectorHandle, DirectorHandle];
  backend = cluster.backends[0] as DovecotHandle;
  users = cluster.usersOfKind('ring');
  const cert = await issueCert(cluster.ca, join(dir, 'haproxy-tls'), 'haproxy', { ips: [LB_BIND], dns: ['localhost'] });
  const pem = await haproxyPem(cert.cert, cert.key, join(dir, 'haproxy-tls', 'haproxy.pem'));
  haproxy = await startHaproxy({
    dir: join(dir, 'haproxy'),
    bindHost: LB_BIND,
    sourceHost: LB_SOURCE,
    frontends: [
      { name: 'imap', mode: 'v2', servers: [addr(d1, 'imap'), addr(d2, 'imap')] },
      { name: 'pop3', mode: 'v1', servers: [addr(d1, 'pop3'), addr(d2, 'pop3')] },
      { name: 'imaps', mode: 'v2', servers: [addr(d1, 'imaps'), addr(d2, 'imaps')] },
      // HAProxy terminates TLS and says so in PP2_TYPE_SSL; the director's plain imap port gets plaintext.
      { name: 'imapterm', mode: 'v2-ssl', servers: [addr(d1, 'imap'), addr(d2, 'imap')], tlsPem: pem },
      // One director only: the auth penalty is per director.
      { name: 'imapsd1', mode: 'v2', servers: [addr(d1, 'imaps')] },
    ],
  });
});

after(async () => {
  await haproxy?.stop();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

function user(i: number): ClusterUser {
  const u = users[i];
  assert.ok(u !== undefined);
  return u;
}

async function connect(frontend: string, from: string, tls = false): Promise<LineClient> {
  return LineClient.connect(haproxy.host, haproxy.port(frontend), { localAddress: from, tls });
}

async function imapCommand(client: LineClient, tag: string, text: string): Promise<string[]> {
  client.write(`${tag} ${text}\r\n`);
  return client.until(`${tag} `, 15_000);
}

/** Greeting, LOGIN, LOGOUT through HAProxy; the tagged LOGIN reply. */
async function imapLoginLogout(frontend: string, from: string, u: ClusterUser, tls = false): Promise<string> {
  const client = await connect(frontend, from, tls);
  try {
    assert.match(await client.line(), /^\* OK /);
    const reply = (await imapCommand(client, 'a', `LOGIN ${quoted(u.name)} ${quoted(u.password)}`)).at(-1) ?? '';
    if (reply.startsWith('a OK')) await imapCommand(client, 'b', 'LOGOUT');
    return reply;
  } finally {
    client.close();
  }
}

/** The backend's login lines (login_log_format_elements: user=<%u> ... rip=%r ...) for `user` and `service`. */
async function backendLogins(u: ClusterUser, service: string): Promise<string[]> {
  const log = await readFile(backend.logFile, 'utf8');
  return log.split('\n').filter((l) => l.includes(`${service}-login: Info: Login: user=<${u.name}>`));
}

async function waitBackendLogins(u: ClusterUser, service: string, count: number): Promise<string[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const lines = await backendLogins(u, service);
    if (lines.length >= count || Date.now() > deadline) return lines;
    await sleep(50);
  }
}

interface LogRecord {
  readonly msg?: string;
  readonly [key: string]: unknown;
}

async function directorRecords(d: DirectorHandle): Promise<LogRecord[]> {
  const text = await readFile(d.logFile, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogRecord);
}

async function waitRecord(d: DirectorHandle, pred: (r: LogRecord) => boolean): Promise<LogRecord | undefined> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const found = (await directorRecords(d)).find(pred);
    if (found !== undefined || Date.now() > deadline) return found;
    await sleep(50);
  }
}

test('IMAP through send-proxy-v2 to both directors: the backend logs the client\'s address, the directors log it with HAProxy\'s as real_rip', async () => {
  const u = user(0);
  assert.match(await imapLoginLogout('imap', CLIENT, u), /^a OK /);
  assert.match(await imapLoginLogout('imap', CLIENT, u), /^a OK /);
  const lines = await waitBackendLogins(u, 'imap', 2);
  assert.equal(lines.length, 2, lines.join('\n'));
  for (const line of lines) assert.match(line, new RegExp(`rip=${CLIENT.replaceAll('.', '\\.')},`), line);
  // Round robin: one login through each director, each logging the client and the balancer.
  for (const d of [d1, d2]) {
    const end = await waitRecord(d, (r) => r.msg === 'session end' && r['user'] === u.name);
    assert.ok(end !== undefined, `no session end for ${u.name} in ${d.id}'s log`);
    assert.equal(end['rip'], CLIENT);
    assert.equal(end['real_rip'], LB_SOURCE);
  }
});

test('POP3 through send-proxy (v1): the backend logs the client\'s address', async () => {
  const u = user(1);
  const client = await connect('pop3', CLIENT);
  try {
    assert.match(await client.line(), /^\+OK/);
    client.write(`USER ${u.name}\r\n`);
    assert.match(await client.line(), /^\+OK/);
    client.write(`PASS ${u.password}\r\n`);
    assert.match(await client.line(10_000), /^\+OK/);
    client.write('QUIT\r\n');
    assert.match(await client.line(), /^\+OK/);
  } finally {
    client.close();
  }
  const lines = await waitBackendLogins(u, 'pop3', 1);
  assert.equal(lines.length, 1);
  assert.match(lines[0] ?? '', new RegExp(`rip=${CLIENT.replaceAll('.', '\\.')},`));
});

test('implicit TLS through HAProxy: the v2 header comes before the handshake; the backend logs the client\'s address', async () => {
  const u = user(2);
  assert.match(await imapLoginLogout('imaps', CLIENT, u, true), /^a OK /);
  const lines = await waitBackendLogins(u, 'imap', 1);
  assert.equal(lines.length, 1);
  assert.match(lines[0] ?? '', new RegExp(`rip=${CLIENT.replaceAll('.', '\\.')},`));
});

test('TLS terminated by HAProxy (send-proxy-v2-ssl): the director counts the session as TLS, so an untrusted client may log in in plaintext behind it', async () => {
  const u = user(3);
  const client = await connect('imapterm', UNTRUSTED, true);
  try {
    assert.match(await client.line(), /^\* OK /);
    const caps = (await imapCommand(client, 'c', 'CAPABILITY')).join(' ');
    assert.doesNotMatch(caps, /LOGINDISABLED/);
    assert.doesNotMatch(caps, /STARTTLS/);
    assert.match((await imapCommand(client, 'a', `LOGIN ${quoted(u.name)} ${quoted(u.password)}`)).at(-1) ?? '', /^a OK /);
    await imapCommand(client, 'b', 'LOGOUT');
  } finally {
    client.close();
  }
  const lines = await waitBackendLogins(u, 'imap', 1);
  assert.match(lines[0] ?? '', new RegExp(`rip=${UNTRUSTED.replaceAll('.', '\\.')},`));
});

test('trusted_networks and max_prelogin_per_ip judge the client\'s address, not HAProxy\'s', async () => {
  // Plaintext login is offered to the trusted client only, though both come from HAProxy.
  for (const [from, disabled] of [[CLIENT, false], [UNTRUSTED, true]] as const) {
    const client = await connect('imap', from);
    try {
      await client.line();
      const caps = (await imapCommand(client, 'c', 'CAPABILITY')).join(' ');
      assert.equal(/LOGINDISABLED/.test(caps), disabled, `${from}: ${caps}`);
    } finally {
      client.close();
    }
  }
  await sleep(200);
  // One pre-login connection per address and director: the third from one address finds both directors holding one.
  const idle: LineClient[] = [];
  try {
    const greetings: string[] = [];
    for (let i = 0; i < 3; i++) {
      const client = await connect('imap', UNTRUSTED);
      idle.push(client);
      greetings.push(await client.line());
    }
    assert.equal(greetings.filter((g) => g === '* BYE Connection queue full').length, 1, greetings.join(' | '));
    const other = await connect('imap', OTHER);
    idle.push(other);
    assert.match(await other.line(), /^\* OK /);
  } finally {
    for (const c of idle) c.close();
  }
});

test('the auth penalty falls on the client that failed, not on everyone behind HAProxy', async () => {
  const u = user(5);
  assert.match(await imapLoginLogout('imapsd1', UNTRUSTED, { ...u, password: 'wrong' }, true), /^a NO \[AUTHENTICATIONFAILED\]/);
  const timed = async (from: string): Promise<number> => {
    const started = Date.now();
    assert.match(await imapLoginLogout('imapsd1', from, u, true), /^a OK /);
    return Date.now() - started;
  };
  // Another client of the same balancer is not held; the one that failed waits Dovecot's first 2 s.
  const other = await timed(OTHER);
  const failed = await timed(UNTRUSTED);
  assert.ok(other < 1500, `${OTHER} took ${other} ms`);
  assert.ok(failed >= 1800, `${UNTRUSTED} took ${failed} ms`);
});

test('`who` lists a session through HAProxy with the client\'s address', async () => {
  const u = user(4);
  const sessions: LineClient[] = [];
  try {
    // Two sessions: round robin puts one on each director, so d1 (the CLI's) has one.
    for (let i = 0; i < 2; i++) {
      const client = await connect('imap', CLIENT);
      sessions.push(client);
      await client.line();
      assert.match((await imapCommand(client, 'a', `LOGIN ${quoted(u.name)} ${quoted(u.password)}`)).at(-1) ?? '', /^a OK /);
    }
    const [node, ...rest] = cluster.json().cli;
    const { stdout } = await run(node as string, [...rest, 'who', '--json'], { cwd: REPO_ROOT, timeoutMs: 20_000 });
    const who = JSON.parse(stdout) as { sessions: Array<{ user: string; client_ip: string }> };
    const mine = who.sessions.filter((s) => s.user === u.name);
    assert.ok(mine.length >= 1, stdout);
    for (const s of mine) assert.equal(s.client_ip, CLIENT);
  } finally {
    for (const c of sessions) c.close();
  }
});

test('a client that connects to a haproxy port directly (not from haproxy_trusted_networks) is closed without a greeting', async () => {
  const client = await LineClient.connect(d1.host, d1.imap as number, { localAddress: OTHER });
  client.write('PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n');
  await client.waitClosed();
  assert.equal(client.buffered, 0);
  const refused = await waitRecord(d1, (r) => r.msg === 'haproxy: Client not trusted' && r['rip'] === OTHER);
  assert.ok(refused !== undefined);
});
