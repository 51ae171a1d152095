// Three directors in one ring (mTLS gRPC), real slapd and three Dovecot
// backends: agreement on placement (I2 in docs/invariants.md), ring-wide admin commands and
// their --json output (docs/invariants.md, CLI), kicks when a backend leaves the ring (I1).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterUser } from '../../harness/cluster.js';
import { login, openImap } from '../director/imap-support.js';
import { cli, cliJson, loginLands, startRing, until, type Ring, type RingJson, type StatusJson, type WhereJson } from './ring-support.js';

let dir: string;
let ring: Ring;

interface ChangeJson {
  backend: string;
  action: string;
  applied: number;
  acked_by: string[];
  not_acked: string[];
  down: string[];
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-ring-routing-'));
  ring = await startRing(dir);
});

after(async () => {
  await ring?.cluster.stop();
  await rm(dir, { recursive: true, force: true });
});

function users(kind: 'ring' | 'host', n: number): ClusterUser[] {
  return ring.cluster.usersOfKind(kind).slice(0, n);
}

test('ring --json on every director: three live members over mTLS', async () => {
  for (const d of ring.cluster.directors) {
    const r = await until(`${d.id} sees the ring live, links open`, 8000, async () => {
      const j = await cliJson<RingJson>(ring, d, 'ring');
      // Links dialed before a peer listened wait out their backoff first.
      return j.directors.every((m) => m.state === 'live' && (m.self || m.link_open)) ? j : undefined;
    });
    assert.equal(r.director_id, d.id);
    assert.deepEqual(r.directors.map((m) => m.id), ['d1', 'd2', 'd3']);
    for (const m of r.directors) {
      assert.equal(m.self, m.id === d.id);
      assert.match(m.address, /^127\.0\.0\.1:\d+$/);
      if (!m.self) {
        assert.ok(m.last_heard_ms > Date.now() - 5000, `${d.id} heard ${m.id} lately`);
      }
    }
  }
});

test('a client without a certificate from the ring CA is refused', async () => {
  const d1 = ring.cluster.directors[0]!;
  let stderr = '';
  const { main } = await import('../../../src/cli/run.js');
  const code = await main(['ring', '--json', '--director', d1.address('grpc') ?? ''], { stdout: () => undefined, stderr: (t) => (stderr += t), env: {} });
  assert.equal(code, 2, stderr);
});

test('every director sends a user to the same backend (ring users and LDAP-host users), and user where agrees', async () => {
  for (const u of [...users('ring', 4), ...users('host', 3)]) {
    const landed: string[] = [];
    for (const d of ring.cluster.directors) landed.push(await loginLands(ring.cluster, u, d));
    assert.equal(new Set(landed).size, 1, `${u.name} landed on ${landed.join(', ')}`);
    const backend = landed[0]!;
    if (u.kind === 'host') assert.equal(backend, u.backend, `${u.name} goes to its LDAP host`);
    for (const d of ring.cluster.directors) {
      const where = await cliJson<WhereJson>(ring, d, 'user', 'where', u.name);
      assert.equal(where.backend, backend, `user where on ${d.id}`);
      assert.equal(where.reason, u.kind === 'host' ? 'ldap_host' : 'ring');
    }
  }
});

test('backend down from one director is obeyed by all and ends sessions there; up and flush follow', async () => {
  const [d1, d2, d3] = ring.cluster.directors as [typeof ring.cluster.directors[0], typeof ring.cluster.directors[0], typeof ring.cluster.directors[0]];
  assert.ok(d1 && d2 && d3);
  const u = users('ring', 1)[0]!;
  const home = await loginLands(ring.cluster, u, d1);

  // A session through d3 on the user's backend, and one user where showing it.
  const { client } = await openImap(d3);
  assert.match(await login(client, u.name, u.password), /^a1 OK /);
  // d1's earlier login may still be ending: presence is gossiped, so wait for it to settle.
  let held = await cliJson<WhereJson>(ring, d3, 'user', 'where', u.name);
  for (let i = 0; i < 30 && held.sessions.length !== 1; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    held = await cliJson<WhereJson>(ring, d3, 'user', 'where', u.name);
  }
  assert.deepEqual(held.sessions.map((s) => [s.director, s.backend, s.sessions]), [['d3', home, 1]]);

  const started = Date.now();
  const down = await cliJson<ChangeJson>(ring, d1, 'backend', 'down', home);
  assert.deepEqual(down, { backend: home, action: 'down', applied: 1, acked_by: ['d2', 'd3'], not_acked: [], down: [home], pending: [] });
  // Acked means applied: the other directors already route around it.
  for (const d of [d2, d3]) {
    const s = await cliJson<StatusJson>(ring, d, 'status');
    const b = s.backends.find((x) => x.id === home);
    assert.deepEqual([b?.state, b?.admin], ['down', 'down'], `${d.id} status`);
  }
  const lines = await client.until('* BYE', 5000);
  assert.match(lines.at(-1) ?? '', /^\* BYE /, 'the session on the downed backend is ended');
  client.close();
  const kickedMs = Date.now() - started;

  const elsewhere = new Set<string>();
  for (const d of ring.cluster.directors) elsewhere.add(await loginLands(ring.cluster, u, d));
  assert.equal(elsewhere.size, 1, 'all directors agree on the new backend');
  assert.ok(!elsewhere.has(home), `${u.name} no longer goes to ${home}`);

  const up = await cliJson<ChangeJson>(ring, d2, 'backend', 'up', home);
  assert.deepEqual([up.action, up.acked_by, up.down], ['up', ['d1', 'd3'], []]);
  assert.equal(await loginLands(ring.cluster, u, d3), home);
  const flush = await cliJson<ChangeJson>(ring, d3, 'backend', 'flush', home);
  assert.deepEqual([flush.action, flush.acked_by, flush.down], ['flush', ['d1', 'd2'], []]);
  const s1 = await cliJson<StatusJson>(ring, d1, 'status');
  const b = s1.backends.find((x) => x.id === home);
  assert.deepEqual([b?.state, b?.admin, b?.voters, b?.down_votes], ['up', 'none', 3, 0]);
  assert.deepEqual(s1.ring, { ...s1.ring, directors_live: 3, directors_total: 3 });
  process.stderr.write(`# backend down → session kicked on another director in ${kickedMs} ms\n`);
});

