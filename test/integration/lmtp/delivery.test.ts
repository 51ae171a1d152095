// Mail delivered through the director's LMTP port (Dovecot's lmtp_proxy): Postfix
// relays one message to recipients on both backends through the director, each
// copy is read back through the director by IMAP; swaks speaks LMTP for the
// protocol cases; Postfix delivers through the director's unix socket
// (lmtp:unix:PATH), whose file a crashed director leaves and the next start
// replaces, and a stopped one removes; a backend stopped during DATA fails
// only its recipients.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImapFlow } from 'imapflow';
import { startCluster, type Cluster, type ClusterUser } from '../../harness/cluster.js';
import { DEFAULT_LISTEN, type DirectorHandle } from '../../harness/director.js';
import { startPostfix, type PostfixHandle } from '../../harness/postfix.js';
import { LineClient } from '../support/line-client.js';

let dir: string;
let cluster: Cluster;
let postfix: PostfixHandle;
let caPem: Buffer;
const open: ImapFlow[] = [];

function director(): DirectorHandle {
  const d = cluster.directors[0];
  if (d === undefined) throw new Error('no director');
  return d;
}

function port(key: 'lmtp' | 'imaps'): number {
  const address = director().address(key);
  if (address === null) throw new Error(`no ${key} port`);
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

/** The ring user whose mail Postfix sends to the director's unix socket. */
const SOCKET_USER = 'user0008';

function socketPath(): string {
  const path = director().lmtpSocket;
  if (path === null) throw new Error('no lmtp_socket');
  return path;
}

function user(name: string): ClusterUser {
  const u = cluster.users.find((x) => x.name === name);
  if (u === undefined) throw new Error(`no user ${name}`);
  return u;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-lmtp-'));
  cluster = await startCluster({ dir, backends: 2, directors: 1, users: 10, directorListen: DEFAULT_LISTEN, lmtpSocket: true });
  postfix = await startPostfix({
    dir: join(dir, 'postfix'),
    host: '127.0.0.1',
    relayDomains: ['example.org'],
    lmtpRoutes: [
      // One ring user through the unix socket, the rest of the domain through the port.
      { recipient: `${SOCKET_USER}@example.org`, socket: socketPath() },
      { recipient: 'example.org', host: director().host, port: port('lmtp') },
    ],
  });
  caPem = await readFile(cluster.ca.cert);
});

after(async () => {
  for (const flow of open) flow.close();
  await postfix?.stop();
  await cluster?.stop();
  if (process.env['KEEP_TEST_DIR'] === undefined) await rm(dir, { recursive: true, force: true });
});

async function imap(u: ClusterUser): Promise<ImapFlow> {
  const flow = new ImapFlow({ host: director().host, port: port('imaps'), secure: true, auth: { user: u.name, pass: u.password }, logger: false, tls: { ca: caPem } });
  flow.on('error', () => undefined);
  await flow.connect();
  open.push(flow);
  return flow;
}

/** How many messages with `subject` the user's INBOX holds, read through the director. */
async function countSubject(u: ClusterUser, subject: string): Promise<number> {
  const flow = await imap(u);
  try {
    const lock = await flow.getMailboxLock('INBOX');
    try {
      let n = 0;
      if ((flow.mailbox === false ? 0 : flow.mailbox.exists) === 0) return 0;
      for await (const m of flow.fetch('1:*', { envelope: true })) if (m.envelope?.subject === subject) n++;
      return n;
    } finally {
      lock.release();
    }
  } finally {
    await flow.logout().catch(() => undefined);
  }
}

async function waitForCount(u: ClusterUser, subject: string, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await countSubject(u, subject);
    if (n > 0) {
      // A duplicate would come with the same queue run: look once more.
      await sleep(1_000);
      return countSubject(u, subject);
    }
    if (Date.now() > deadline) throw new Error(`no "${subject}" for ${u.name}\n${await postfix.log()}\n${await readFile(director().logFile, 'utf8').catch(() => '')}`);
    await sleep(500);
  }
}

function exec(command: string, args: readonly string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(command, [...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout: `${stdout}${stderr}` });
    });
  });
}

test('Postfix delivers one message through the director to a ring user with a live IMAP session, a host user, a destuser alias and a +detail address: each gets it once', async () => {
  const ring = user('user0001');
  const hostUser = user('user0004');
  const alias = user('alias0001');
  const aliasTarget = user(alias.destuser ?? '');
  const detailed = user('user0003');
  // The ring user has a session open through the director: the delivery must go to that backend.
  const live = await imap(ring);
  await live.mailboxOpen('INBOX');

  const subject = `lmtp ${randomBytes(6).toString('hex')}`;
  const to = [`${ring.name}@example.org`, `${hostUser.name}@example.org`, `${alias.name}@example.org`, `${detailed.name}+news@example.org`];
  const sent = await exec('swaks', ['--server', `${postfix.host}:${postfix.port}`, '--from', 'sender@example.org', '--to', to.join(','), '--header', `Subject: ${subject}`, '--body', 'through the director by LMTP']);
  assert.equal(sent.code, 0, sent.stdout);

  for (const u of [ring, hostUser, aliasTarget, detailed]) {
    assert.equal(await waitForCount(u, subject), 1, `${u.name} has the message once`);
  }
  // Seen in the live session too: same backend, same mailbox.
  await live.noop();
  assert.ok(live.mailbox !== false && live.mailbox.exists >= 1);
  // Message bodies never reach the director's log.
  assert.doesNotMatch(await readFile(director().logFile, 'utf8'), /through the director by LMTP/);
  const log = await postfix.log();
  assert.match(log, /status=sent \(250 2\.0\.0 <user0001@example\.org> \S+ Saved\)/, log);
});

