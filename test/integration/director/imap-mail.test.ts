// Real mail through the director with a real client library (imapflow): SELECT, FETCH, APPEND, IDLE, a 10 MB message.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { startCluster, type Cluster, type ClusterUser } from '../../harness/cluster.js';
import { firstDirector, portOf } from './imap-support.js';

let dir: string;
let cluster: Cluster;
let caPem: Buffer;
const open: ImapFlow[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-imap-mail-'));
  cluster = await startCluster({ dir, backends: 2, directors: 1, users: 10 });
  caPem = await readFile(cluster.ca.cert);
});

after(async () => {
  for (const flow of open) flow.close();
  await cluster?.stop();
  if (process.env['KEEP_TEST_DIR'] === undefined) await rm(dir, { recursive: true, force: true });
});

function user(name: string): ClusterUser {
  const u = cluster.users.find((x) => x.name === name);
  if (u === undefined) throw new Error(`no user ${name}`);
  return u;
}

async function connect(u: ClusterUser, secure: boolean): Promise<ImapFlow> {
  const d = firstDirector(cluster);
  const flow = new ImapFlow({
    host: d.host,
    port: portOf(d, secure ? 'imaps' : 'imap'),
    secure,
    auth: { user: u.name, pass: u.password },
    logger: false,
    tls: { ca: caPem },
  });
  flow.on('error', () => undefined);
  await flow.connect();
  open.push(flow);
  return flow;
}

function message(subject: string, body: string): Buffer {
  return Buffer.from(`From: a@example.org\r\nTo: b@example.org\r\nSubject: ${subject}\r\nMessage-ID: <${randomBytes(8).toString('hex')}@example.org>\r\n\r\n${body}\r\n`);
}

test('SELECT, APPEND and FETCH through the director', async () => {
  const flow = await connect(user('user0001'), true);
  // imapflow updates the mailbox object in place: keep the number, not the object.
  const before = (await flow.mailboxOpen('INBOX')).exists;
  const msg = message('hello via director', 'first body');
  const appended = await flow.append('INBOX', msg, ['\\Seen']);
  assert.ok(appended !== false);
  const status = await flow.status('INBOX', { messages: true });
  assert.ok(status !== false);
  assert.equal(status.messages, before + 1);
  const fetched = await flow.fetchOne('*', { envelope: true, source: true, flags: true });
  assert.ok(fetched !== false);
  assert.equal(fetched.envelope?.subject, 'hello via director');
  assert.ok(fetched.flags?.has('\\Seen'));
  assert.equal(fetched.source?.toString('latin1'), msg.toString('latin1'));
  await flow.logout();
});

test('IDLE sees EXISTS when another connection APPENDs', async () => {
  const u = user('user0003');
  const idler = await connect(u, false);
  const opened = (await idler.mailboxOpen('INBOX')).exists;
  const writer = await connect(u, true);
  const seen = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no EXISTS within 5 s')), 5000);
    idler.on('exists', (data: { count: number }) => {
      clearTimeout(timer);
      resolve(data.count);
    });
  });
  // imapflow enters IDLE by itself when nothing else is queued; make sure it is idling.
  void idler.idle();
  await new Promise((r) => setTimeout(r, 300));
  await writer.append('INBOX', message('wake up', 'idle body'));
  assert.equal(await seen, opened + 1);
  await writer.logout();
  await idler.logout();
});

test('a 10 MB message is appended and fetched back intact', async () => {
  const flow = await connect(user('user0006'), true);
  await flow.mailboxOpen('INBOX');
  // Base64 lines, like a real attachment; 10 MB.
  const body = randomBytes(7_600_000).toString('base64').replace(/.{76}/g, '$&\r\n');
  const msg = message('big one', body);
  assert.ok(msg.length >= 10_000_000, `${msg.length} bytes`);
  const digest = createHash('sha256').update(msg).digest('hex');
  const appended = await flow.append('INBOX', msg);
  assert.ok(appended !== false && appended.uid !== undefined);
  const { content } = await flow.download(String(appended.uid), undefined, { uid: true });
  assert.ok(content !== undefined);
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of content) {
    const buf = chunk as Buffer;
    size += buf.length;
    hash.update(buf);
  }
  assert.equal(size, msg.length);
  assert.equal(hash.digest('hex'), digest);
  await flow.logout();
});