test('backend add, weight, remove: answered after every director applied them; --json shapes', async () => {
  const [d1, d2, d3] = ring.cluster.directors;
  assert.ok(d1 && d2 && d3);
  const added = await cliJson<ChangeJson>(ring, d2, 'backend', 'add', 'b9', '127.0.0.19', '--weight', '5', '--tag', 'spare', '--imap-port', '1143', '--pop3-port', '1110');
  assert.deepEqual(
    { ...added, down: [] },
    { backend: 'b9', action: 'add', applied: 1, acked_by: ['d1', 'd3'], not_acked: [], down: [], pending: ['b9'], host: '127.0.0.19', addresses: [] },
  );
  for (const d of [d1, d3]) {
    const s = await cliJson<StatusJson>(ring, d, 'status');
    const b = s.backends.find((x) => x.id === 'b9');
    assert.deepEqual(b && [b.host, b.weight, b.tag, b.ports], ['127.0.0.19', 5, 'spare', { imap: 1143, pop3: 1110 }], `${d.id} has b9`);
  }
  const weighted = await cliJson<ChangeJson>(ring, d3, 'backend', 'weight', 'b9', '7');
  assert.equal(weighted.action, 'weight');
  const s1 = await cliJson<StatusJson>(ring, d1, 'status');
  assert.equal(s1.backends.find((x) => x.id === 'b9')?.weight, 7);
  const removed = await cliJson<ChangeJson>(ring, d1, 'backend', 'remove', 'b9');
  assert.deepEqual([removed.action, removed.acked_by], ['remove', ['d2', 'd3']]);
  for (const d of [d2, d3]) {
    const s = await cliJson<StatusJson>(ring, d, 'status');
    assert.ok(!s.backends.some((x) => x.id === 'b9'), `${d.id} dropped b9`);
  }
  // Refusals are the operator's to fix: exit 1 with the reason, nothing applied.
  const unknown = await cli(ring, d1, 'backend', 'down', 'nope', '--json');
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /unknown backend "nope"/);
  const bad = await cli(ring, d1, 'backend', 'weight', 'b1', 'heavy');
  assert.equal(bad.code, 64);
});

test('user where explains refusals and unknown users', async () => {
  const d2 = ring.cluster.directors[1]!;
  const nologin = ring.cluster.usersOfKind('nologin')[0]!;
  const w = await cliJson<WhereJson & { detail: string }>(ring, d2, 'user', 'where', nologin.name);
  assert.equal(w.reason, 'refused');
  assert.match(w.detail, /^nologin/);
  // An unknown user still gets its one JSON line, and exit 67 (EX_NOUSER, as doveadm user).
  const missing = await cli(ring, d2, 'user', 'where', 'nobody-here', '--json');
  assert.equal(missing.code, 67, missing.stderr);
  assert.equal((JSON.parse(missing.stdout) as WhereJson).reason, 'not_found');
  const text = await cli(ring, d2, 'user', 'where', users('host', 1)[0]!.name);
  assert.match(text.stdout, /chosen by the host field in LDAP/);
});


test('ring remove and ring add change membership on every director; bad input is refused', async () => {
  const [d1, d2, d3] = ring.cluster.directors;
  assert.ok(d1 && d2 && d3);
  const address = d3.address('grpc') ?? '';
  const removed = await cliJson<{ director: string; action: string; acked_by: string[]; not_acked: string[] }>(ring, d1, 'ring', 'remove', 'd3');
  assert.equal(removed.director, 'd3');
  assert.equal(removed.action, 'remove');
  assert.deepEqual(removed.not_acked, []);
  for (const d of [d1, d2]) {
    const members = (await cliJson<RingJson>(ring, d, 'ring')).directors.map((x) => x.id);
    assert.deepEqual(members, ['d1', 'd2'], `${d.id} after ring remove`);
  }
  assert.equal((await cli(ring, d1, 'ring', 'remove', 'd1')).code, 1, 'a director cannot remove itself');
  assert.equal((await cli(ring, d1, 'ring', 'add', 'd3', 'not-an-address')).code, 1);

  const added = await cliJson<{ director: string; action: string }>(ring, d2, 'ring', 'add', 'd3', address);
  assert.deepEqual([added.director, added.action], ['d3', 'add']);
  await until('d3 live again on d1 and d2', 5000, async () => {
    for (const d of [d1, d2]) {
      const j = await cliJson<RingJson>(ring, d, 'ring');
      if (!j.directors.some((x) => x.id === 'd3' && x.state === 'live')) return undefined;
    }
    return true;
  });
});