test('swaks --protocol LMTP: an unknown user gets 550 5.1.1, a known one is delivered', async () => {
  const lmtp = ['--protocol', 'LMTP', '--server', `${director().host}:${port('lmtp')}`, '--from', 'sender@example.org'];
  const unknown = await exec('swaks', [...lmtp, '--to', 'nobody-here@example.org']);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stdout, /550 5\.1\.1 <nobody-here@example\.org> User doesn't exist/);
  const subject = `swaks ${randomBytes(4).toString('hex')}`;
  const ok = await exec('swaks', [...lmtp, '--to', 'user0006@example.org', '--header', `Subject: ${subject}`]);
  assert.equal(ok.code, 0, ok.stdout);
  assert.match(ok.stdout, /250 2\.0\.0 <user0006@example\.org> \S+ Saved/);
  assert.equal(await waitForCount(user('user0006'), subject), 1);
});

test('Postfix delivers through lmtp:unix: the socket file is replaced after a crash and removed on shutdown', async () => {
  const u = user(SOCKET_USER);
  assert.equal(u.kind, 'ring');
  const path = socketPath();
  assert.equal(statSync(path).mode & 0o777, 0o666, 'the configured mode');
  const send = async (subject: string): Promise<void> => {
    const sent = await exec('swaks', ['--server', `${postfix.host}:${postfix.port}`, '--from', 'sender@example.org', '--to', `${u.name}@example.org`, '--header', `Subject: ${subject}`, '--body', 'by the unix socket']);
    assert.equal(sent.code, 0, sent.stdout);
    assert.equal(await waitForCount(u, subject), 1, `${u.name} has "${subject}" once`);
  };
  await send(`unix ${randomBytes(4).toString('hex')}`);
  const log = await postfix.log();
  assert.match(log, new RegExp(`to=<${u.name}@example\\.org>, relay=\\S*\\[${path.replace(/[.]/g, '\\.')}\\].*status=sent \\(250 2\\.0\\.0 <${u.name}@example\\.org> \\S+ Saved\\)`), log);
  // The director logs the socket, not an address, for these sessions.
  const dlog = await readFile(director().logFile, 'utf8');
  assert.ok(dlog.split('\n').some((l) => l.includes('"protocol":"lmtp"') && l.includes(`"socket":"${path}"`) && !l.includes('"rip"')), 'an lmtp log line names the socket');

  // A crash leaves the file; the next start finds nobody behind it and binds anew.
  await director().kill();
  assert.ok(statSync(path).isSocket(), 'a crashed director leaves its socket file');
  cluster.directors[0] = await director().restart();
  await send(`after crash ${randomBytes(4).toString('hex')}`);

  // A stopped director removes it; started again for the tests that follow.
  await director().stop();
  assert.equal(existsSync(path), false, 'the socket file is gone after shutdown');
  cluster.directors[0] = await director().restart();
});

/** Read one whole reply (multi-line replies end with `ddd `). */
async function reply(client: LineClient): Promise<string> {
  for (;;) {
    const line = await client.line(30_000);
    if (/^\d{3}( |$)/.test(line)) return line;
  }
}

test('a backend stopped during DATA: only its recipients get 451 4.4.0, the others are delivered', async () => {
  const onB1 = user('user0009');
  const onB2 = user('user0004');
  assert.equal(onB1.backend, 'b1');
  assert.equal(onB2.backend, 'b2');
  const client = await LineClient.connect(director().host, port('lmtp'));
  assert.match(await reply(client), /^220 /);
  const subject = `cut ${randomBytes(4).toString('hex')}`;
  client.write(`LHLO mta.test\r\nMAIL FROM:<sender@example.org>\r\nRCPT TO:<${onB2.name}@example.org>\r\nRCPT TO:<${onB1.name}@example.org>\r\nDATA\r\n`);
  assert.match(await reply(client), /^250 /);
  assert.match(await reply(client), /^250 2\.1\.0/);
  assert.match(await reply(client), /^250 /);
  assert.match(await reply(client), /^250 /);
  assert.match(await reply(client), /^354 /);
  client.write(`Subject: ${subject}\r\n\r\n`);
  for (let i = 0; i < 100; i++) client.write(`${'z'.repeat(900)}\r\n`);
  await sleep(300);
  await cluster.backends[1]?.stop();
  for (let i = 0; i < 100; i++) client.write(`${'z'.repeat(900)}\r\n`);
  client.write('.\r\n');
  assert.match(await reply(client), /^451 4\.4\.0 Remote server not answering \((connection lost|connect|timed out)\)$/);
  assert.match(await reply(client), new RegExp(`^250 2\\.0\\.0 <${onB1.name}@example\\.org> \\S+ Saved$`));
  client.close();
  assert.equal(await waitForCount(onB1, subject), 1);
});
