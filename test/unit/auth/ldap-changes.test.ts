import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { LdapChangeWatcher } from '../../../src/auth/ldap-changes.js';
import type { ChangeDirectory, LdapUserChange } from '../../../src/auth/ldap-changes.js';
import type { SearchSpec } from '../../../src/adapters/ldap/directory.js';
import { Deadline } from '../../../src/adapters/ldap/deadline.js';
import type { FoundEntry } from '../../../src/adapters/ldap/entry.js';
import { LdapError } from '../../../src/adapters/ldap/errors.js';
import { formatGeneralizedTime } from '../../../src/adapters/ldap/generalized-time.js';
import type { FieldMapEntry, LdapPassdbConfig } from '../../../src/config/types.js';

/** Start of the test world, on a whole second. */
const T0 = Date.UTC(2024, 0, 31, 12, 0, 0);

function capture(): { log: pino.Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void records.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, records };
}

function field(name: string, attribute: string): FieldMapEntry {
  return { field: name, attribute, constant: undefined };
}

function config(overrides: Partial<LdapPassdbConfig> = {}): LdapPassdbConfig {
  return {
    driver: 'ldap',
    uris: ['ldap://127.0.0.1:1'],
    bindDn: undefined,
    bindPassword: undefined,
    base: 'ou=people,dc=example,dc=org',
    scope: 'sub',
    filter: '(&(objectClass=inetOrgPerson)(uid=%u))',
    authBind: true,
    passwordAttribute: 'userPassword',
    fields: [field('host', 'mailHost'), field('port', 'mailPort')],
    timeoutMs: 1000,
    connectTimeoutMs: 1000,
    searchPoolSize: 1,
    bindPoolSize: 1,
    startTls: false,
    caFile: undefined,
    ca: undefined,
    changePollMs: 500,
    ...overrides,
  };
}

/** A directory whose contents the test edits; answers with entries whose modifyTimestamp passes the filter's floor. */
class FakeDirectory implements ChangeDirectory {
  readonly entries = new Map<string, Record<string, string[]>>();
  readonly specs: SearchSpec[] = [];
  failWith: unknown;
  closed = false;

  put(dn: string, modifiedAtMs: number, attrs: Record<string, string> = {}, csn?: string): void {
    const entry: Record<string, string[]> = { modifytimestamp: [formatGeneralizedTime(modifiedAtMs)] };
    if (csn !== undefined) entry['entrycsn'] = [csn];
    for (const [k, v] of Object.entries(attrs)) entry[k.toLowerCase()] = [v];
    this.entries.set(dn, entry);
  }

  async findAll(spec: SearchSpec): Promise<FoundEntry[]> {
    this.specs.push(spec);
    if (this.failWith !== undefined) throw this.failWith;
    const floor = /modifyTimestamp>=(\d{14}Z)/.exec(spec.filter.toString())?.[1];
    assert.ok(floor !== undefined, `filter without a floor: ${spec.filter.toString()}`);
    const out: FoundEntry[] = [];
    for (const [dn, attrs] of this.entries) {
      const stamp = attrs['modifytimestamp']?.[0] ?? '';
      if (stamp >= floor) out.push({ dn, attributes: new Map(Object.entries(attrs)) });
    }
    return out;
  }

