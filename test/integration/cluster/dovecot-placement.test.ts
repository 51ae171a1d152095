// ring.placement: dovecot against a real Dovecot 2.3 director over the same
// real backends: for 1,000 users, `doveadm director status USER` and
// `mail-director user where USER` name the same backend, before and after a
// vhost_count (weight) change and a host down (docs/migrate-from-dovecot-director.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { main as cliMain } from '../../../src/cli/run.js';
import { createCa } from '../../harness/certs.js';
import { DIRECTOR_CLI_ARGS, REPO_ROOT, startDirector, type DirectorHandle } from '../../harness/director.js';
import { startDovecot, type DovecotHandle } from '../../harness/dovecot.js';
import { startDovecotDirector, type DovecotDirectorHandle } from '../../harness/dovecot-director.js';
import { run } from '../../harness/exec.js';
import { startSlapd, type LdapUser, type SlapdHandle } from '../../harness/slapd.js';

const USERS = 1000;
const TAG = 'big';
/** Backends b1..b3 serve untagged users, b4 and b5 the tag `big` (Dovecot: IP@big). */
const BACKENDS: ReadonlyArray<{ id: string; host: string; tag: string }> = [
  { id: 'b1', host: '127.0.0.11', tag: '' },
  { id: 'b2', host: '127.0.0.12', tag: '' },
  { id: 'b3', host: '127.0.0.13', tag: '' },
  { id: 'b4', host: '127.0.0.14', tag: TAG },
  { id: 'b5', host: '127.0.0.15', tag: TAG },
];

interface TestUser {
  readonly name: string;
  readonly tag: string;
}

/** Spellings that exercise %Lu: plain, mixed case with a domain, dots, underscores; every fifth user tagged. */
function testUsers(): TestUser[] {
  const out: TestUser[] = [];
  for (let i = 1; i <= USERS; i++) {
    const n = String(i).padStart(4, '0');
    const name = [`user${n}`, `User${n}@Example.ORG`, `first.Last${n}@dept.example.org`, `X_${n}-y@EXAMPLE.net`][i % 4]!;
    out.push({ name, tag: i % 5 === 0 ? TAG : '' });
  }
  return out;
}

let dir: string;
let slapd: SlapdHandle | undefined;
let backends: DovecotHandle[] = [];
let dovecotDirector: DovecotDirectorHandle | undefined;
let director: DirectorHandle | undefined;
const users = testUsers();
let usersFile: string;
const timings: string[] = [];

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await cliMain([...args, '--director', director!.address('grpc')!], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: {},
  });
  return { code, stdout, stderr };
}

async function waitBackends(want: Readonly<Record<string, string>>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const r = await cli('status', '--json');
    const status = JSON.parse(r.stdout) as { backends: Array<{ id: string; state: string }> };
    const states = Object.fromEntries(status.backends.map((b) => [b.id, b.state]));
    last = JSON.stringify(states);
    if (Object.entries(want).every(([id, state]) => states[id] === state)) return;
    await sleep(200);
  }
  assert.fail(`backends never reached ${JSON.stringify(want)}; last ${last}`);
}

/** `mail-director user where --json --users-file`: the real CLI, one process for all users. */
async function mailDirectorPlacement(): Promise<Map<string, string>> {
  const { stdout } = await run(process.execPath, [
    ...DIRECTOR_CLI_ARGS,
    'user',
    'where',
    '--json',
    '--users-file',
    usersFile,
    '--director',
    director!.address('grpc')!,
  ], { timeoutMs: 60_000 });
  const lines = stdout.trimEnd().split('\n');
  assert.equal(lines.length, users.length, 'one JSON line per user');
  const out = new Map<string, string>();
  lines.forEach((line, i) => {
    const w = JSON.parse(line) as { user: string; reason: string; host: string; detail: string };
    assert.equal(w.reason, 'ring', `${users[i]!.name}: ${w.reason} ${w.detail}`);
    // The passdb's spelling (uid) comes back; the file's order is kept.
    assert.equal(w.user, users[i]!.name);
    out.set(w.user, w.host);
  });
  return out;
}

