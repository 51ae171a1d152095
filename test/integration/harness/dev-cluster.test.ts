import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImapFlow } from 'imapflow';
import type { ClusterJson } from '../../harness/cluster.js';
import { parseLoginEvents } from '../../harness/dovecot.js';
import { REPO_ROOT } from '../../harness/director.js';
import { LineClient } from '../../harness/lines.js';
import { groupMembers, isAlive } from '../../harness/process.js';

const SCRIPT = join(REPO_ROOT, 'scripts/dev-cluster');
let dir: string;
let cluster: ClusterJson;
let upOutput: string;

function devCluster(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    // execFile waits for our pipes to close: if a started server kept them, this would hang.
    execFile(SCRIPT, args, { timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-devcluster-'));
  await rm(dir, { recursive: true });
  upOutput = await devCluster('up', '--directors', '1', '--backends', '2', '--users', '10', '--dir', dir);
  cluster = JSON.parse(await readFile(join(dir, 'cluster.json'), 'utf8')) as ClusterJson;
});

after(async () => {
  await devCluster('down', '--dir', dir).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

function pidsOf(c: ClusterJson): number[] {
  return [...c.directors.map((d) => d.pid), ...c.backends.map((b) => b.pid)];
}

test('up returns with every service running and cluster.json in the shape docs/invariants.md gives', () => {
  assert.match(upOutput, /user0001/);
  assert.deepEqual(Object.keys(cluster).sort(), ['backends', 'cli', 'directors', 'ldap', 'tls', 'users']);
  assert.match(cluster.ldap.url, /^ldap:\/\/127\.0\.0\.1:\d+$/);
  for (const f of ['host', 'proxy', 'destuser', 'delay_until', 'director_tag', 'nologin']) assert.ok(cluster.ldap.fields[f], f);
  const [d] = cluster.directors;
  assert.ok(d);
  assert.match(d.imap ?? '', /^127\.0\.0\.1:\d+$/);
  for (const key of ['grpc', 'submission', 'submissions', 'sieve'] as const) assert.match(d[key] ?? '', /^127\.0\.0\.1:\d+$/, key);
  assert.match(d.lmtp ?? '', /^127\.0\.0\.1:\d+$/);
  assert.ok(d.lmtp_socket !== null && statSync(d.lmtp_socket).isSocket(), `lmtp_socket ${d.lmtp_socket}`);
  assert.deepEqual(cluster.backends.map((b) => b.host), ['127.0.0.11', '127.0.0.12']);
  for (const b of cluster.backends) {
    for (const key of ['imap', 'pop3', 'submission', 'lmtp', 'sieve'] as const) assert.ok(Number.isInteger(b[key]) && b[key] > 0, `${b.id} ${key}`);
  }
  assert.equal(cluster.users.length, 11, 'ten users and alias0001');
  for (const kind of ['ring', 'host', 'proxy_maybe', 'proxy_always', 'nologin', 'destuser']) {
    assert.ok(cluster.users.some((u) => u.kind === kind), kind);
  }
  assert.ok(cluster.cli.includes('--director'));
  assert.ok(pidsOf(cluster).every(isAlive));
});

test('files holding passwords are not readable by other users; config check finds nothing to warn about', async () => {
  const modeOf = (path: string): number => statSync(path).mode & 0o777;
  assert.equal(modeOf(join(dir, 'cluster.json')), 0o600, 'cluster.json');
  for (const file of ['d1/director-d1.yaml', 'ldap/init.ldif', 'ldap/slapd.conf']) assert.equal(modeOf(join(dir, file)) & 0o007, 0, `${file}: mode ${modeOf(join(dir, file)).toString(8)}`);
  const check = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    execFile(join(REPO_ROOT, 'bin/mail-director'), ['config', 'check', join(dir, 'd1/director-d1.yaml')], { timeout: 30_000 }, (err, stdout, stderr) => (err ? reject(err) : resolve({ stdout, stderr })));
  });
  assert.match(check.stdout, /: OK$/m);
  assert.equal(check.stderr, '', 'no warnings');
});

test('a host user logs in through the director and lands on its backend', async () => {
  const ldif = await readFile(join(dir, 'ldap/init.ldif'), 'utf8');
  const user = cluster.users.find((u) => u.kind === 'host');
  assert.ok(user);
  const host = new RegExp(`dn: uid=${user.name},[^]*?mailHost: (\\S+)`).exec(ldif)?.[1];
  const backend = cluster.backends.find((b) => b.host === host);
  assert.ok(backend, `backend for ${host}`);
  const [dHost, dPort] = (cluster.directors[0]?.imap ?? '').split(':');
  const c = await LineClient.connect(dHost ?? '', Number(dPort));
  try {
    await c.readUntil((l) => l.startsWith('* OK'));
    c.send(`a LOGIN ${user.name} "${user.password}"`);
    assert.match((await c.readUntil((l) => l.startsWith('a '))).at(-1) ?? '', /^a OK /);
  } finally {
    c.close();
  }
  let seen = false;
  for (let i = 0; i < 50 && !seen; i++) {
    seen = parseLoginEvents(await readFile(backend.log, 'utf8')).some((e) => e.user === user.name && e.event === 'login');
    if (!seen) await sleep(20);
  }
  assert.ok(seen, `login of ${user.name} in ${backend.log}`);
});

/** The one line of `up`'s output that matches `pattern`, as a command line. */
function printedLine(pattern: RegExp): string {
  const line = upOutput.split('\n').find((l) => pattern.test(l));
  assert.ok(line !== undefined, `no line like ${pattern} in:\n${upOutput}`);
  return line.trim();
}

function shell(line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', line], { timeout: 30_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${line}\n${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout)));
  });
}

