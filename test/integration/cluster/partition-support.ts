// Shared by the partition-*.test.ts files: a three-director ring whose
// director links run through fault relays (test/harness/ring-faults.ts),
// and I1 read from the backends' own logs with the chaos run's checker.
import assert from 'node:assert/strict';
import { startCluster } from '../../harness/cluster.js';
import { adminCert, ringOverrides, type RingTuning } from '../../harness/ring.js';
import { startRingFaults, type RingFaults } from '../../harness/ring-faults.js';
import { findOverlaps, sessionsOf, type Interval } from '../../chaos/overlap.js';
import type { Ring } from './ring-support.js';

export interface FaultyRing extends Ring {
  readonly faults: RingFaults;
}

export async function startFaultyRing(
  dir: string,
  tuning: RingTuning = {},
  extra: Record<string, unknown> = {},
  perDirector: (id: string) => Record<string, unknown> = () => ({}),
): Promise<FaultyRing> {
  const faults = await startRingFaults(['d1', 'd2', 'd3']);
  try {
    const base = ringOverrides(dir, tuning);
    const cluster = await startCluster({
      dir,
      directors: 3,
      backends: 3,
      users: 20,
      directorOverrides: faults.overrides((self, all) => ({ ...base(self, all), ...extra, ...perDirector(self.id) })),
    });
    return { cluster, admin: await adminCert(cluster), faults };
  } catch (err) {
    await faults.close();
    throw err;
  }
}

export async function stopFaultyRing(ring: FaultyRing | undefined): Promise<void> {
  if (ring === undefined) return;
  for (const d of ring.cluster.directors) d.resume();
  ring.faults.healAll();
  await ring.cluster.stop();
  await ring.faults.close();
}

/** Every session of the backends' logs (open ones run to now), and the users seen on two backends at once (I1). */
export async function backendSessions(ring: Ring): Promise<{ sessions: Interval[]; overlaps: ReturnType<typeof findOverlaps> }> {
  const sessions: Interval[] = [];
  const now = Date.now();
  for (const b of ring.cluster.backends) sessions.push(...sessionsOf(b.id, await b.loginEvents(), [], now));
  return { sessions, overlaps: findOverlaps(sessions) };
}

export async function assertNoOverlap(ring: Ring): Promise<Interval[]> {
  const { sessions, overlaps } = await backendSessions(ring);
  assert.deepEqual(
    overlaps.map((o) => `${o.user}: ${o.a.backend} ${o.a.session} and ${o.b.backend} ${o.b.session} for ${o.ms.toFixed(1)} ms`),
    [],
    'no user on two backends at once (from the Dovecot logs)',
  );
  return sessions;
}