/** Dovecot's "Hashed:" host per user, each asked in its own tag's ring. */
async function dovecotPlacement(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const tag of ['', TAG]) {
    const names = users.filter((u) => u.tag === tag).map((u) => u.name);
    for (const r of await dovecotDirector!.lookupMany(names, tag)) out.set(r.user, r.hashed);
  }
  return out;
}

/** One round: every user on the same host both ways; a sample through the doveadm binary itself. */
async function compare(round: string, upHosts: readonly string[]): Promise<Map<string, string>> {
  const started = Date.now();
  const [ours, theirs] = await Promise.all([mailDirectorPlacement(), dovecotPlacement()]);
  timings.push(`${round}: both placements of ${users.length} users in ${Date.now() - started} ms`);
  const differ = users.filter((u) => ours.get(u.name) !== theirs.get(u.name));
  assert.deepEqual(
    differ.slice(0, 10).map((u) => `${u.name}: mail-director ${ours.get(u.name)}, dovecot ${theirs.get(u.name)}`),
    [],
    `${round}: ${differ.length} of ${users.length} users placed differently`,
  );
  // The socket lookups are what `doveadm director status` asks; show it answers the same.
  for (const u of [...users.slice(0, 4), ...users.filter((x) => x.tag === TAG).slice(0, 2)]) {
    assert.equal(await dovecotDirector!.statusUser(u.name, u.tag), theirs.get(u.name), `${round}: doveadm director status ${u.name}`);
  }
  // Every host that is up gets users: the comparison is not one host against one host.
  const used = new Set(ours.values());
  assert.deepEqual([...used].sort(), [...upHosts].sort(), `${round}: hosts in use`);
  return ours;
}

function moved(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): number {
  return [...a].filter(([user, host]) => b.get(user) !== host).length;
}

before(async () => {
  const setUpAt = Date.now();
  dir = mkdtempSync(join(tmpdir(), 'md-dovecot-placement-'));
  usersFile = join(dir, 'users.txt');
  writeFileSync(usersFile, `# ${USERS} users, one a line\n${users.map((u) => u.name).join('\n')}\n`);
  const ldapUsers: LdapUser[] = users.map((u): LdapUser => {
    const attrs: Record<string, string> = u.tag === '' ? {} : { mailDirectorTag: u.tag };
    return { uid: u.name, password: 'pw', attrs };
  });
  const ca = await createCa(join(dir, 'ca'), 'mail-director-test-ca');
  // allSettled: whatever started is stopped by after() even when another start failed.
  const [ldap, dd, ...started] = await Promise.allSettled([
    startSlapd({ dir: join(dir, 'ldap'), users: ldapUsers }),
    startDovecotDirector({ dir: join(dir, 'dovecot-director'), mailServers: BACKENDS.map((b) => (b.tag === '' ? b.host : `${b.host}@${b.tag}`)) }),
    ...BACKENDS.map((b) => startDovecot({ dir: join(dir, b.id), id: b.id, host: b.host, users: [], trustedNetworks: ['127.0.0.0/8'], ca })),
  ]);
  if (ldap.status === 'fulfilled') slapd = ldap.value as SlapdHandle;
  if (dd.status === 'fulfilled') dovecotDirector = dd.value as DovecotDirectorHandle;
  backends = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value as DovecotHandle] : []));
  const failed = [ldap, dd, ...started].find((r) => r.status === 'rejected');
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  director = await startDirector({
    dir: join(dir, 'd1'),
    id: 'd1',
    ca,
    ldap: slapd!,
    backends: backends.map((b, i) => ({ ...b, tag: BACKENDS[i]!.tag })),
    listen: ['imap', 'grpc'],
    overrides: {
      // Dovecot's name for the hash key, as the migration guide writes it.
      ring: { placement: 'dovecot', hash_key: null, username_hash: '%Lu', probe: { interval: '500ms' } },
      // Placement does not depend on LDAP changes here: cached lookups keep the later rounds short.
      cache: { size: 5000 },
      passdb: { search_pool_size: 8 },
    },
  });
  await waitBackends({ b1: 'up', b2: 'up', b3: 'up', b4: 'up', b5: 'up' });
  timings.push(`set-up (slapd with ${USERS} users, ${BACKENDS.length} Dovecot backends, Dovecot director, mail-director): ${Date.now() - setUpAt} ms`);
});

