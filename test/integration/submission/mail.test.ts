// Real mail through the director's submission port: Python's smtplib and swaks
// submit, Dovecot's submission relays to Postfix, Postfix delivers by LMTP, and
// the message is read back through the director by IMAP.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImapFlow } from 'imapflow';
import { startCluster, type Cluster, type ClusterUser } from '../../harness/cluster.js';
import { startDirector, type DirectorHandle } from '../../harness/director.js';
import { freePort } from '../../harness/ports.js';
import { startPostfix, type PostfixHandle } from '../../harness/postfix.js';
import { LineClient } from '../support/line-client.js';

let dir: string;
let cluster: Cluster;
let postfix: PostfixHandle;
let caPem: Buffer;
/** trusted_networks excludes loopback: AUTH needs TLS. */
let untrusted: DirectorHandle;
/** Its ring says the submission port is one nobody listens on. */
let broken: DirectorHandle;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-submission-'));
  const relayPort = await freePort('127.0.0.1');
  cluster = await startCluster({
    dir,
    backends: 1,
    directors: 1,
    users: 4,
    relay: { host: '127.0.0.1', port: relayPort },
  });
  const backend = cluster.backends[0];
  assert.ok(backend !== undefined);
  postfix = await startPostfix({
    dir: join(dir, 'postfix'),
    host: '127.0.0.1',
    port: relayPort,
    relayDomains: ['example.org'],
    lmtpRoutes: [{ recipient: 'example.org', host: backend.host, port: backend.lmtp }],
  });
  caPem = await readFile(cluster.ca.cert);
  const common = { ca: cluster.ca, ldap: cluster.slapd } as const;
  const closedPort = await freePort(backend.host);
  [untrusted, broken] = await Promise.all([
    startDirector({ ...common, backends: cluster.backends, dir: join(dir, 'd-untrusted'), id: 'd7', listen: ['submission'], overrides: { director: { trusted_networks: ['10.0.0.0/8'] } } }),
    startDirector({ ...common, backends: cluster.backends.map((b) => ({ ...b, submission: closedPort })), dir: join(dir, 'd-broken'), id: 'd8', listen: ['submission'] }),
  ]);
});

after(async () => {
  await Promise.all([untrusted?.stop(), broken?.stop()]);
  await postfix?.stop();
  await cluster?.stop();
  if (process.env['KEEP_TEST_DIR'] === undefined) await rm(dir, { recursive: true, force: true });
});

function ringUser(index = 0): ClusterUser {
  const u = cluster.usersOfKind('ring')[index];
  if (u === undefined) throw new Error('no ring user');
  return u;
}

