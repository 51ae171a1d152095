// `backend flush` in a ring whose limits.max_disconnect_delay is 3 s: the
// users kept on the backend by their sessions are sent to their ring
// placement, and their sessions are ended at moments spread over those 3 s
// (as Dovecot's director flush spreads its kicks), not all at once, so
// their clients do not all reconnect in the same instant.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LineClient } from '../support/line-client.js';
import { assertNeverOnTwo, cliJson, closedBy, directorAt, openSession, startRing, type Ring } from './ring-support.js';

const SPREAD_MS = 3000;
let dir: string;
let ring: Ring;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-flush-spread-'));
  ring = await startRing(dir, { maxDisconnectDelay: `${SPREAD_MS}ms` }, 60);
});

after(async () => {
  await ring?.cluster.stop();
  await rm(dir, { recursive: true, force: true });
});

test('backend flush ends the sessions it moves at moments spread over max_disconnect_delay; other users stay', async () => {
  const users = ring.cluster.usersOfKind('ring');
  const sessions: Array<{ user: string; client: LineClient; backend: string }> = [];
  let movedUsers: string[] = [];
  try {
    for (const [i, u] of users.entries()) {
      const s = await openSession(ring.cluster, u, directorAt(ring, i % 2));
      sessions.push({ user: u.name, ...s });
    }
    const perBackend = new Map<string, number>();
    for (const s of sessions) perBackend.set(s.backend, (perBackend.get(s.backend) ?? 0) + 1);
    const [home] = [...perBackend.entries()].sort((a, b) => b[1] - a[1])[0] ?? [];
    assert.ok(home !== undefined);
    const moved = sessions.filter((s) => s.backend === home);
    assert.ok(moved.length >= 8, `${moved.length} users on ${home}`);
    movedUsers = moved.map((s) => s.user);

    await cliJson(ring, directorAt(ring, 0), 'backend', 'weight', home, '0');
    const flushedAt = Date.now();
    const flush = await cliJson<{ moved_users: number }>(ring, directorAt(ring, 2), 'backend', 'flush', home);
    assert.equal(flush.moved_users, moved.length);
    const endedAfter = await Promise.all(
      moved.map(async (s) => {
        await closedBy(s.client, SPREAD_MS + 5000);
        return Date.now() - flushedAt;
      }),
    );
    endedAfter.sort((a, b) => a - b);
    const first = endedAfter[0] ?? 0;
    const last = endedAfter.at(-1) ?? 0;
    process.stdout.write(`# ${moved.length} sessions ended ${endedAfter.join(', ')} ms after the flush\n`);
    // Uniform over 3 s, eight or more kicks all inside half a second would happen about once in 30,000 runs.
    assert.ok(last - first >= 500, `kicks not spread: ${endedAfter.join(', ')} ms`);
    assert.ok(last <= SPREAD_MS + 2000, `a kick later than max_disconnect_delay allows: ${last} ms`);
    assert.ok(sessions.filter((s) => s.backend !== home).every((s) => !s.client.closed), "other backends' sessions stay");
  } finally {
    for (const s of sessions) s.client.close();
  }
  for (const user of movedUsers) await assertNeverOnTwo(ring.cluster, user);
});
