// A backend added with nothing listening must not receive users: three
// directors in one ring, real slapd and Dovecot. The new backend waits for
// the probes (no login, no `user where` places anyone there) and joins once
// a Dovecot answers on its address. A host that is no host is refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendHost } from '../../harness/cluster.js';
import type { ClusterUser } from '../../harness/cluster.js';
import { startDovecot, type DovecotHandle } from '../../harness/dovecot.js';
import type { DirectorHandle } from '../../harness/director.js';
import { freePorts } from '../../harness/ports.js';
import { landedOn, login, loginCounts, openImap } from '../director/imap-support.js';
import { cli, cliJson, directorAt, startRing, until, type Ring, type StatusJson, type WhereJson } from './ring-support.js';

const PROBE_INTERVAL_MS = 1000;
/** b1..b3 are 127.0.0.11-13; the new backend's address has nothing on it until the test starts a Dovecot. */
const B4_HOST = backendHost(3);

let dir: string;
let ring: Ring;
let b4: DovecotHandle | undefined;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-new-backend-'));
  ring = await startRing(dir, { probeInterval: `${PROBE_INTERVAL_MS}ms` }, 100);
});

after(async () => {
  await b4?.stop();
  await ring?.cluster.stop();
  await rm(dir, { recursive: true, force: true });
});

async function b4State(d: DirectorHandle): Promise<string | undefined> {
  const s = await cliJson<StatusJson>(ring, d, 'status');
  return s.backends.find((b) => b.id === 'b4')?.state;
}

async function where(u: ClusterUser, d: DirectorHandle): Promise<string> {
  return (await cliJson<WhereJson>(ring, d, 'user', 'where', u.name)).backend;
}

/** Log in through `d`; the backend whose log shows it, among `backends`. */
async function loginLandsAmong(backends: readonly DovecotHandle[], u: ClusterUser, d: DirectorHandle): Promise<string> {
  const before = await loginCounts(backends, u.name);
  const { client } = await openImap(d);
  try {
    const reply = await login(client, u.name, u.password);
    assert.match(reply, /^a1 OK /, `login of ${u.name} via ${d.id}`);
    return await landedOn(backends, u.name, before);
  } finally {
    client.close();
  }
}

test('backend add refuses a host that is not an IP address or a host name, and a name that does not resolve', async () => {
  const d1 = directorAt(ring, 0);
  const malformed = await cli(ring, d1, 'backend', 'add', 'bX', 'not_a_host!!');
  assert.equal(malformed.code, 1, 'exit 1: the director reported a failure');
  assert.match(malformed.stderr, /"not_a_host!!" is not an IP address or host name/);
  // .invalid never resolves (RFC 6761).
  const unresolved = await cli(ring, d1, 'backend', 'add', 'bY', 'mail4.invalid');
  assert.equal(unresolved.code, 1);
  assert.match(unresolved.stderr, /host "mail4\.invalid" does not resolve/);
  const s = await cliJson<StatusJson>(ring, directorAt(ring, 2), 'status');
  assert.deepEqual(s.backends.map((b) => b.id), ['b1', 'b2', 'b3'], 'nothing was applied ring-wide');
});

test('a backend added with nothing listening gets no users until its probes say up, then joins', async () => {
  const [d1, d2, d3] = [directorAt(ring, 0), directorAt(ring, 1), directorAt(ring, 2)];
  const ringUsers = ring.cluster.usersOfKind('ring');
  assert.ok(ringUsers.length >= 30, `${ringUsers.length} ring users`);
  const [imapPort, pop3Port] = (await freePorts(2, B4_HOST)) as [number, number];

  // Heavy, so that once up it draws most of the ring users: a user sent there early cannot hide.
  const added = await cli(ring, d2, 'backend', 'add', 'b4', B4_HOST, '--weight', '500', '--imap-port', String(imapPort), '--pop3-port', String(pop3Port));
  assert.equal(added.code, 0, added.stderr);
  // Read at once (the probes answer within a few intervals), checked after the placements below.
  const statusAfterAdd = await cli(ring, d2, 'status');

  // A few probe intervals: whatever the probes say of an address with nothing on it, nobody is placed there.
  const deadline = Date.now() + 4 * PROBE_INTERVAL_MS;
  let rounds = 0;
  let logins = 0;
  while (Date.now() < deadline || rounds < 2) {
    for (const u of ringUsers) assert.notEqual(await where(u, rounds % 2 === 0 ? d1 : d3), 'b4', `${u.name} placed on b4`);
    for (const u of ringUsers.slice(0, 6)) {
      // A login sent to b4 would fail here: nothing listens there.
      const landed = await loginLandsAmong(ring.cluster.backends, u, [d1, d2, d3][logins % 3] as DirectorHandle);
      assert.notEqual(landed, 'b4');
      logins += 1;
    }
    for (const d of [d1, d2, d3]) assert.notEqual(await b4State(d), 'up', `${d.id}: b4 is not up`);
    rounds += 1;
  }
  assert.match(added.stdout, new RegExp(`^backend b4 added \\(${B4_HOST.replaceAll('.', '\\.')}\\)$`, 'm'));
  assert.match(added.stdout, /^new, waiting for probes \(no users until a probe says up\): b4$/m);
  assert.match(statusAfterAdd.stdout, /^b4 .* new, waiting for probes /m, 'status right after the add');
  process.stderr.write(`# b4 with nothing listening: ${rounds} rounds of ${ringUsers.length} user where, ${logins} logins, none on b4\n`);

  b4 = await startDovecot({
    dir: join(dir, 'b4'),
    id: 'b4',
    host: B4_HOST,
    users: ring.cluster.users.filter((u) => u.kind !== 'destuser').map((u) => ({ name: u.name, password: u.password })),
    trustedNetworks: ['127.0.0.0/8'],
    ca: ring.cluster.ca,
    ports: { imap: imapPort, pop3: pop3Port },
  });
  for (const d of [d1, d2, d3]) {
    await until(`${d.id} sees b4 up`, 10 * PROBE_INTERVAL_MS, async () => ((await b4State(d)) === 'up' ? true : undefined));
  }
  const placed: ClusterUser[] = [];
  for (const u of ringUsers) {
    const on = await where(u, d1);
    // I2 (docs/invariants.md): every director routes the user alike.
    for (const d of [d2, d3]) assert.equal(await where(u, d), on, `${u.name} on ${d.id}`);
    if (on === 'b4') placed.push(u);
  }
  assert.ok(placed.length > 0, 'some users are now placed on b4');
  const first = placed[0] as ClusterUser;
  assert.equal(await loginLandsAmong([...ring.cluster.backends, b4], first, d3), 'b4', 'and their logins land there');
});
