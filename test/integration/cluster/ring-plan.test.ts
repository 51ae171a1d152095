// Plans before changes, on a ring of three directors over real slapd and
// Dovecot: `backend weight … --dry-run`, `ring plan FILE` and GET /ring/plan
// report what the change would do, change nothing, and match what `user
// where` shows once the change is made (users with live sessions stay until
// their sessions end, then follow the ring); `--ldap` places every ring user.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterUser } from '../../harness/cluster.js';
import type { LineClient } from '../support/line-client.js';
import { cli, cliJson, closedBy, directorAt, openSession, startRing, until, type Ring, type StatusJson, type WhereJson } from './ring-support.js';

interface PlanJson {
  readonly source: string;
  readonly placement: string;
  readonly users: number;
  readonly moved: number;
  readonly kept_by_sessions: number;
  readonly unplaced: number;
  readonly skipped: number;
  readonly shares: ReadonlyArray<{ backend: string; before: number; after: number }>;
  readonly moves?: ReadonlyArray<{ user: string; from: string; to: string; kept_by_sessions: boolean }>;
}

let dir: string;
let ring: Ring;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-ring-plan-'));
  ring = await startRing(dir, {}, 60);
});

after(async () => {
  await ring?.cluster.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Ring users as routing has them (docs/invariants.md): no host, or proxy_maybe + proxy_always on self. */
function ringUsers(): ClusterUser[] {
  return [...ring.cluster.usersOfKind('ring'), ...ring.cluster.usersOfKind('proxy_always')];
}

async function whereAll(users: readonly ClusterUser[]): Promise<Map<string, WhereJson>> {
  const out = new Map<string, WhereJson>();
  for (const u of users) out.set(u.name, await cliJson<WhereJson>(ring, directorAt(ring, 1), 'user', 'where', u.name));
  return out;
}

function moveSet(plan: PlanJson): string[] {
  assert.ok(plan.moves !== undefined, '--users lists the moves');
  return plan.moves.map((m) => `${m.user}:${m.from}>${m.to}`).sort();
}

/** Every director's ring state version clock and entry count (`ring --json`): any write moves them. */
async function stateVersions(): Promise<string[]> {
  const out: string[] = [];
  for (const d of ring.cluster.directors) {
    const r = await cliJson<{ director_id: string; clock: number; entries: number }>(ring, d, 'ring');
    out.push(`${r.director_id}:${r.clock}:${r.entries}`);
  }
  return out;
}

async function weights(): Promise<Record<string, number>> {
  const s = await cliJson<StatusJson>(ring, directorAt(ring, 2), 'status');
  return Object.fromEntries(s.backends.map((b) => [b.id, b.weight]));
}

test('a weight change planned three ways matches what applying it does; the plan changes nothing', async (t) => {
  const all = ringUsers();
  assert.ok(all.length >= 25, `enough ring users (${all.length})`);
  const beforeWhere = await whereAll(all);
  // Live sessions for users on b1 (the ones a lower weight can move) and a few others.
  const onB1 = all.filter((u) => beforeWhere.get(u.name)?.backend === 'b1').slice(0, 5);
  const others = all.filter((u) => beforeWhere.get(u.name)?.backend !== 'b1').slice(0, 3);
  const live = [...onB1, ...others];
  assert.ok(onB1.length >= 3, 'some ring users on b1');
  const sessions: LineClient[] = [];
  try {
    for (const u of live) {
      const { client, backend } = await openSession(ring.cluster, u, directorAt(ring, 0));
      sessions.push(client);
      assert.equal(backend, beforeWhere.get(u.name)?.backend);
    }
    const asked = directorAt(ring, 1);
    await until('every live session is seen ring-wide', 5000, async () => {
      for (const u of live) if ((await cliJson<WhereJson>(ring, asked, 'user', 'where', u.name)).sessions.length === 0) return undefined;
      return true;
    });
    const weightsBefore = await weights();
    const versionsBefore = await stateVersions();

    const dry = await cliJson<PlanJson>(ring, asked, 'backend', 'weight', 'b1', '50', '--dry-run', '--users');
    assert.equal(dry.source, 'sessions');
    assert.equal(dry.users, live.length, 'the users with live sessions');
    assert.equal(dry.shares.reduce((n, s) => n + s.before, 0), live.length);
    assert.deepEqual(dry.shares.find((s) => s.backend === 'b1')?.before, onB1.length);

    // The same change as a desired list, from the backends `status` shows.
    const status = await cliJson<StatusJson>(ring, asked, 'status');
    const file = join(dir, 'desired.yaml');
    const lines = ['backends:'];
    for (const b of status.backends) {
      lines.push(`  - { id: ${b.id}, host: ${b.host}, weight: ${b.id === 'b1' ? 50 : b.weight}, tag: "${b.tag}", ports: ${JSON.stringify(b.ports)} }`);
    }
    await writeFile(file, `${lines.join('\n')}\n`);
    const fromFile = await cliJson<PlanJson>(ring, directorAt(ring, 2), 'ring', 'plan', file, '--users');
    assert.deepEqual(moveSet(fromFile), moveSet(dry));
    assert.deepEqual(fromFile.shares, dry.shares);

    const everyone = await cliJson<PlanJson>(ring, asked, 'backend', 'weight', 'b1', '50', '--dry-run', '--ldap', '--users');
    assert.equal(everyone.source, 'passdb');
    assert.equal(everyone.users, all.length, 'every ring user in LDAP, and no one else');
    assert.equal(everyone.skipped, 0);
    assert.ok(dry.moved > 0 && everyone.moved >= dry.moved, 'halving b1 moves someone');
    t.diagnostic(`b1 100→50: live ${dry.users} users, ${dry.moved} would move; LDAP ${everyone.users} ring users, ${everyone.moved} would move`);
    // Users with sessions are placed the same in both plans.
    const liveNames = new Set(live.map((u) => u.name));
    assert.deepEqual(moveSet(everyone).filter((m) => liveNames.has(m.split(':')[0] ?? '')), moveSet(dry));

    // The page's plan: counts without user names (no token given).
    const http = asked.address('http');
    assert.ok(http !== null);
    const page = (await (await fetch(`http://${http}/ring/plan?weight=b1:50`)).json()) as Record<string, unknown>;
    assert.equal(page['moved'], dry.moved);
    assert.equal(page['moves'], undefined, 'no user names without the token');
    const bad = await fetch(`http://${http}/ring/plan?weight=nosuch:5`);
    assert.equal(bad.status, 400);
    // The desired list POSTed as JSON, as the file gave it.
    const desired = status.backends.map((b) => ({ id: b.id, host: b.host, weight: b.id === 'b1' ? 50 : b.weight, tag: b.tag }));
    const posted = await fetch(`http://${http}/ring/plan`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(desired) });
    assert.equal(posted.status, 200);
    const postedPlan = (await posted.json()) as { moved: number; shares: Array<{ backendId: string; before: number; after: number }> };
    assert.equal(postedPlan.moved, dry.moved);
    assert.deepEqual(postedPlan.shares.map((x) => ({ backend: x.backendId, before: x.before, after: x.after })), dry.shares);
    const badList = await fetch(`http://${http}/ring/plan`, { method: 'POST', body: '[{"id": "b1"}]' });
    assert.equal(badList.status, 400);
    assert.match(((await badList.json()) as { error: string }).error, /backends\[0\]\.host: required/);
    assert.equal((await fetch(`http://${http}/ring/state`, { method: 'POST' })).status, 405, 'only the plan takes a POST');

    // Nothing changed: no ring state entry written on any director, the weights, every user's placement.
    assert.deepEqual(await stateVersions(), versionsBefore);
    assert.deepEqual(await weights(), weightsBefore);
    const unchanged = await whereAll(all);
    for (const u of all) assert.equal(unchanged.get(u.name)?.backend, beforeWhere.get(u.name)?.backend, `${u.name} unchanged by the plans`);

    // Apply it: users with live sessions stay until these end ...
    await cliJson(ring, directorAt(ring, 0), 'backend', 'weight', 'b1', '50');
    const kept = new Set((everyone.moves ?? []).filter((m) => m.kept_by_sessions).map((m) => m.user));
    assert.deepEqual([...kept].sort(), (dry.moves ?? []).map((m) => m.user).sort(), 'every live user that would move is kept by its sessions');
    const during = await whereAll(all);
    for (const u of live) assert.equal(during.get(u.name)?.backend, beforeWhere.get(u.name)?.backend, `${u.name} kept by its session`);

    // ... and once they end, every ring user is where the plan said.
    for (const c of sessions) c.write('z LOGOUT\r\n');
    for (const c of sessions) await closedBy(c, 5000);
    await until('no live sessions left', 5000, async () => {
      for (const u of live) if ((await cliJson<WhereJson>(ring, asked, 'user', 'where', u.name)).sessions.length > 0) return undefined;
      return true;
    });
    const afterWhere = await whereAll(all);
    const actual = all
      .filter((u) => afterWhere.get(u.name)?.backend !== beforeWhere.get(u.name)?.backend)
      .map((u) => `${u.name}:${beforeWhere.get(u.name)?.backend}>${afterWhere.get(u.name)?.backend}`)
      .sort();
    assert.deepEqual(actual, moveSet(everyone));
    assert.equal(everyone.moved, actual.length);
    for (const s of everyone.shares) {
      assert.equal(s.after, all.filter((u) => afterWhere.get(u.name)?.backend === s.backend).length, `${s.backend} share after`);
    }
  } finally {
    for (const c of sessions) c.close();
    await cliJson(ring, directorAt(ring, 0), 'backend', 'weight', 'b1', '100');
  }
});

test('removal: exactly the removed backend\'s users move; bad input exits as the README says', async () => {
  const plan = await cliJson<PlanJson>(ring, directorAt(ring, 0), 'backend', 'remove', 'b2', '--dry-run', '--ldap', '--users');
  const where = await whereAll(ringUsers());
  const onB2 = [...where.values()].filter((w) => w.backend === 'b2').map((w) => w.user).sort();
  assert.deepEqual(plan.moves?.map((m) => m.user), onB2);
  assert.ok(plan.moves?.every((m) => m.from === 'b2' && m.to !== 'b2'));
  assert.equal(plan.shares.find((s) => s.backend === 'b2')?.after, 0);
  // Still in the ring: the plan removed nothing.
  assert.ok((await cliJson<StatusJson>(ring, directorAt(ring, 0), 'status')).backends.some((b) => b.id === 'b2'));

  const unknown = await cli(ring, directorAt(ring, 0), 'backend', 'weight', 'nosuch', '5', '--dry-run');
  assert.equal(unknown.code, 1, unknown.stderr);
  assert.match(unknown.stderr, /unknown backend "nosuch"/);
  const misplaced = await cli(ring, directorAt(ring, 0), 'backend', 'weight', 'b1', '5', '--ldap');
  assert.equal(misplaced.code, 64);
  const badFile = join(dir, 'bad.yaml');
  await writeFile(badFile, 'backends:\n  - { id: b1, host: 127.0.0.11, weight: -3 }\n');
  const bad = await cli(ring, directorAt(ring, 0), 'ring', 'plan', badFile);
  assert.equal(bad.code, 64);
  assert.match(bad.stderr, /backends\[0\]\.weight/);
});
