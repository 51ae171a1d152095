// What the director writes about IMAP sessions (no passwords; one complete line per session), and the admin CLI on live sessions.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCluster, type Cluster, type ClusterUser } from '../../harness/cluster.js';
import { REPO_ROOT } from '../../harness/director.js';
import { backendById, command, firstDirector, landedOn, lastLine, login, loginCounts, openImap, quoted, waitEvent } from './imap-support.js';

const run = promisify(execFile);
const WRONG = ['Wr0ng-Secret-Alpha', 'Wr0ng-Secret-Beta'];

let dir: string;
let cluster: Cluster;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-imap-logs-'));
  // debug: the most talkative level an operator would run with.
  cluster = await startCluster({ dir, backends: 2, directors: 1, users: 10, logLevel: 'debug', directorOverrides: { limits: { auth_failure_delay: '100ms' } } });
});

after(async () => {
  await cluster?.stop();
  if (process.env['KEEP_TEST_DIR'] === undefined) await rm(dir, { recursive: true, force: true });
});

function user(name: string): ClusterUser {
  const u = cluster.users.find((x) => x.name === name);
  if (u === undefined) throw new Error(`no user ${name}`);
  return u;
}

function plainIr(authcid: string, password: string): string {
  return Buffer.from(`\0${authcid}\0${password}`, 'utf8').toString('base64');
}

async function cli(...args: string[]): Promise<string> {
  const [node, ...rest] = cluster.json().cli;
  const { stdout } = await run(node as string, [...rest, ...args], { cwd: REPO_ROOT, timeout: 20_000 });
  return stdout;
}

interface LogRecord {
  readonly msg?: string;
  readonly session?: string;
  readonly [key: string]: unknown;
}

async function records(): Promise<LogRecord[]> {
  const text = await readFile(firstDirector(cluster).logFile, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogRecord);
}

test('passwords never reach the director log (LOGIN and AUTHENTICATE, good and bad)', async () => {
  const a = user('user0001');
  const b = user('user0002');
  const d = firstDirector(cluster);
  for (const [u, pw, how] of [
    [a, a.password, 'login'],
    [a, WRONG[0], 'login'],
    [b, b.password, 'auth'],
    [b, WRONG[1], 'auth'],
  ] as const) {
    const { client } = await openImap(d);
    try {
      const reply = how === 'login' ? await login(client, u.name, pw as string) : lastLine(await command(client, 'a1', `AUTHENTICATE PLAIN ${plainIr(u.name, pw as string)}`));
      assert.match(reply, pw === u.password ? /^a1 OK / : /^a1 NO \[AUTHENTICATIONFAILED\]/);
      if (pw === u.password) assert.match(lastLine(await command(client, 'a2', 'LOGOUT')), /^a2 OK /);
    } finally {
      client.close();
    }
  }
  // Every session has written its end line, so the log is complete for these logins.
  await waitFor(async () => (await records()).filter((r) => r.msg === 'session end').length >= 4);
  const log = await readFile(d.logFile, 'utf8');
  assert.ok(log.length > 0);
  for (const secret of [a.password, b.password, ...WRONG]) {
    assert.ok(!log.includes(secret), 'a password is in the director log');
    assert.ok(!log.includes(plainIr(a.name, secret)) && !log.includes(plainIr(b.name, secret)), 'a SASL payload is in the director log');
    assert.ok(!log.includes(quoted(secret)), 'a quoted password is in the director log');
  }
});

async function waitFor(cond: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}

test('one log line per session: id, user, backend, route reason, result, duration, bytes', async () => {
  const u = user('user0004');
  const { client } = await openImap(firstDirector(cluster));
  try {
    assert.match(await login(client, u.name, u.password), /^a1 OK /);
    assert.match(lastLine(await command(client, 'a2', 'SELECT INBOX')), /^a2 OK /);
    assert.match(lastLine(await command(client, 'a3', 'LOGOUT')), /^a3 OK /);
    await client.waitClosed();
  } finally {
    client.close();
  }
  let line: LogRecord | undefined;
  await waitFor(async () => {
    line = (await records()).find((r) => r.msg === 'session end' && r['user'] === u.name && r['result'] === 'relayed');
    return line !== undefined;
  });
  assert.ok(line !== undefined);
  assert.equal(typeof line.session, 'string');
  assert.ok((line.session ?? '').length >= 8);
  assert.equal(line['backend'], 'b2');
  assert.equal(line['route'], 'ldap_host');
  assert.equal(typeof line['durationMs'], 'number');
  assert.ok((line['bytesFromClient'] as number) > 'a2 SELECT INBOX\r\na3 LOGOUT\r\n'.length - 1, JSON.stringify(line));
  assert.ok((line['bytesFromBackend'] as number) > 50, JSON.stringify(line));
  // The same session id is what the backend logged (x-session-id).
  await waitEvent(backendById(cluster, 'b2'), (e) => e.event === 'login' && e.user === u.name && e.session === line?.session);
});

