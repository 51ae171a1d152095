// The session line's schema (docs/logging.md) on real IMAP sessions: STARTTLS, implicit TLS and
// plaintext, and a TLS failure whose error line carries `err` as an object.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCluster, type Cluster, type ClusterUser } from '../../harness/cluster.js';
import { startDirector } from '../../harness/director.js';
import { LineClient } from '../support/line-client.js';
import { command, firstDirector, lastLine, login, portOf } from './imap-support.js';
import { SESSION_ENDS } from '../../../src/session/session-end.js';

let dir: string;
let cluster: Cluster;
let caPem: Buffer;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-log-schema-'));
  // debug: the TLS failure's line is written at debug.
  cluster = await startCluster({ dir, backends: 1, directors: 1, users: 4, logLevel: 'debug' });
  caPem = await readFile(cluster.ca.cert);
});

after(async () => {
  await cluster?.stop();
  if (process.env['KEEP_TEST_DIR'] === undefined) await rm(dir, { recursive: true, force: true });
});

type LogRecord = Readonly<Record<string, unknown>>;

function user(name: string): ClusterUser {
  const u = cluster.users.find((x) => x.name === name);
  if (u === undefined) throw new Error(`no user ${name}`);
  return u;
}

async function records(): Promise<LogRecord[]> {
  const text = await readFile(firstDirector(cluster).logFile, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogRecord);
}

async function waitRecord(pred: (r: LogRecord) => boolean, timeoutMs = 5000): Promise<LogRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await records()).find(pred);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('log line not found in time');
    await sleep(50);
  }
}

/** The session line's fields every session carries, with their JSON types (docs/logging.md, "session end"). */
const ALWAYS: Readonly<Record<string, 'string' | 'number' | 'boolean'>> = {
  level: 'string',
  time: 'string',
  director: 'string',
  session: 'string',
  protocol: 'string',
  rip: 'string',
  rport: 'number',
  result: 'string',
  end: 'string',
  local_port: 'number',
  tls: 'boolean',
  durationMs: 'number',
  bytesFromClient: 'number',
  bytesFromBackend: 'number',
};

/** Present once a login was routed. */
const AFTER_LOGIN: Readonly<Record<string, 'string' | 'number' | 'boolean'>> = {
  user: 'string',
  backend: 'string',
  backend_host: 'string',
  route: 'string',
  login_ms: 'number',
};

function assertTypes(line: LogRecord, fields: Readonly<Record<string, string>>): void {
  for (const [key, type] of Object.entries(fields)) assert.equal(typeof line[key], type, `${key} in ${JSON.stringify(line)}`);
}

function assertRelayedSession(line: LogRecord, u: ClusterUser, localPort: number): void {
  assertTypes(line, ALWAYS);
  assertTypes(line, AFTER_LOGIN);
  assert.equal(line['msg'], 'session end');
  assert.equal(line['level'], 'info');
  assert.equal(line['protocol'], 'imap');
  assert.equal(line['result'], 'relayed');
  assert.ok(SESSION_ENDS.includes(line['end'] as (typeof SESSION_ENDS)[number]), JSON.stringify(line));
  // LOGOUT relayed: the backend says BYE and closes, or the client closes first.
  assert.ok(['backend_closed', 'client_closed'].includes(line['end'] as string), JSON.stringify(line));
  assert.equal(line['local_port'], localPort);
  assert.equal(line['tls'], true);
  assert.match(String(line['tls_version']), /^TLSv1\.[23]$/);
  assert.equal(line['backend'], 'b1');
  assert.equal(line['backend_host'], cluster.backends[0]?.host);
  assert.equal(line['user'], u.name);
  assert.ok((line['login_ms'] as number) >= 0 && (line['login_ms'] as number) <= (line['durationMs'] as number), JSON.stringify(line));
  assert.ok((line['bytesFromClient'] as number) > 0 && (line['bytesFromBackend'] as number) > 0, JSON.stringify(line));
  assert.ok(!('err' in line) && !('to' in line), JSON.stringify(line));
}

async function loginSelectLogout(client: LineClient, u: ClusterUser): Promise<void> {
  assert.match(await login(client, u.name, u.password), /^a1 OK /);
  assert.match(lastLine(await command(client, 'a2', 'SELECT INBOX')), /^a2 OK /);
  assert.match(lastLine(await command(client, 'a3', 'LOGOUT')), /^a3 OK /);
  await client.waitClosed();
}

