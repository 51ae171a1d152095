// An LMTP delivery during `user move` (two directors in one ring, real
// slapd and Dovecot): the user's live IMAP session sits on backend A
// through d2, which is paused so the move's kick reaches it late; a
// recipient given to d1 after the move began must wait until that session
// is gone and then go to B (or get 451 when move_wait passes). Checked in
// the backends' own Maildirs: the message is on B only, never on A.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImapFlow } from 'imapflow';
import { main as cliMain } from '../../../src/cli/run.js';
import { startCluster, type Cluster, type ClusterUser } from '../../harness/cluster.js';
import type { CertFiles } from '../../harness/certs.js';
import type { DirectorHandle } from '../../harness/director.js';
import type { DovecotHandle } from '../../harness/dovecot.js';
import { adminCert, cliTlsArgs, ringOverrides } from '../../harness/ring.js';

let dir: string;
let cluster: Cluster;
let admin: CertFiles;

/** How long d2 stays paused: well under the ring's dead_after (2 s), so it is never counted dead. */
const PAUSE_MS = 1_000;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-lmtp-move-'));
  cluster = await startCluster({ dir, backends: 2, directors: 2, users: 10, directorOverrides: ringOverrides(dir) });
  admin = await adminCert(cluster);
});

after(async () => {
  for (const d of cluster?.directors ?? []) d.resume();
  await cluster?.stop();
  if (process.env['KEEP_TEST_DIR'] === undefined) await rm(dir, { recursive: true, force: true });
});

function director(i: number): DirectorHandle {
  const d = cluster.directors[i];
  assert.ok(d, `director ${i}`);
  return d;
}

function backend(id: string): DovecotHandle {
  const b = cluster.backends.find((x) => x.id === id);
  assert.ok(b, `backend ${id}`);
  return b;
}

async function cli(d: DirectorHandle, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const address = d.address('grpc');
  assert.ok(address !== null);
  const code = await cliMain([...args, '--director', address, ...cliTlsArgs(cluster, admin)], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: {},
  });
  return { code, stdout, stderr };
}

interface Where {
  readonly backend: string;
  readonly sessions: ReadonlyArray<{ director: string; backend: string }>;
}

async function where(u: ClusterUser, d: DirectorHandle): Promise<Where> {
  const r = await cli(d, 'user', 'where', u.name, '--json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Where;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(20);
  }
}

/** How many messages with this subject the backend's own Maildir holds for the user (new/ and cur/). */
async function inMaildir(b: DovecotHandle, user: string, subject: string): Promise<number> {
  let n = 0;
  for (const sub of ['new', 'cur']) {
    const folder = join(b.dir, 'mail', user, sub);
    const names = await readdir(folder).catch(() => [] as string[]);
    for (const name of names) if ((await readFile(join(folder, name), 'latin1')).includes(`Subject: ${subject}`)) n++;
  }
  return n;
}

function swaks(args: readonly string[]): Promise<{ code: number; out: string; endedAt: number }> {
  return new Promise((resolve) => {
    execFile('swaks', [...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, out: `${stdout}${stderr}`, endedAt: Date.now() });
    });
  });
}

test('LMTP during user move: held until the old session on A is gone, then delivered to B only', async () => {
  const u = cluster.usersOfKind('ring')[0];
  assert.ok(u);
  const fromId = (await where(u, director(0))).backend;
  const from = backend(fromId);
  const to = cluster.backends.find((b) => b.id !== fromId);
  assert.ok(to);

  // The live session, through d2, on A; d1 must know of it (ring-wide presence) before the move.
  const flow = new ImapFlow({
    host: director(1).host,
    port: Number(director(1).imaps),
    secure: true,
    auth: { user: u.name, pass: u.password },
    logger: false,
    tls: { ca: await readFile(cluster.ca.cert) },
  });
  flow.on('error', () => undefined);
  await flow.connect();
  const closed = new Promise<number>((resolve) => flow.once('close', () => resolve(Date.now())));
  await flow.mailboxOpen('INBOX');
  await until(`d1 sees ${u.name}'s session on ${fromId}`, 5_000, async () => {
    const w = await where(u, director(0));
    return w.sessions.some((s) => s.director === 'd2' && s.backend === fromId) ? true : undefined;
  });

  const subject = `move hold ${randomBytes(4).toString('hex')}`;
  // d2 cannot end its session until it runs again: the move, and the delivery, must wait for it.
  director(1).pause();
  let resumedAt = 0;
  try {
    const moveStarted = Date.now();
    const move = cli(director(0), 'user', 'move', u.name, '--to', to.id, '--delay', '0s', '--json');
    // The move has begun once LDAP names B: the log line comes right after the modify.
    await until('user move wrote LDAP', 5_000, async () =>
      (await readFile(director(0).logFile, 'utf8')).split('\n').some((l) => l.includes('user move: LDAP updated') && l.includes(`"user":"${u.name}"`)) ? true : undefined,
    );
    const delivery = swaks(['--protocol', 'LMTP', '--server', director(0).address('lmtp') ?? '', '--from', 'sender@example.org', '--to', `${u.name}@example.org`,
      '--header', `Subject: ${subject}`, '--body', 'sent while the user moves']);
    await sleep(Math.max(0, PAUSE_MS - (Date.now() - moveStarted)));
    resumedAt = Date.now();
    director(1).resume();

    const [moved, delivered, closedAt] = await Promise.all([move, delivery, closed]);
    assert.equal(moved.code, 0, moved.stderr);
    const result = JSON.parse(moved.stdout) as { from: string; to: string; complete: boolean };
    assert.deepEqual([result.from, result.to, result.complete], [fromId, to.id, true]);
    process.stderr.write(`# LMTP reply ${delivered.endedAt - resumedAt} ms after d2 resumed; its IMAP session closed ${closedAt - resumedAt} ms after\n`);

    if (delivered.code === 0) {
      assert.match(delivered.out, new RegExp(`250 2\\.0\\.0 <${u.name}@example\\.org> \\S+ Saved`), delivered.out);
      // Held: the answer came only once d2 could end the session on A.
      assert.ok(delivered.endedAt >= resumedAt, `answered ${resumedAt - delivered.endedAt} ms before d2 resumed`);
      assert.equal(await inMaildir(to, u.name, subject), 1, `on ${to.id} once`);
    } else {
      assert.match(delivered.out, /451 4\.2\.0 <[^>]+> Mailbox is being moved, try again later/, delivered.out);
      assert.equal(await inMaildir(to, u.name, subject), 0);
    }
    assert.equal(await inMaildir(from, u.name, subject), 0, `never on ${fromId}, where the user was`);
    const log = await readFile(director(0).logFile, 'utf8');
    assert.doesNotMatch(log, /sent while the user moves/, 'message bodies never reach the log');
  } finally {
    if (resumedAt === 0) director(1).resume();
    flow.close();
  }
});