test('who --json lists a live session; user kick ends it and the backend logs the logout', async () => {
  const u = user('user0009');
  const before = await loginCounts(cluster.backends, u.name);
  const { client } = await openImap(firstDirector(cluster));
  try {
    assert.match(await login(client, u.name, u.password), /^a1 OK /);
    const backend = await landedOn(cluster.backends, u.name, before);
    assert.match(lastLine(await command(client, 'a2', 'SELECT INBOX')), /^a2 OK /);

    const who = JSON.parse(await cli('who', '--json')) as { sessions: Array<{ user: string; backend_id: string | null; protocol: string; session_id: string }> };
    const mine = who.sessions.filter((s) => s.user === u.name);
    assert.equal(mine.length, 1, JSON.stringify(who));
    assert.equal(mine[0]?.backend_id, backend);
    assert.equal(mine[0]?.protocol, 'imap');

    await cli('user', 'kick', u.name);
    const bye = await client.until('* BYE', 5000);
    assert.equal(lastLine(bye), '* BYE Disconnected for administrative reasons.');
    await client.waitClosed(5000);

    const session = mine[0]?.session_id;
    await waitEvent(backendById(cluster, backend), (e) => e.event === 'logout' && e.user === u.name && (session === undefined || e.session === session));
    const after = JSON.parse(await cli('who', '--json')) as { sessions: Array<{ user: string }> };
    assert.ok(!after.sessions.some((s) => s.user === u.name), JSON.stringify(after));
    // The session line says why it ended: kicked, with the kick's reason (Dovecot's KILLED_BY_ADMIN_REASON).
    let end: LogRecord | undefined;
    await waitFor(async () => {
      end = (await records()).find((r) => r.msg === 'session end' && r.session === session);
      return end !== undefined;
    });
    assert.equal(end?.['end'], 'kicked', JSON.stringify(end));
    assert.equal(end?.['reason'], 'Kicked by admin', JSON.stringify(end));
  } finally {
    client.close();
  }
});

test('user kick --reason: the IMAP client reads the reason in its BYE, sanitised; an unknown user exits 67', async () => {
  const u = cluster.usersOfKind('ring').at(-1);
  assert.ok(u !== undefined);
  const { client } = await openImap(firstDirector(cluster));
  try {
    assert.match(await login(client, u.name, u.password), /^a1 OK /);
    assert.match(lastLine(await command(client, 'a2', 'SELECT INBOX')), /^a2 OK /);
    const out = await cli('user', 'kick', u.name, '--reason', 'Mailbox maintenance,\r\na3 OK back at 14:00');
    assert.match(out, /kicked 1 session/);
    const bye = await client.until('* BYE', 5000);
    // One line: the CR LF became a space, so no fake tagged reply reaches the client.
    assert.equal(lastLine(bye), '* BYE Mailbox maintenance, a3 OK back at 14:00');
    await client.waitClosed(5000);
  } finally {
    client.close();
  }
  const [node, ...rest] = cluster.json().cli;
  const unknown = await run(node as string, [...rest, 'user', 'kick', 'no-such-user-here'], { cwd: REPO_ROOT, timeout: 20_000 }).then(
    () => ({ code: 0, stderr: '' }),
    (err: { code?: number; stderr?: string }) => ({ code: err.code, stderr: err.stderr ?? '' }),
  );
  assert.equal(unknown.code, 67);
  assert.match(unknown.stderr, /no-such-user-here does not exist/);
});

test('the "Proxying loops" line is not written for an ordinary failed login', async () => {
  // Guards the routing test's log assertion against a director that logs it for everything.
  const loops = (await records()).filter((r) => r.msg === 'Proxying loops');
  assert.equal(loops.length, 0);
});
