// Two directors that route one user differently at the same instant (here:
// d1 answers from a stale auth cache after the user's host changed in LDAP)
// can both log the user in before either sees the other's presence. SPEC I1
// then needs one side to yield: every director keeps the same destination
// and ends its own sessions elsewhere.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster } from '../../harness/cluster.js';
import type { DirectorHandle } from '../../harness/director.js';
import { adminCert, ringOverrides } from '../../harness/ring.js';
import { command, lastLine, login, openImap, quoted } from '../director/imap-support.js';
import { cliJson, until, type Ring, type WhereJson } from './ring-support.js';

let dir: string;
let ring: Ring;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-ring-race-'));
  const base = ringOverrides(dir);
  const cluster = await startCluster({
    dir,
    directors: 3,
    backends: 3,
    users: 20,
    directorOverrides: (self, all) =>
      self.id === 'd1'
        ? // d1 keeps answering from its cache: no change polling, a long TTL.
          { ...base(self, all), cache: { size: 1000, ttl: '1h', negative_ttl: '1h' }, passdb: { change_poll: '0s' } }
        : base(self, all),
  });
  ring = { cluster, admin: await adminCert(cluster) };
});

after(async () => {
  await ring?.cluster.stop();
  await rm(dir, { recursive: true, force: true });
});

function director(id: string): DirectorHandle {
  const d = ring.cluster.directors.find((x) => x.id === id);
  assert.ok(d, id);
  return d;
}

/**
 * d1 answers from a stale cache (the user's old backend `from`) while d2
 * reads LDAP's new host `to`; d1's backend login is stalled (its backend
 * paused) until d2's login is done, so both can succeed.
 */
async function raceLogins(from: 'b1' | 'b2', to: 'b1' | 'b2'): Promise<void> {
  const u = ring.cluster.usersOfKind('host').find((x) => x.backend === from);
  assert.ok(u !== undefined);
  const target = ring.cluster.backends.find((x) => x.id === to);
  const stale = ring.cluster.backends.find((x) => x.id === from);
  assert.ok(target !== undefined && stale !== undefined);
  const [d1, d2] = [director('d1'), director('d2')];

  // Fill d1's cache with the user's current host, then leave.
  const first = await openImap(d1);
  assert.match(await login(first.client, u.name, u.password), /^a1 OK /);
  await command(first.client, 'a2', 'LOGOUT');
  first.client.close();
  await until('no sessions', 5000, async () => ((await cliJson<WhereJson>(ring, d2, 'user', 'where', u.name)).sessions.length === 0 ? true : undefined));

  // The host changes; d2 reads LDAP afresh, d1 does not.
  await ring.cluster.slapd.modifyUser(u.name, { mailHost: target.host });

  const a = await openImap(d1);
  const b = await openImap(d2);
  const line = `a1 LOGIN ${quoted(u.name)} ${quoted(u.password)}\r\n`;
  // Widen the race deterministically: d1's backend login stalls (its
  // backend paused) after d1 found no sessions elsewhere, while d2 logs in.
  stale.pause();
  let replies: string[][];
  try {
    a.client.write(line);
    b.client.write(line);
    const viaD2 = await b.client.until('a1 ', 15_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    stale.resume();
    replies = [await a.client.until('a1 ', 15_000), viaD2];
  } finally {
    stale.resume();
  }
  const ok = replies.map((r) => lastLine(r).startsWith('a1 OK'));
  assert.ok(ok.some((x) => x), `at least one login succeeds: ${JSON.stringify(replies)}`);

  // Within a few seconds at most one of the two sessions is left, and the
  // ring agrees on a single destination for the user.
  await until('one session left', 5000, async () => {
    const open = [a.client, b.client].filter((c, i) => ok[i] === true && !c.closed).length;
    return open <= 1 ? true : undefined;
  });
  const where = await cliJson<WhereJson>(ring, d2, 'user', 'where', u.name);
  assert.ok(new Set(where.sessions.map((s) => s.backend)).size <= 1, JSON.stringify(where.sessions));
  a.client.close();
  b.client.close();
}

test('sessions started at once on two backends through two directors: one side is ended (late side keeps)', async () => {
  // d1's late session is on the smaller host: d2, the early side, yields when d1's presence arrives.
  await raceLogins('b1', 'b2');
});

test('sessions started at once on two backends: the late side yields by itself', async () => {
  // d1's late session is on the larger host. d2's presence reached d1 while
  // d1 had no session yet, so d1 must check when its own session starts.
  await raceLogins('b2', 'b1');
});
