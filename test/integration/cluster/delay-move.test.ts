// The Proxying document's safe move, done by hand on a three-director ring:
// one ldapmodify sets the new host together with delay_until a few seconds
// ahead, then the operator kicks the user on the directors holding sessions.
// Old sessions end; a login made meanwhile is held (not refused) until
// delay_until and then reaches the new host; the user is never on two
// backends at once. (`user move --to` does the same in one command and is
// covered in ring-moves.test.ts.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterUser } from '../../harness/cluster.js';
import type { DirectorHandle } from '../../harness/director.js';
import type { LineClient } from '../support/line-client.js';
import { command, landedOn, login, loginCounts, openImap } from '../director/imap-support.js';
import { assertNeverOnTwo, cliJson, closedBy, directorAt, openSession, startRing, until, type Ring, type WhereJson } from './ring-support.js';

let dir: string;
let ring: Ring;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-delay-move-'));
  ring = await startRing(dir);
});

after(async () => {
  await ring?.cluster.stop();
  await rm(dir, { recursive: true, force: true });
});

function director(i: number): DirectorHandle {
  return directorAt(ring, i);
}

async function where(u: ClusterUser, d: DirectorHandle): Promise<WhereJson> {
  return cliJson<WhereJson>(ring, d, 'user', 'where', u.name);
}

async function logged(d: DirectorHandle, ...parts: string[]): Promise<boolean> {
  return (await readFile(d.logFile, 'utf8')).split('\n').some((l) => parts.every((p) => l.includes(p)));
}

/**
 * Polls `user where` on every director until stopped; a view that lists
 * the user's sessions on two backends at once is recorded as a violation.
 */
