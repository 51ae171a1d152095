// ManageSieve through a real director with a real client (sieve-connect): a
// script uploaded and activated through the director files mail delivered by
// LMTP on the user's own backend; a wrong password and a backend that does not
// answer get Pigeonhole's replies.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { startCluster, type Cluster, type ClusterUser } from '../../harness/cluster.js';
import type { DirectorHandle } from '../../harness/director.js';
import type { DovecotHandle } from '../../harness/dovecot.js';
import { LineClient } from '../support/line-client.js';

/** A wrong password nothing else in a log could contain by chance. */
const WRONG_PASSWORD = 'Wr0ng-s1eve-S3cret';

let dir: string;
let cluster: Cluster;
let director: DirectorHandle;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-sieve-'));
  cluster = await startCluster({ dir, backends: 2, directors: 1, users: 10, directorListen: ['imap', 'sieve', 'grpc', 'http'] });
  director = cluster.directors[0] as DirectorHandle;
});

after(async () => {
  for (const b of cluster?.backends ?? []) b.resume();
  await cluster?.stop();
  if (process.env['KEEP_TEST_DIR'] === undefined) await rm(dir, { recursive: true, force: true });
});

function sievePort(): number {
  assert.ok(director.sieve !== null, 'the director listens for sieve');
  return director.sieve;
}

interface Run {
  readonly code: number | null;
  readonly output: string;
}

/** sieve-connect through the director: STARTTLS verified against the cluster CA, password on stdin. */
function sieveConnect(u: ClusterUser, password: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'sieve-connect',
      ['--server', director.host, '--port', String(sievePort()), '--user', u.name, '--passwordfd', '0',
        '--tlscafile', cluster.ca.cert, '--tlshostname', 'localhost', '--authmech', 'PLAIN', ...args],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
    child.stdin.end(`${password}\n`);
  });
}

/** The backend Dovecot logged the user's ManageSieve login on. */
async function sieveBackendOf(u: ClusterUser): Promise<DovecotHandle> {
  const hits: DovecotHandle[] = [];
  for (const b of cluster.backends) {
    const events = await b.loginEvents();
    if (events.some((e) => e.user === u.name && e.protocol === 'sieve' && e.event === 'login')) hits.push(b);
  }
  assert.equal(hits.length, 1, `one backend saw ${u.name}'s sieve logins`);
  return hits[0] as DovecotHandle;
}

/** Past the greeting (capability lines, then OK). */
async function openSieve(): Promise<LineClient> {
  const client = await LineClient.connect(director.host, sievePort());
  for (;;) {
    const line = await client.line();
    if (line.startsWith('OK')) return client;
  }
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

test('a script uploaded and activated through the director files mail on the user\'s own backend', async () => {
  const u = cluster.usersOfKind('ring')[0];
  assert.ok(u !== undefined);
  const script = join(dir, 'junk.sieve');
  await writeFile(script, 'require ["fileinto", "mailbox"];\nif header :contains "subject" "junk-me" {\n  fileinto :create "Junk";\n  stop;\n}\n');
  const upload = await sieveConnect(u, u.password, ['--upload', '--localsieve', script, '--remotesieve', 'junk']);
  assert.equal(upload.code, 0, upload.output);
  const activate = await sieveConnect(u, u.password, ['--activate', '--remotesieve', 'junk']);
  assert.equal(activate.code, 0, activate.output);
  const list = await sieveConnect(u, u.password, ['--list']);
  assert.equal(list.code, 0, list.output);
  assert.match(list.output, /"junk" ACTIVE/);

  const backend = await sieveBackendOf(u);
  const id = `${Date.now()}.sieve@example.org`;
  await backend.deliver(u.name, `From: a@example.org\r\nTo: ${u.name}@example.org\r\nSubject: please junk-me now\r\nMessage-ID: <${id}>\r\n\r\nbody\r\n`);

  const flow = new ImapFlow({ host: director.host, port: director.imap ?? 0, secure: false, auth: { user: u.name, pass: u.password }, logger: false, tls: { ca: await readFile(cluster.ca.cert) } });
  flow.on('error', () => undefined);
  await flow.connect();
  try {
    const junk = await flow.mailboxOpen('Junk');
    assert.ok(junk.exists >= 1, 'the message was filed into Junk');
    const fetched = await flow.fetchOne('*', { envelope: true });
    assert.ok(fetched !== false);
    assert.equal(fetched.envelope?.subject, 'please junk-me now');
    assert.equal(fetched.envelope?.messageId, `<${id}>`);
    await flow.mailboxClose();
    const inbox = await flow.status('INBOX', { messages: true });
    assert.ok(inbox !== false);
    assert.equal(inbox.messages, 0, 'nothing in INBOX');
  } finally {
    await flow.logout();
  }
});

test('a wrong password gets Pigeonhole\'s NO; the connection goes on', async () => {
  const u = cluster.usersOfKind('ring')[1];
  assert.ok(u !== undefined);
  const client = await openSieve();
  client.write(`AUTHENTICATE "PLAIN" "${b64(`\0${u.name}\0${WRONG_PASSWORD}`)}"\r\n`);
  assert.equal(await client.line(10_000), 'NO "Authentication failed."');
  client.write('NOOP\r\n');
  assert.equal(await client.line(), 'OK "NOOP Completed"');
  client.write('LOGOUT\r\n');
  assert.equal(await client.line(), 'OK "Logout completed."');
  await client.waitClosed();
  const failed = await sieveConnect(u, WRONG_PASSWORD, ['--list']);
  assert.notEqual(failed.code, 0);
});

test('a backend that does not answer: NO (TRYLATER) after proxy_timeout', async () => {
  const u = cluster.usersOfKind('host').find((x) => x.backend === 'b1');
  assert.ok(u !== undefined);
  await cluster.slapd.modifyUser(u.name, { mailExtraField: 'proxy_timeout=2' });
  const b1 = cluster.backends.find((b) => b.id === 'b1');
  assert.ok(b1 !== undefined);
  b1.pause();
  try {
    const client = await openSieve();
    const started = Date.now();
    client.write(`AUTHENTICATE "PLAIN" "${b64(`\0${u.name}\0${u.password}`)}"\r\n`);
    assert.equal(await client.line(15_000), 'NO (TRYLATER) "Account is temporarily unavailable."');
    assert.ok(Date.now() - started < 8_000, `answered after ${Date.now() - started} ms`);
    client.close();
  } finally {
    b1.resume();
  }
});

test('passwords never reach the director\'s log (AUTHENTICATE PLAIN, good and bad)', async () => {
  const log = await readFile(director.logFile, 'utf8');
  assert.ok(log.length > 0);
  for (const secret of [...cluster.users.map((u) => u.password), WRONG_PASSWORD].filter((p) => p.length >= 6)) {
    assert.ok(!log.includes(secret), 'a password was logged');
    assert.ok(!log.includes(Buffer.from(secret).toString('base64')), 'a password was logged in base64');
  }
});