/** Sender and subject of each message in the user's INBOX, read through the director's IMAPS port. */
async function inbox(name: string): Promise<Array<{ from: string; subject: string }>> {
  const u = cluster.users.find((x) => x.name === name);
  assert.ok(u, name);
  const [host, port] = (cluster.directors[0]?.imaps ?? '').split(':');
  const flow = new ImapFlow({ host: host ?? '', port: Number(port), secure: true, auth: { user: u.name, pass: u.password }, logger: false, tls: { ca: await readFile(cluster.tls.ca) } });
  flow.on('error', () => undefined);
  await flow.connect();
  try {
    const lock = await flow.getMailboxLock('INBOX');
    try {
      const out: Array<{ from: string; subject: string }> = [];
      for await (const m of flow.fetch('1:*', { envelope: true })) out.push({ from: m.envelope?.from?.[0]?.address ?? '', subject: m.envelope?.subject ?? '' });
      return out;
    } finally {
      lock.release();
    }
  } finally {
    await flow.logout().catch(() => undefined);
  }
}

async function postfixLog(): Promise<string> {
  return readFile(join(dir, 'postfix/postfix.log'), 'utf8').catch(() => '');
}

test('the printed swaks line submits through a director; Postfix delivers it through a director\'s LMTP to the recipient\'s INBOX', async () => {
  const line = printedLine(/^ {2}swaks .* --tls /);
  const from = /--from (\S+)/.exec(line)?.[1] ?? '';
  const to = /--to (\S+)@example\.org/.exec(line)?.[1] ?? '';
  assert.match(from, /^user\d+@example\.org$/);
  await shell(line);
  const deadline = Date.now() + 15_000;
  let senders: string[] = [];
  while (!(senders = (await inbox(to)).map((m) => m.from)).includes(from)) {
    assert.ok(Date.now() < deadline, `no message from ${from} in ${to}'s INBOX (${senders.join(', ')})\n${await postfixLog()}`);
    await sleep(250);
  }
  // Postfix handed it to the first director's LMTP port, not to a backend.
  const lmtp = cluster.directors[0]?.lmtp ?? '';
  const log = await postfixLog();
  assert.match(log, new RegExp(`to=<${to}@example\\.org>, relay=\\S*\\[${lmtp.replace(/[.]/g, '\\.').replace(':', '\\]:')}, .*status=sent \\(250 2\\.0\\.0 <${to}@example\\.org> \\S+ Saved\\)`), log);
});

test('the printed swaks --protocol LMTP line delivers through a director; the message is in the INBOX', async () => {
  const line = printedLine(/^ {2}swaks --protocol LMTP --server /);
  const to = /--to (\S+)@example\.org/.exec(line)?.[1] ?? '';
  assert.match(to, /^user\d+$/);
  const before = (await inbox(to)).length;
  const out = await shell(line);
  assert.match(out, new RegExp(`250 2\\.0\\.0 <${to}@example\\.org> \\S+ Saved`), out);
  const after = await inbox(to);
  assert.equal(after.length, before + 1, JSON.stringify(after));
  // swaks's own default subject ("test DATE").
  assert.match(after.at(-1)?.subject ?? '', /^test /);
});

test('the printed sieve-connect line lists the user\'s scripts through a director', async () => {
  await shell(printedLine(/ sieve-connect .* --list$/));
});

test('up refuses to start over a running cluster; down stops exactly its processes', async () => {
  await assert.rejects(devCluster('up', '--dir', dir), /already running/);
  const slapdPid = Number(/ldap \(pid (\d+)\)/.exec(upOutput)?.[1]);
  const postfixPid = Number(/postfix \(pid (\d+)\)/.exec(upOutput)?.[1]);
  assert.ok(isAlive(postfixPid), 'postfix runs');
  const pids = [...pidsOf(cluster), slapdPid, postfixPid];
  const out = await devCluster('down', '--dir', dir);
  assert.equal(out.match(/^stopped: /gm)?.length, pids.length, out);
  for (const pid of pids) {
    assert.equal(isAlive(pid), false, `pid ${pid}`);
    assert.deepEqual(groupMembers(pid), []);
  }
  assert.match(await devCluster('down', '--dir', dir), /no dev cluster/);
});
