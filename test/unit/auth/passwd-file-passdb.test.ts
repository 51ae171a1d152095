import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { PasswdFilePassdb } from '../../../src/auth/passwd-file-passdb.js';
import { parsePasswdFile } from '../../../src/auth/passwd-file.js';
import type { AuthRequest } from '../../../src/auth/passdb.js';
import { Secret } from '../../../src/core/secret.js';

const log = pino({ level: 'silent' });
const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

function req(user: string, password: string): AuthRequest {
  return { user, password: new Secret(password), protocol: 'pop3', sessionId: 's', remoteIp: '127.0.0.1', localIp: '127.0.0.1' };
}

// doveadm pw -s SHA512-CRYPT -p file-pw
const HASH = '{SHA512-CRYPT}$6$LUVC02X5e88tRMhS$oxktsQ6lxWkvBp8WpINx8Yb9be46Pb21cNQXYmcdXUa9gPuJIR2mBgg2Fu6xEXO/ciO4OlurIz6hiw4Mn/3xt0';

const FILE = [
  '# users',
  `alice@example.org:${HASH}:1000:1000::/home/alice::proxy_maybe host=127.0.0.11 port=1143 userdb_quota=1G`,
  'bob:{PLAIN}bob-pw::::::host=::1 destuser=bob@backend',
  'nopass::::::: nopassword proxy host=10.0.0.9',
  'broken:{PLAIN}x::::::port=abc',
  'legacy:{PLAIN}legacy-pw',
  '',
].join('\n');

async function file(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'passwd-file-'));
  dirs.push(dir);
  const path = join(dir, 'users');
  await writeFile(path, text);
  return path;
}

test('parsePasswdFile: columns, extra fields with colons, bare flags, comments', () => {
  const { entries, problems } = parsePasswdFile(FILE + ':nouser\nbob:dup\n');
  assert.equal(entries.size, 5);
  assert.equal(entries.get('bob')?.fields.get('host'), '::1');
  assert.equal(entries.get('nopass')?.fields.get('nopassword'), 'y');
  assert.equal(entries.get('legacy')?.password, '{PLAIN}legacy-pw');
  assert.deepEqual(problems.map((p) => p.line), [7, 8]);
});

test('authenticate with SHA512-CRYPT and PLAIN entries, fields from the extra column', async () => {
  const p = new PasswdFilePassdb({ driver: 'passwd-file', path: await file(FILE) }, log);
  const alice = await p.authenticate(req('alice@example.org', 'file-pw'));
  assert.equal(alice.kind, 'ok');
  if (alice.kind === 'ok') {
    assert.equal(alice.fields.proxy, 'proxy_maybe');
    assert.equal(alice.fields.host, '127.0.0.11');
    assert.equal(alice.fields.port, 1143);
  }
  assert.deepEqual(await p.authenticate(req('alice@example.org', 'nope')), { kind: 'fail', detail: 'wrong password' });
  assert.equal((await p.authenticate(req('bob', 'bob-pw'))).kind, 'ok');
  assert.equal((await p.authenticate(req('legacy', 'legacy-pw'))).kind, 'ok');
  assert.deepEqual(await p.authenticate(req('bob', '')), { kind: 'fail', detail: 'empty password' });
  assert.deepEqual(await p.authenticate(req('carol', 'x')), { kind: 'fail', detail: 'unknown user' });
  const nopass = await p.authenticate(req('nopass', ''));
  assert.equal(nopass.kind, 'ok');
  if (nopass.kind === 'ok') assert.equal(nopass.fields.proxy, 'proxy');
  assert.equal((await p.authenticate(req('broken', 'x'))).kind, 'tempfail');
  assert.equal((await p.authenticate(req('bad user', 'x'))).kind, 'fail');
  const lookup = await p.lookup('bob');
  assert.equal(lookup.kind, 'ok');
  if (lookup.kind === 'ok') assert.equal(lookup.fields.destuser, 'bob@backend');
});

test('the file is re-read when it changes', async () => {
  const path = await file('bob:{PLAIN}one\n');
  const p = new PasswdFilePassdb({ driver: 'passwd-file', path }, log);
  assert.equal((await p.authenticate(req('bob', 'one'))).kind, 'ok');
  await writeFile(path, 'bob:{PLAIN}two\n');
  // Same size; make sure the mtime differs even on coarse clocks.
  const later = new Date(Date.now() + 5_000);
  await utimes(path, later, later);
  assert.equal((await p.authenticate(req('bob', 'one'))).kind, 'fail');
  assert.equal((await p.authenticate(req('bob', 'two'))).kind, 'ok');
});

test('a missing file is a temporary failure', async () => {
  const p = new PasswdFilePassdb({ driver: 'passwd-file', path: join(tmpdir(), 'does-not-exist-passwd-file') }, log);
  assert.equal((await p.authenticate(req('bob', 'x'))).kind, 'tempfail');
  assert.equal((await p.lookup('bob')).kind, 'tempfail');
});