function port(director: DirectorHandle, key: 'submission' | 'imaps'): number {
  const address = director.address(key);
  if (address === null) throw new Error(`director ${director.id} has no ${key} port`);
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

/** A wrong password nothing else in a log could contain by chance. */
const WRONG_PASSWORD = 'Wr0ng-subm1ssion-S3cret';

function director(): DirectorHandle {
  const d = cluster.directors[0];
  if (d === undefined) throw new Error('no director');
  return d;
}

function exec(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, [...args], { timeout: 30_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

/** smtplib: EHLO, STARTTLS (the director's certificate checked), EHLO, AUTH (PLAIN), one message. */
const SMTPLIB = `
import os, smtplib, ssl
s = smtplib.SMTP(os.environ['HOST'], int(os.environ['PORT']), timeout=20)
s.ehlo('client.example')
s.starttls(context=ssl.create_default_context(cafile=os.environ['CAFILE']))
s.ehlo('client.example')
s.login(os.environ['USER'], os.environ['PASS'])
msg = 'From: %s\\r\\nTo: %s\\r\\nSubject: %s\\r\\n\\r\\nsent with smtplib\\r\\n' % (os.environ['FROM'], os.environ['TO'], os.environ['SUBJECT'])
s.sendmail(os.environ['FROM'], [os.environ['TO']], msg)
s.quit()
`;

/** Poll the recipient's INBOX through the director's IMAPS port until `subject` arrives. */
async function waitForSubject(u: ClusterUser, subject: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const flow = new ImapFlow({ host: director().host, port: port(director(), 'imaps'), secure: true, auth: { user: u.name, pass: u.password }, logger: false, tls: { ca: caPem } });
    flow.on('error', () => undefined);
    await flow.connect();
    try {
      const lock = await flow.getMailboxLock('INBOX');
      try {
        for await (const message of flow.fetch('1:*', { envelope: true, source: true })) {
          if (message.envelope?.subject === subject) return message.source?.toString('utf8') ?? '';
        }
      } catch {
        // An empty mailbox has no 1:*.
      } finally {
        lock.release();
      }
    } finally {
      await flow.logout().catch(() => undefined);
    }
    if (Date.now() > deadline) throw new Error(`no message "${subject}" for ${u.name} within ${timeoutMs} ms\n${await postfix.log()}`);
    await sleep(500);
  }
}

/** A raw client on a director's submission port, past the greeting. */
async function openSubmission(d: DirectorHandle): Promise<{ client: LineClient; greeting: string }> {
  const client = await LineClient.connect(d.host, port(d, 'submission'));
  return { client, greeting: await client.line() };
}

/** Send one command and collect its (multi-line) reply. */
async function smtp(client: LineClient, line: string, timeoutMs = 15_000): Promise<string[]> {
  client.write(`${line}\r\n`);
  const lines: string[] = [];
  for (;;) {
    const reply = await client.line(timeoutMs);
    lines.push(reply);
    if (/^\d{3}( |$)/.test(reply)) return lines;
  }
}

const plain = (user: string, password: string): string => Buffer.from(`\0${user}\0${password}`).toString('base64');

test('smtplib: STARTTLS, AUTH PLAIN and a message that arrives in the recipient\'s INBOX', async () => {
  const sender = ringUser(0);
  const recipient = ringUser(1);
  const subject = `smtplib ${randomBytes(6).toString('hex')}`;
  await exec('python3', ['-c', SMTPLIB], {
    HOST: director().host,
    PORT: String(port(director(), 'submission')),
    CAFILE: cluster.ca.cert,
    USER: sender.name,
    PASS: sender.password,
    FROM: `${sender.name}@example.org`,
    TO: `${recipient.name}@example.org`,
    SUBJECT: subject,
  });
  const source = await waitForSubject(recipient, subject);
  assert.match(source, /sent with smtplib/);
});

test('swaks: AUTH LOGIN in the clear from a trusted network, the message arrives', async () => {
  const sender = ringUser(1);
  const recipient = ringUser(0);
  const subject = `swaks ${randomBytes(6).toString('hex')}`;
  await exec('swaks', [
    '--server', `${director().host}:${port(director(), 'submission')}`,
    '--ehlo', 'client.example',
    '--auth', 'LOGIN', '--auth-user', sender.name, '--auth-password', sender.password,
    '--from', `${sender.name}@example.org`, '--to', `${recipient.name}@example.org`,
    '--header', `Subject: ${subject}`, '--body', 'sent with swaks',
    '--silent', '2',
  ]);
  const source = await waitForSubject(recipient, subject);
  assert.match(source, /sent with swaks/);
});

test('a wrong password gets 535 5.7.8; the connection goes on', async () => {
  const { client, greeting } = await openSubmission(director());
  try {
    assert.match(greeting, /^220 \S+ ESMTP /);
    const ehlo = await smtp(client, 'EHLO client.example');
    assert.ok(ehlo.includes('250-AUTH PLAIN LOGIN'), ehlo.join('\n'));
    assert.deepEqual(await smtp(client, `AUTH PLAIN ${plain(ringUser(0).name, WRONG_PASSWORD)}`), ['535 5.7.8 Authentication failed.']);
    assert.deepEqual(await smtp(client, 'MAIL FROM:<a@example.org>'), ['530 5.7.0 Authentication required.']);
    assert.deepEqual(await smtp(client, 'QUIT'), ['221 2.0.0 Bye']);
  } finally {
    client.close();
  }
});

test('AUTH in the clear from an untrusted address is refused; EHLO offers STARTTLS and no AUTH', async () => {
  const { client } = await openSubmission(untrusted);
  try {
    const ehlo = await smtp(client, 'EHLO client.example');
    assert.ok(!ehlo.some((l) => /AUTH/.test(l)), ehlo.join('\n'));
    assert.ok(ehlo.some((l) => /^250[- ]STARTTLS$/.test(l)), ehlo.join('\n'));
    const u = ringUser(0);
    assert.deepEqual(await smtp(client, `AUTH PLAIN ${plain(u.name, u.password)}`), ['530 5.7.0 Authentication not allowed until SSL/TLS is enabled.']);
  } finally {
    client.close();
  }
});

test('a backend whose submission port is down: 454 4.7.0, a temporary failure', async () => {
  const { client } = await openSubmission(broken);
  try {
    const u = ringUser(0);
    assert.deepEqual(await smtp(client, `AUTH PLAIN ${plain(u.name, u.password)}`, 30_000), ['454 4.7.0 Account is temporarily unavailable.']);
  } finally {
    client.close();
  }
});

test('passwords never reach the directors\' logs (AUTH PLAIN and LOGIN, good and bad)', async () => {
  const secrets = [...cluster.users.map((u) => u.password), WRONG_PASSWORD].filter((p) => p.length >= 6);
  for (const d of [director(), untrusted, broken]) {
    const log = await readFile(d.logFile, 'utf8');
    assert.ok(log.length > 0, `${d.id} logged nothing`);
    for (const secret of secrets) {
      assert.ok(!log.includes(secret), `${d.id} logged a password`);
      assert.ok(!log.includes(Buffer.from(secret).toString('base64')), `${d.id} logged a password in base64`);
    }
  }
});
