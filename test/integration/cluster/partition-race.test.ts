// Two directors route the same user at the same instant with different
// views: d1 answers from a stale auth cache (the user's old host) while d2
// reads LDAP's new one, and their direct link is slow. Both logins are sent
// at once. Without the claim protocol both could pass their local checks
// and log the user in on two backends until gossip repairs it; with it
// (docs/ring-protocol.md) a login goes to its backend only once a majority
// of the ring granted its claim, so at most one of two conflicting claims
// wins and the other waits (or is told to try again later). Asserted from
// the backends' own logs, over several rounds.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command, lastLine, login, openImap, quoted } from '../director/imap-support.js';
import type { LineClient } from '../support/line-client.js';
import { directorById, until, type Ring } from './ring-support.js';
import { assertNoOverlap, startFaultyRing, stopFaultyRing, type FaultyRing } from './partition-support.js';

let dir: string;
let ring: FaultyRing;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-partition-race-'));
  ring = await startFaultyRing(dir, {}, {}, (id) =>
    // d1 answers from its cache for the whole test (see the file comment); the others read LDAP.
    id === 'd1' ? { cache: { size: 1000, ttl: '1h', negative_ttl: '1h' }, passdb: { change_poll: '0s' } } : {},
  );
});

after(async () => {
  await stopFaultyRing(ring);
  await rm(dir, { recursive: true, force: true });
});

/** The tagged reply to a LOGIN already sent, or a closed connection. */
async function reply(client: LineClient): Promise<string> {
  try {
    return lastLine(await client.until('a1 ', 40_000));
  } catch {
    return 'closed';
  }
}

async function serving(r: Ring, id: string): Promise<void> {
  const u = r.cluster.usersOfKind('ring')[0];
  assert.ok(u !== undefined);
  await until(`${id} serves`, 15_000, async () => {
    const { client } = await openImap(directorById(r, id));
    try {
      return (await login(client, u.name, u.password)).startsWith('a1 OK ') ? true : undefined;
    } finally {
      client.close();
    }
  });
}

test('simultaneous logins of one user through two directors with different views never put it on two backends', async () => {
  const [d1, d2] = [directorById(ring, 'd1'), directorById(ring, 'd2')];
  await serving(ring, 'd1');
  await serving(ring, 'd2');
  ring.faults.delay('d1', 'd2', 150);
  const outcomes: string[] = [];
  const hostUsers = ring.cluster.usersOfKind('host');
  assert.ok(hostUsers.length >= 6);
  for (const [i, u] of hostUsers.slice(0, 6).entries()) {
    const from = ring.cluster.backends.find((b) => b.id === u.backend);
    const to = ring.cluster.backends.find((b) => b.id !== u.backend);
    assert.ok(from !== undefined && to !== undefined);
    // Fill d1's cache with the current host (cache ttl 1h, no change polling on d1), then leave.
    const first = await openImap(d1);
    assert.match(await login(first.client, u.name, u.password), /^a1 OK /);
    await command(first.client, 'a2', 'LOGOUT');
    first.client.close();
    await ring.cluster.slapd.modifyUser(u.name, { mailHost: to.host });

    const a = await openImap(d1);
    const b = await openImap(d2);
    const line = `a1 LOGIN ${quoted(u.name)} ${quoted(u.password)}\r\n`;
    // Same instant; alternate who writes first.
    if (i % 2 === 0) {
      a.client.write(line);
      b.client.write(line);
    } else {
      b.client.write(line);
      a.client.write(line);
    }
    const [ra, rb] = await Promise.all([reply(a.client), reply(b.client)]);
    outcomes.push(`${u.name}: d1 ${ra.slice(0, 30)} | d2 ${rb.slice(0, 30)}`);
    // Every login is answered: OK, a temporary failure, or (the loser's session) ended.
    for (const r of [ra, rb]) assert.match(r, /^(a1 OK |a1 NO \[UNAVAILABLE\]|closed|\* BYE)/, r);
    a.client.close();
    b.client.close();
  }
  ring.faults.healAll();
  await assertNoOverlap(ring);
  let refused = 0;
  for (const id of ['d1', 'd2', 'd3']) {
    const log = await readFile(directorById(ring, id).logFile, 'utf8');
    refused += log.split('\n').filter((l) => l.includes('claim refused')).length;
  }
  process.stdout.write(`# ${outcomes.join('\n# ')}\n# claims refused ring-wide: ${refused}\n`);
});
