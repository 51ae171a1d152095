// Two directors that route one user differently (here: d1 answers from a
// stale auth cache after the user's host changed in LDAP). A login claims
// its destination ring-wide before its backend login, so the other
// director holds its login until d1's session is ended (I1 in docs/invariants.md), instead
// of logging the user in on a second backend.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster } from '../../harness/cluster.js';
import { adminCert, ringOverrides } from '../../harness/ring.js';
import { command, lastLine, login, openImap, quoted } from '../director/imap-support.js';
import { cliJson, directorById, until, type Ring, type WhereJson } from './ring-support.js';

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
  const [d1, d2] = [directorById(ring, 'd1'), directorById(ring, 'd2')];

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
  // d1's backend login stalls (its backend paused) with its claim on the
  // stale backend already published; d2 routes the same user to `to`.
  stale.pause();
  let replies: string[][];
  let aClosedBeforeB: boolean;
  try {
    a.client.write(line);
    await until("d2 sees d1's claim", 5000, async () => {
      const where = await cliJson<WhereJson>(ring, d2, 'user', 'where', u.name);
      return where.sessions.some((s) => s.backend === from) ? true : undefined;
    });
    b.client.write(line);
    // d2 holds the login (it is not refused) while d1's login is in flight.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(b.client.buffered, 0, 'the login through d2 is held while d1 logs the user in elsewhere');
    stale.resume();
    const viaD1 = await a.client.until('a1 ', 15_000);
    const viaD2 = await b.client.until('a1 ', 15_000);
    aClosedBeforeB = a.client.closed;
    replies = [viaD1, viaD2];
  } finally {
    stale.resume();
  }
  // d1's session (on the stale backend) was ended before d2 logged in on the new one.
  assert.match(lastLine(replies[1] ?? []), /^a1 OK /, JSON.stringify(replies));
  assert.ok(aClosedBeforeB || lastLine(replies[0] ?? []).startsWith('a1 NO'), `d1's session was gone before d2's login: ${JSON.stringify(replies)}`);
  const where = await cliJson<WhereJson>(ring, d2, 'user', 'where', u.name);
  assert.deepEqual([...new Set(where.sessions.map((s) => s.backend))], [to], JSON.stringify(where.sessions));
  a.client.close();
  b.client.close();
}

test('a login held while the same user logs in through another director (to a larger host)', async () => {
  await raceLogins('b1', 'b2');
});

test('a login held while the same user logs in through another director (to a smaller host)', async () => {
  await raceLogins('b2', 'b1');
});