function watchWhere(u: ClusterUser): { stop(): Promise<{ rounds: number; violations: string[]; seen: Set<string> }> } {
  let stopped = false;
  let rounds = 0;
  const violations: string[] = [];
  const seen = new Set<string>();
  const loop = (async () => {
    while (!stopped) {
      const views = await Promise.all(ring.cluster.directors.map(async (d) => ({ d: d.id, w: await where(u, d) })));
      for (const { d, w } of views) {
        const backends = new Set(w.sessions.map((s) => s.backend_host));
        for (const b of backends) seen.add(b);
        if (backends.size > 1) violations.push(`${d} at ${new Date().toISOString()}: ${JSON.stringify(w.sessions)}`);
      }
      rounds += 1;
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return { rounds, violations, seen };
    },
  };
}


test('ldapmodify host + delay_until, then user kick: old sessions end, a login in the window is held until delay_until and lands on the new host', async () => {
  const u = ring.cluster.usersOfKind('host')[0];
  assert.ok(u && u.backend !== undefined);
  const oldId = u.backend;
  const target = ring.cluster.backends.find((b) => b.id !== oldId);
  assert.ok(target);
  const s1 = await openSession(ring.cluster, u, director(0));
  const s2 = await openSession(ring.cluster, u, director(1));
  assert.equal(s1.backend, oldId);
  assert.equal(s2.backend, oldId);
  await until(`d3 sees both sessions of ${u.name}`, 3000, async () =>
    (await where(u, director(2))).sessions.reduce((n, s) => n + s.sessions, 0) === 2 ? true : undefined,
  );

  const watch = watchWhere(u);
  const held: LineClient[] = [];
  try {
    // delay_until has whole seconds; 3-4 s ahead leaves room for the kicks and a login inside the window.
    const delayUntilMs = (Math.ceil(Date.now() / 1000) + 3) * 1000;
    const beforeMove = await loginCounts(ring.cluster.backends, u.name);
    // One modify: host and delay_until change together.
    await ring.cluster.slapd.modifyUser(u.name, { mailHost: target.host, mailDelayUntil: String(delayUntilMs / 1000) });
    const modifiedAt = Date.now();
    const kicks = await Promise.all(
      [director(0), director(1)].map((d) => cliJson<{ user: string; kicked: number }>(ring, d, 'user', 'kick', u.name)),
    );
    for (const k of kicks) assert.equal(k.user, u.name);
    const ended = await Promise.all([s1.client, s2.client].map((c) => closedBy(c, 3000)));
    for (const lines of ended) assert.ok(lines.some((l) => /^\* BYE /.test(l)), `the client is told: ${JSON.stringify(lines)}`);
    const endedAt = Date.now();
    assert.ok(endedAt < delayUntilMs, `old sessions ended ${endedAt - delayUntilMs} ms after delay_until: the window is too short to test`);
    const during = await cliJson<WhereJson & { delayed_until_ms: number }>(ring, director(2), 'user', 'where', u.name);
    assert.equal(during.backend, target.id, 'user where names the new host during the window');
    assert.equal(during.delayed_until_ms, delayUntilMs, 'and says logins are held until delay_until');

    // Logins inside the window, through a director that had a session and one that had none.
    const logins = [director(0), director(2)].map(async (d) => {
      const { client } = await openImap(d);
      held.push(client);
      const startedAt = Date.now();
      const reply = await login(client, u.name, u.password);
      return { d, client, startedAt, reply, at: Date.now() };
    });
    const done = await Promise.all(logins);
    for (const l of done) {
      assert.ok(l.startedAt < delayUntilMs, `${l.d.id}'s login started inside the window`);
      assert.match(l.reply, /^a1 OK /, `${l.d.id}: held, not refused`);
      assert.ok(l.at >= delayUntilMs - 20, `${l.d.id}'s login answered ${delayUntilMs - l.at} ms before delay_until`);
    }
    process.stderr.write(
      `# old sessions ended ${endedAt - modifiedAt} ms after the modify; held logins answered ${done.map((l) => l.at - delayUntilMs).join(', ')} ms after delay_until\n`,
    );
    const grown = await loginCounts(ring.cluster.backends, u.name);
    assert.equal((grown.get(target.id) ?? 0) - (beforeMove.get(target.id) ?? 0), 2, 'both held logins reached the new host');
    assert.equal(grown.get(oldId), beforeMove.get(oldId), 'nothing logged in on the old host');
    for (const l of done) {
      assert.ok(await until(`${l.d.id} logged the hold`, 3000, async () => ((await logged(l.d, 'login held by delay_until', `"user":"${u.name}"`)) ? true : undefined)));
    }
    const w = await until('user where shows the two new sessions on the new host', 3000, async () => {
      const now = await where(u, director(1));
      return now.sessions.reduce((n, s) => n + s.sessions, 0) === 2 ? now : undefined;
    });
    assert.equal(w.backend, target.id);
    assert.deepEqual(new Set(w.sessions.map((s) => s.backend)), new Set([target.id]));
    for (const l of done) await command(l.client, 'z', 'LOGOUT');
  } finally {
    for (const c of [s1.client, s2.client, ...held]) c.close();
    const { rounds, violations, seen } = await watch.stop();
    process.stderr.write(`# user where polled ${rounds} rounds on 3 directors; hosts seen: ${[...seen].sort().join(', ')}\n`);
    assert.deepEqual(violations, [], 'no director saw the user on two backends');
    assert.ok(rounds >= 5, `user where polled ${rounds} rounds`);
    assert.ok(seen.has(target.host), 'the watcher saw the new sessions');
  }
  await assertNeverOnTwo(ring.cluster, u.name);
});

test('delay_until in the past does not hold the login', async () => {
  const u = ring.cluster.usersOfKind('host')[1];
  assert.ok(u && u.backend !== undefined);
  const target = ring.cluster.backends.find((b) => b.id !== u.backend);
  assert.ok(target);
  await ring.cluster.slapd.modifyUser(u.name, { mailHost: target.host, mailDelayUntil: String(Math.floor(Date.now() / 1000) - 60) });
  const beforeLogin = await loginCounts(ring.cluster.backends, u.name);
  const { client } = await openImap(director(1));
  try {
    const started = Date.now();
    const reply = await login(client, u.name, u.password);
    const tookMs = Date.now() - started;
    assert.match(reply, /^a1 OK /);
    assert.ok(tookMs < 1000, `login took ${tookMs} ms`);
    assert.equal(await landedOn(ring.cluster.backends, u.name, beforeLogin), target.id);
    await command(client, 'z', 'LOGOUT');
  } finally {
    client.close();
  }
  assert.equal(await logged(director(1), 'login held by delay_until', `"user":"${u.name}"`), false);
});