after(async () => {
  await director?.stop();
  await dovecotDirector?.stop();
  await Promise.all(backends.map((b) => b.stop()));
  await slapd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('1,000 users: the same backend as Dovecot 2.3 director, before and after a vhost_count change and a host down', { timeout: 120_000 }, async (t) => {
  for (const line of timings) t.diagnostic(line);
  const all = BACKENDS.map((b) => b.host);
  const initial = await compare('all up, vhost_count 100', all);
  t.diagnostic(`all up: ${USERS} users placed alike`);

  // doveadm director update IP VHOSTCOUNT is `backend weight ID N`: the weight is the vhost_count.
  await dovecotDirector!.doveadm('update', '127.0.0.12', '50');
  assert.equal((await cli('backend', 'weight', 'b2', '50')).code, 0);
  const reweighted = await compare('b2 at vhost_count 50', all);
  const movedByWeight = moved(initial, reweighted);
  assert.ok(movedByWeight > 0, 'halving a vhost_count moves some users');
  t.diagnostic(`vhost_count 100 -> 50 on 127.0.0.12: ${movedByWeight} users moved, alike on both`);

  // doveadm director down IP is `backend down ID`: the host leaves the ring, its users go elsewhere.
  await dovecotDirector!.doveadm('down', '127.0.0.13');
  assert.equal((await cli('backend', 'down', 'b3')).code, 0);
  await waitBackends({ b3: 'down' });
  const down = await compare('127.0.0.13 down', all.filter((h) => h !== '127.0.0.13'));
  const movedByDown = moved(reweighted, down);
  assert.equal(movedByDown, [...reweighted.values()].filter((h) => h === '127.0.0.13').length, 'only the down host\'s users move');
  t.diagnostic(`127.0.0.13 down: ${movedByDown} users moved, alike on both`);
  for (const line of timings) t.diagnostic(line);
});

/** The comparison block of the migration guide, as an operator runs it. */
function guideComparison(): string {
  const guide = readFileSync(join(REPO_ROOT, 'docs/migrate-from-dovecot-director.md'), 'utf8');
  const block = /<!-- compare: begin[^>]*-->\s*```bash\n([\s\S]*?)```\s*<!-- compare: end -->/.exec(guide);
  assert.ok(block !== null, 'docs/migrate-from-dovecot-director.md has its compare block');
  return block[1]!;
}

test('the migration guide\'s comparison, run as written, finds every user on the same backend', { timeout: 60_000 }, async () => {
  const work = join(dir, 'guide');
  const bin = join(work, 'bin');
  mkdirSync(bin, { recursive: true });
  // On the Dovecot director's host `doveadm` reads its own dovecot.conf; here that is the harness's file.
  writeFileSync(join(bin, 'doveadm'), `#!/bin/sh\nexec /usr/bin/doveadm -c ${dovecotDirector!.configFile} "$@"\n`);
  chmodSync(join(bin, 'doveadm'), 0o755);
  const sample = [...users.filter((u) => u.tag === '').slice(0, 8), ...users.filter((u) => u.tag === TAG).slice(0, 4)];
  writeFileSync(join(work, 'users.tsv'), sample.map((u) => (u.tag === '' ? u.name : `${u.name}\t${u.tag}`)).join('\n') + '\n');
  const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) => {
    execFile(
      'bash',
      ['-euo', 'pipefail', '-c', guideComparison()],
      {
        cwd: work,
        timeout: 50_000,
        env: { ...process.env, PATH: `${bin}:${join(REPO_ROOT, 'bin')}:${process.env['PATH'] ?? ''}`, MAIL_DIRECTOR_ADDR: director!.address('grpc')! },
      },
      (err, out, errOut) => (err === null ? resolve({ stdout: out }) : reject(new Error(`${err.message}\n${out}\n${errOut}`))),
    );
  });
  assert.match(stdout, /same backend for every user/);
  const compared = readFileSync(join(work, 'mail-director.tsv'), 'utf8').trimEnd().split('\n');
  assert.equal(compared.length, sample.length);
  assert.ok(compared.every((line) => /^\S+\t127\.0\.0\.1[1-5]$/.test(line)), compared.join('\n'));
});