test('an IMAP session over STARTTLS: the session line carries every documented field, tls true with its version', async () => {
  const d = firstDirector(cluster);
  const u = user('user0001');
  const plain = await LineClient.connect(d.host, portOf(d, 'imap'));
  let client = plain;
  try {
    assert.match(await plain.line(), /STARTTLS/);
    assert.match(lastLine(await command(plain, 's1', 'STARTTLS')), /^s1 OK /);
    client = await plain.upgradeTls({ ca: caPem });
    await loginSelectLogout(client, u);
  } finally {
    client.close();
    plain.close();
  }
  const line = await waitRecord((r) => r['msg'] === 'session end' && r['user'] === u.name);
  assertRelayedSession(line, u, portOf(d, 'imap'));
  // The proxied-login line names the backend alike.
  const proxied = await waitRecord((r) => r['msg'] === 'proxied login' && r['session'] === line['session']);
  assert.equal(proxied['backend'], 'b1');
  assert.equal(proxied['backend_host'], cluster.backends[0]?.host);
  assert.equal(typeof proxied['login_ms'], 'number');
});

test('an IMAP session over implicit TLS: tls true, local_port the imaps port', async () => {
  const d = firstDirector(cluster);
  const u = user('user0002');
  const client = await LineClient.connect(d.host, portOf(d, 'imaps'), { tls: true, ca: caPem });
  try {
    assert.match(await client.line(), /^\* OK /);
    await loginSelectLogout(client, u);
  } finally {
    client.close();
  }
  const line = await waitRecord((r) => r['msg'] === 'session end' && r['user'] === u.name);
  assertRelayedSession(line, u, portOf(d, 'imaps'));
});

test('a plaintext session that logs out before logging in: tls false, no tls_version, end logout, Dovecot\'s text as reason', async () => {
  const d = firstDirector(cluster);
  const client = await LineClient.connect(d.host, portOf(d, 'imap'));
  try {
    await client.line();
    assert.match(lastLine(await command(client, 'q1', 'LOGOUT')), /^q1 OK /);
    await client.waitClosed();
  } finally {
    client.close();
  }
  const line = await waitRecord((r) => r['msg'] === 'session end' && r['end'] === 'logout' && r['user'] === undefined);
  assertTypes(line, ALWAYS);
  assert.ok((line['session'] as string).length > 0);
  assert.equal(line['tls'], false);
  assert.equal(line['tls_version'], undefined);
  assert.equal(line['result'], 'logged_out');
  assert.equal(line['reason'], 'Aborted login');
  assert.equal(line['local_port'], portOf(d, 'imap'));
  assert.equal(line['bytesFromClient'], 0);
});

test('a failed STARTTLS handshake: the error line carries err as an object, the session line end tls_failed', async () => {
  const d = firstDirector(cluster);
  const client = await LineClient.connect(d.host, portOf(d, 'imap'));
  try {
    await client.line();
    assert.match(lastLine(await command(client, 't1', 'STARTTLS')), /^t1 OK /);
    // Not a TLS ClientHello: the director's handshake fails.
    client.write('this is not TLS at all\r\n\r\n');
    await client.waitClosed();
  } finally {
    client.close();
  }
  const failed = await waitRecord((r) => r['msg'] === 'STARTTLS handshake failed');
  const err = failed['err'];
  assert.equal(typeof err, 'object', JSON.stringify(failed));
  assert.ok(err !== null);
  const e = err as Record<string, unknown>;
  assert.equal(typeof e['type'], 'string');
  assert.equal(typeof e['message'], 'string');
  assert.ok((e['message'] as string).length > 0);
  const line = await waitRecord((r) => r['msg'] === 'session end' && r['session'] === failed['session']);
  assertTypes(line, ALWAYS);
  assert.equal(line['end'], 'tls_failed');
  assert.equal(line['reason'], 'Disconnected: TLS handshake failed');
  assert.equal(line['tls'], false);
});

test('a relayed session ended by the director draining (SIGTERM): end shutdown, with the drain\'s reason', async () => {
  const draining = await startDirector({
    ca: cluster.ca,
    ldap: cluster.slapd,
    backends: cluster.backends,
    dir: join(dir, 'd-draining'),
    id: 'd5',
    listen: ['imap'],
    overrides: { director: { shutdown_grace: '1s' } },
  });
  const u = user('user0003');
  const client = await LineClient.connect(draining.host, portOf(draining, 'imap'));
  try {
    await client.line();
    assert.match(await login(client, u.name, u.password), /^a1 OK /);
    await draining.stop();
    await client.waitClosed();
  } finally {
    client.close();
  }
  const text = await readFile(draining.logFile, 'utf8');
  const line = text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogRecord)
    .find((r) => r['msg'] === 'session end' && r['user'] === u.name);
  assert.ok(line !== undefined, 'no session line written before the director exited');
  assert.equal(line['end'], 'shutdown', JSON.stringify(line));
  assert.equal(line['reason'], 'Disconnected by proxy: Process shutting down');
  assert.equal(line['result'], 'relayed');
});
