import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster, type ClusterUser } from '../../harness/cluster.js';
import type { DovecotHandle } from '../../harness/dovecot.js';
import type { DirectorHandle } from '../../harness/director.js';
import { LineClient } from '../support/line-client.js';

// Real messages, delivered over LMTP to a backend, read back through the director.

let dir: string;
let cluster: Cluster;
let director: DirectorHandle;
let backend: DovecotHandle;
let mailbox: ClusterUser;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pop3-messages-'));
  cluster = await startCluster({ dir, backends: 1, directors: 1, users: 4 });
  director = cluster.directors[0] as DirectorHandle;
  backend = cluster.backends[0] as DovecotHandle;
  const u = cluster.usersOfKind('host')[0];
  assert.ok(u !== undefined && u.backend === backend.id);
  mailbox = u;
});

after(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function login(host: string, port: number, u: ClusterUser): Promise<LineClient> {
  const c = await LineClient.connect(host, port);
  assert.match(await c.line(), /^\+OK/);
  c.write(`USER ${u.name}\r\n`);
  assert.equal(await c.line(), '+OK');
  c.write(`PASS ${u.password}\r\n`);
  assert.match(await c.line(), /^\+OK Logged in\./);
  return c;
}

async function list(c: LineClient): Promise<Map<number, number>> {
  c.write('LIST\r\n');
  const lines = await c.until('.');
  assert.match(lines[0] ?? '', /^\+OK/);
  const out = new Map<number, number>();
  for (const l of lines.slice(1, -1)) {
    const [n, size] = l.split(' ').map(Number);
    out.set(n ?? 0, size ?? 0);
  }
  return out;
}

/** The message exactly as POP3 sends it (CRLF lines; our messages have no line starting with a dot). */
async function retr(c: LineClient, n: number): Promise<Buffer> {
  c.write(`RETR ${n}\r\n`);
  const head = await c.line(10_000);
  const m = /^\+OK (\d+) octets/.exec(head);
  assert.ok(m !== null, head);
  const body = await c.bytes(Number(m[1]), 30_000);
  assert.equal(await c.line(10_000), '.');
  return body;
}

async function quit(c: LineClient): Promise<void> {
  c.write('QUIT\r\n');
  assert.match(await c.line(), /^\+OK/);
  c.close();
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

test('LIST and RETR through the director return the backend\'s bytes', async () => {
  const text = `From: a@example.org\r\nTo: ${mailbox.name}@example.org\r\nSubject: hello through the director\r\n\r\nfirst line\r\nsecond line ${randomBytes(8).toString('hex')}\r\n`;
  await backend.deliver(mailbox.name, text);

  const viaDirector = await login('127.0.0.1', director.pop3 ?? 0, mailbox);
  const direct = await login(backend.host, backend.pop3, mailbox);
  try {
    const listed = await list(viaDirector);
    assert.deepEqual(listed, await list(direct));
    assert.equal(listed.size, 1);
    const got = await retr(viaDirector, 1);
    assert.equal(got.length, listed.get(1));
    assert.ok(got.toString('latin1').endsWith(text.split('\r\n\r\n')[1] ?? ''), 'body differs from what was delivered');
    assert.ok(got.includes('Subject: hello through the director'));
    assert.deepEqual(got, await retr(direct, 1));
  } finally {
    await quit(viaDirector);
    await quit(direct);
  }
});

test('a ~10 MB message is RETR\'d intact', async () => {
  // 76-character base64 lines, like a big attachment.
  const raw = randomBytes(7_500_000).toString('base64').replace(/.{76}/g, '$&\r\n');
  const text = `From: a@example.org\r\nSubject: big\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n${raw}\r\n`;
  assert.ok(text.length > 10_000_000);
  await backend.deliver(mailbox.name, text);

  const viaDirector = await login('127.0.0.1', director.pop3 ?? 0, mailbox);
  const direct = await login(backend.host, backend.pop3, mailbox);
  try {
    const listed = await list(viaDirector);
    const n = Math.max(...listed.keys());
    const got = await retr(viaDirector, n);
    assert.equal(got.length, listed.get(n));
    assert.ok(got.toString('latin1').endsWith(`\r\n\r\n${raw}\r\n`), 'big body differs from what was delivered');
    assert.equal(sha256(got), sha256(await retr(direct, n)));
  } finally {
    await quit(viaDirector);
    await quit(direct);
  }
});