  deadline(): Deadline {
    return Deadline.after(1000);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function setup(overrides: Partial<LdapPassdbConfig> = {}, errorLogIntervalMs = 30_000) {
  const directory = new FakeDirectory();
  const { log, records } = capture();
  let now = T0;
  const watcher = new LdapChangeWatcher(config(overrides), log, {
    directory,
    now: () => now,
    startWindowMs: 60_000,
    errorLogIntervalMs,
  });
  const batches: (readonly LdapUserChange[])[] = [];
  watcher.onUsersChanged((changes) => void batches.push(changes));
  const dn = (uid: string): string => `uid=${uid},ou=people,dc=example,dc=org`;
  return { directory, watcher, batches, records, dn, advance: (ms: number) => (now += ms) };
}

test('entries changed before start are not reported; changes after start are, with their fields', async () => {
  const { directory, watcher, dn } = setup();
  directory.put(dn('old'), T0 - 30_000, { uid: 'old', mailHost: '10.0.0.1' });
  const first = await watcher.pollOnce();
  assert.deepEqual(first, []);
  directory.put(dn('alice'), T0 + 2000, { uid: 'alice', mailHost: '10.0.0.2', mailPort: '1143' });
  const second = await watcher.pollOnce();
  assert.equal(second.length, 1);
  const change = second[0];
  assert.ok(change !== undefined);
  assert.equal(change.user, 'alice');
  assert.equal(change.dn, dn('alice'));
  assert.equal(change.modifiedAt, T0 + 2000);
  assert.equal(change.fields?.host, '10.0.0.2');
  assert.equal(change.fields?.port, 1143);
  await watcher.stop();
});

test('an unchanged entry is reported once, not again on later polls', async () => {
  const { directory, watcher, batches, dn } = setup();
  await watcher.pollOnce();
  directory.put(dn('alice'), T0 + 1000, { uid: 'alice', mailHost: 'a' });
  await watcher.pollOnce();
  await watcher.pollOnce();
  await watcher.pollOnce();
  assert.deepEqual(batches.map((b) => b.map((c) => c.user)), [['alice']]);
  await watcher.stop();
});

test('a second change within the same second is still reported (entryCSN or values differ)', async () => {
  const { directory, watcher, batches, dn } = setup();
  await watcher.pollOnce();
  directory.put(dn('alice'), T0 + 3000, { uid: 'alice', mailHost: 'a' }, '20240131120003.000001Z#000000#000#000000');
  await watcher.pollOnce();
  // A password change: no requested value differs, only the CSN.
  directory.put(dn('alice'), T0 + 3000, { uid: 'alice', mailHost: 'a' }, '20240131120003.500000Z#000000#000#000000');
  await watcher.pollOnce();
  // No CSN (another server), but a field value changed.
  directory.put(dn('bob'), T0 + 3000, { uid: 'bob', mailHost: 'x' });
  await watcher.pollOnce();
  directory.put(dn('bob'), T0 + 3000, { uid: 'bob', mailHost: 'y' });
  await watcher.pollOnce();
  assert.deepEqual(
    batches.map((b) => b.map((c) => `${c.user}:${c.fields?.host}`)),
    [['alice:a'], ['alice:a'], ['bob:x'], ['bob:y']],
  );
  await watcher.stop();
});

test('the search starts one second before the newest modifyTimestamp seen, with the objectClass part of the filter', async () => {
  const { directory, watcher, dn } = setup();
  await watcher.pollOnce();
  assert.equal(directory.specs[0]?.filter.toString(), `(&(objectClass=inetOrgPerson)(modifyTimestamp>=${formatGeneralizedTime(T0 - 61_000)}))`);
  directory.put(dn('alice'), T0 + 10_000, { uid: 'alice' });
  await watcher.pollOnce();
  await watcher.pollOnce();
  assert.equal(directory.specs[2]?.filter.toString(), `(&(objectClass=inetOrgPerson)(modifyTimestamp>=${formatGeneralizedTime(T0 + 9000)}))`);
  assert.equal(directory.specs[2]?.base, 'ou=people,dc=example,dc=org');
  assert.ok(directory.specs[2]?.attributes.includes('modifyTimestamp'));
  assert.ok(directory.specs[2]?.attributes.includes('mailHost'));
  assert.ok(directory.specs[2]?.attributes.includes('uid'));
  assert.ok(!directory.specs[2]?.attributes.some((a) => a.toLowerCase() === 'userpassword'));
  await watcher.stop();
});

test('a larger overlap catches a change that arrives late with an older timestamp (replication lag)', async () => {
  for (const [overlapMs, expected] of [[undefined, ['bob']], [30_000, ['bob', 'alice']]] as const) {
    const directory = new FakeDirectory();
    const watcher = new LdapChangeWatcher(config(), pino({ level: 'silent' }), { directory, now: () => T0, overlapMs });
    const users: string[] = [];
    watcher.onUsersChanged((changes) => void users.push(...changes.map((c) => c.user)));
    await watcher.pollOnce();
    directory.put('uid=bob,o=x', T0 + 20_000, { uid: 'bob' });
    await watcher.pollOnce();
    // Replicated 10 s late: its modifyTimestamp is older than bob's.
    directory.put('uid=alice,o=x', T0 + 10_000, { uid: 'alice' });
    await watcher.pollOnce();
    assert.deepEqual(users, expected, `overlap ${overlapMs}`);
    await watcher.stop();
  }
});

test('LDAP down: failures are logged with rate limiting, and changes made meanwhile are reported after recovery', async () => {
  const { directory, watcher, batches, records, dn } = setup();
  await watcher.pollOnce();
  directory.put(dn('alice'), T0 + 1000, { uid: 'alice' });
  await watcher.pollOnce();
  directory.failWith = new LdapError('unavailable', 'connect ECONNREFUSED', 'ldap://127.0.0.1:1');
  for (let i = 0; i < 5; i++) assert.deepEqual(await watcher.pollOnce(), []);
  const failures = records.filter((r) => r['msg'] === 'LDAP change poll failed; retrying');
  assert.equal(failures.length, 1, 'one line for five failures within the log interval');
  assert.equal(failures[0]?.['kind'], 'unavailable');
  directory.put(dn('bob'), T0 + 5000, { uid: 'bob' });
  directory.failWith = undefined;
  await watcher.pollOnce();
  assert.deepEqual(batches.map((b) => b.map((c) => c.user)), [['alice'], ['bob']]);
  const resumed = records.find((r) => r['msg'] === 'LDAP change polling resumed');
  assert.equal(resumed?.['failures'], 5);
  assert.equal(resumed?.['suppressed'], 4);
  await watcher.stop();
});

test('an unexpected error in the search is logged, not thrown', async () => {
  const { directory, watcher, records } = setup();
  directory.failWith = new TypeError('boom');
  assert.deepEqual(await watcher.pollOnce(), []);
  assert.ok(records.some((r) => r['msg'] === 'LDAP change poll failed unexpectedly; retrying' && (r['err'] as { message?: unknown } | undefined)?.message === 'boom'));
  await watcher.stop();
});

test('user name: field map `user`, else the %u attribute, else %n@%d, else the first RDN', async () => {
  const cases: { overrides: Partial<LdapPassdbConfig>; attrs: Record<string, string>; dn: string; user: string }[] = [
    { overrides: { fields: [field('user', 'mail')] }, attrs: { mail: 'alice@example.org', uid: 'alice' }, dn: 'uid=alice,o=x', user: 'alice@example.org' },
    { overrides: { filter: '(&(objectClass=inetOrgPerson)(mail=%u))', fields: [] }, attrs: { mail: 'a@b.c' }, dn: 'cn=x,o=x', user: 'a@b.c' },
    { overrides: { filter: '(&(uid=%n)(domain=%d))', fields: [] }, attrs: { uid: 'al', domain: 'ex.org' }, dn: 'cn=x,o=x', user: 'al@ex.org' },
    { overrides: { filter: '(objectClass=person)', fields: [] }, attrs: {}, dn: 'cn=Carol Smith,o=x', user: 'Carol Smith' },
  ];
  for (const c of cases) {
    const { directory, watcher, batches } = setup(c.overrides);
    await watcher.pollOnce();
    directory.put(c.dn, T0 + 1000, c.attrs);
    await watcher.pollOnce();
    assert.equal(batches[0]?.[0]?.user, c.user, JSON.stringify(c.overrides));
    await watcher.stop();
  }
});

test('a malformed field still reports the change, without fields', async () => {
  const { directory, watcher, batches, records, dn } = setup();
  await watcher.pollOnce();
  directory.put(dn('broken'), T0 + 1000, { uid: 'broken', mailPort: 'abc' });
  await watcher.pollOnce();
  assert.equal(batches[0]?.[0]?.user, 'broken');
  assert.equal(batches[0]?.[0]?.fields, undefined);
  assert.ok(records.some((r) => r['msg'] === 'changed LDAP entry has a malformed field'));
  await watcher.stop();
});

test('a listener that throws does not keep the others from hearing', async () => {
  const { directory, watcher, batches, records, dn } = setup();
  watcher.onUsersChanged(() => {
    throw new Error('listener bug');
  });
  const late: string[] = [];
  watcher.onUsersChanged((changes) => void late.push(...changes.map((c) => c.user)));
  await watcher.pollOnce();
  directory.put(dn('alice'), T0 + 1000, { uid: 'alice' });
  await watcher.pollOnce();
  assert.equal(batches.length, 1);
  assert.deepEqual(late, ['alice']);
  assert.ok(records.some((r) => r['msg'] === 'LDAP change listener failed'));
  await watcher.stop();
});

test('unsubscribing stops delivery', async () => {
  const { directory, watcher, dn } = setup();
  const got: string[] = [];
  const off = watcher.onUsersChanged((changes) => void got.push(...changes.map((c) => c.user)));
  await watcher.pollOnce();
  directory.put(dn('alice'), T0 + 1000, { uid: 'alice' });
  await watcher.pollOnce();
  off();
  directory.put(dn('bob'), T0 + 2000, { uid: 'bob' });
  await watcher.pollOnce();
  assert.deepEqual(got, ['alice']);
  await watcher.stop();
});

test('the timer polls every change_poll until stop(), and stop() leaves a borrowed directory open', async () => {
  const directory = new FakeDirectory();
  const watcher = new LdapChangeWatcher(config({ changePollMs: 20 }), pino({ level: 'silent' }), { directory });
  const started = performance.now();
  watcher.start();
  // Wait for polls rather than a fixed time: a loaded machine runs timers late, never early.
  while (directory.specs.length < 4 && performance.now() - started < 5_000) await new Promise((resolve) => setTimeout(resolve, 10));
  await watcher.stop();
  const elapsed = performance.now() - started;
  const polls = directory.specs.length;
  assert.ok(polls >= 4, `only ${polls} polls in ${elapsed.toFixed(0)} ms`);
  assert.ok(polls <= elapsed / 20 + 2, `${polls} polls in ${elapsed.toFixed(0)} ms: more often than every change_poll`);
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.equal(directory.specs.length, polls, 'no poll after stop()');
  assert.equal(directory.closed, false);
  assert.equal(watcher.running, false);
});

test('the poll timer does not keep the process alive', async () => {
  // A process whose only pending work is a started watcher (60 s poll) must exit by itself.
  const script = [
    "import { pino } from 'pino';",
    "import { LdapChangeWatcher } from './src/auth/ldap-changes.ts';",
    "const directory = { findAll: async () => [], deadline: () => ({}), close: async () => {} };",
    `const config = ${JSON.stringify(config({ changePollMs: 60_000 }))};`,
    "new LdapChangeWatcher(config, pino({ level: 'silent' }), { directory }).start();",
  ].join('\n');
  const started = Date.now();
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('../../../', import.meta.url)),
    timeout: 20_000,
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
  assert.ok(Date.now() - started < 15_000);
});

test('a quiet directory: a burst of old changes leaves the search window once the start window has passed', async () => {
  const { directory, watcher, dn, advance } = setup();
  await watcher.pollOnce();
  for (const uid of ['a', 'b', 'c']) directory.put(dn(uid), T0 + 1_000, { uid });
  advance(2_000);
  await watcher.pollOnce();
  // Nothing changes for longer than the start window (60 s here).
  advance(120_000);
  await watcher.pollOnce();
  await watcher.pollOnce();
  const last = directory.specs.at(-1)?.filter.toString() ?? '';
  assert.equal(last, `(&(objectClass=inetOrgPerson)(modifyTimestamp>=${formatGeneralizedTime(T0 + 122_000 - 60_000 - 1_000)}))`);
  assert.ok(formatGeneralizedTime(T0 + 1_000) < /modifyTimestamp>=(\d{14}Z)/.exec(last)![1]!, 'the burst is below the floor');
  await watcher.stop();
});

test('with entryCSN, quiet polls ask only for timestamps and CSNs; a new version is fetched in full and reported', async () => {
  const { directory, watcher, batches, dn } = setup();
  await watcher.pollOnce();
  directory.put(dn('alice'), T0 + 2000, { uid: 'alice', mailHost: 'a' }, '20240131120002.000001Z#000000#000#000000');
  await watcher.pollOnce();
  const full = directory.specs.length;
  await watcher.pollOnce();
  await watcher.pollOnce();
  const quiet = directory.specs.slice(full);
  assert.equal(quiet.length, 2, 'one probe per quiet poll');
  for (const spec of quiet) assert.deepEqual([...spec.attributes].sort(), ['entryCSN', 'modifyTimestamp']);
  // Same second, new CSN (a password change): the probe sees it, a full search follows.
  directory.put(dn('alice'), T0 + 2000, { uid: 'alice', mailHost: 'b' }, '20240131120002.700000Z#000000#000#000000');
  const before = directory.specs.length;
  await watcher.pollOnce();
  const fetched = directory.specs.slice(before);
  assert.equal(fetched.length, 2, 'a probe, then the full search');
  assert.ok(fetched[1]?.attributes.includes('mailHost'));
  assert.deepEqual(
    batches.map((b) => b.map((c) => `${c.user}:${c.fields?.host}`)),
    [['alice:a'], ['alice:b']],
  );
  await watcher.stop();
});

test('without entryCSN every poll is a full search (values tell versions apart)', async () => {
  const { directory, watcher, dn } = setup();
  await watcher.pollOnce();
  directory.put(dn('bob'), T0 + 2000, { uid: 'bob', mailHost: 'x' });
  await watcher.pollOnce();
  await watcher.pollOnce();
  for (const spec of directory.specs) assert.ok(spec.attributes.includes('mailHost'));
  await watcher.stop();
});
