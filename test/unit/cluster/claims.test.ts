// The claim grants one director gives others' logins (cluster/claims.ts) and
// when a claim's grants are enough (cluster/fencing.ts grantsSuffice).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClaimGrants } from '../../../src/cluster/claims.js';
import { grantsSuffice } from '../../../src/cluster/fencing.js';
import type { PresenceHolder } from '../../../src/cluster/presence.js';

function grants(holders: PresenceHolder[] = [], counts: (id: string) => boolean = () => true, clock = { now: 1000 }): ClaimGrants {
  return new ClaimGrants({ selfId: 'd3', holders: (user) => holders.filter((h) => h.directorId !== '' && user === 'u'), counts, ttlMs: 10_000, now: () => clock.now });
}

test('two claims of one user on different hosts: the second is refused, naming the first', () => {
  const g = grants();
  assert.deepEqual(g.decide({ user: 'u', host: 'A', claimant: 'd1', presenceCounter: 5 }), { granted: true });
  assert.deepEqual(g.decide({ user: 'u', host: 'B', claimant: 'd2', presenceCounter: 7 }), { granted: false, holder: 'd1', holderHost: 'A' });
  // The same host is no conflict; nor is the claimant's own new claim.
  assert.deepEqual(g.decide({ user: 'u', host: 'A', claimant: 'd2', presenceCounter: 8 }), { granted: true });
  assert.deepEqual(g.decide({ user: 'u', host: 'C', claimant: 'd1', presenceCounter: 9 }).granted, false, 'd2 holds A now');
  // Other users are independent.
  assert.deepEqual(g.decide({ user: 'v', host: 'B', claimant: 'd2', presenceCounter: 1 }), { granted: true });
});

test('sessions of another director elsewhere refuse a claim; the claimant\'s own do not', () => {
  const g = grants([{ directorId: 'd1', host: 'A', backendId: 'b1', sessions: 1 }]);
  assert.equal(g.decide({ user: 'u', host: 'B', claimant: 'd2', presenceCounter: 1 }).granted, false);
  assert.equal(g.decide({ user: 'u', host: 'B', claimant: 'd1', presenceCounter: 1 }).granted, true);
  g.release('u', 'd1');
  assert.equal(g.decide({ user: 'u', host: 'A', claimant: 'd2', presenceCounter: 1 }).granted, true);
});

test('a grant ends with its release, with the claimant\'s presence at least as new, with its TTL, or when the claimant no longer counts', () => {
  const clock = { now: 1000 };
  let d1Counts = true;
  const g = grants([], (id) => id !== 'd1' || d1Counts, clock);
  const claimA = { user: 'u', host: 'A', claimant: 'd1', presenceCounter: 5 };
  const claimB = { user: 'u', host: 'B', claimant: 'd2', presenceCounter: 6 };
  g.decide(claimA);
  g.release('u', 'd1');
  assert.equal(g.decide(claimB).granted, true);
  g.release('u', 'd2');

  g.decide(claimA);
  g.presenceSeen('d1', 'u', 4);
  assert.equal(g.decide(claimB).granted, false, 'an older presence entry does not speak for the claim');
  g.presenceSeen('d1', 'u', 5);
  assert.equal(g.decide(claimB).granted, true);
  g.release('u', 'd2');

  g.decide(claimA);
  clock.now += 10_001;
  assert.equal(g.decide(claimB).granted, true, 'expired');
  g.release('u', 'd2');

  clock.now += 1;
  g.decide(claimA);
  d1Counts = false;
  assert.equal(g.decide(claimB).granted, true, 'a director past its presence hold');
  assert.equal(g.conflict('u', 'A', 'd3')?.directorId, 'd2');
});

test('enough grants: a side that cannot be fenced; in a ring of two without tie-breaker, the live peer too', () => {
  const s = (...ids: string[]): ReadonlySet<string> => new Set(ids);
  const three = ['d1', 'd2', 'd3'];
  assert.equal(grantsSuffice(three, s('d1'), s('d1', 'd2', 'd3'), undefined), false);
  assert.equal(grantsSuffice(three, s('d1', 'd3'), s('d1', 'd2', 'd3'), undefined), true);
  assert.equal(grantsSuffice(['d1', 'd2', 'd3', 'd4'], s('d1', 'd2'), s('d1', 'd2', 'd3', 'd4'), undefined), false);
  assert.equal(grantsSuffice(['d1', 'd2', 'd3', 'd4'], s('d1', 'd2'), s('d1', 'd2', 'd3', 'd4'), 'd2'), true);
  assert.equal(grantsSuffice(['d1'], s('d1'), s('d1'), undefined), true);
  assert.equal(grantsSuffice(['d1', 'd2'], s('d1'), s('d1', 'd2'), undefined), false, 'the live peer must grant');
  assert.equal(grantsSuffice(['d1', 'd2'], s('d1'), s('d1'), undefined), true, 'a dead peer is not waited for');
  assert.equal(grantsSuffice(['d1', 'd2'], s('d1'), s('d1', 'd2'), 'd1'), true, 'the tie-breaker alone');
  assert.equal(grantsSuffice(['d1', 'd2'], s('d2'), s('d2'), 'd1'), false);
});

test('a director that has not yet learnt what its peers hold (just restarted) grants nothing, naming itself; then it grants as usual', () => {
  let ready = false;
  const g = new ClaimGrants({ selfId: 'd3', holders: () => [], counts: () => true, ttlMs: 10_000, ready: () => ready });
  assert.deepEqual(g.decide({ user: 'u', host: 'B', claimant: 'd2', presenceCounter: 7 }), { granted: false, holder: 'd3', holderHost: '' });
  assert.equal(g.size(), 0, 'a refused claim leaves no grant behind');
  ready = true;
  assert.deepEqual(g.decide({ user: 'u', host: 'B', claimant: 'd2', presenceCounter: 7 }), { granted: true });
});

test("a release names the claim it gives up: one that overtook a later claim of the same director leaves that claim's grant", () => {
  const g = grants();
  assert.equal(g.decide({ user: 'u', host: 'A', claimant: 'd1', presenceCounter: 5 }).granted, true);
  // d1 gave up claim 5 and claimed again (7); its release of 5 arrives after the new claim.
  assert.equal(g.decide({ user: 'u', host: 'B', claimant: 'd1', presenceCounter: 7 }).granted, true);
  g.release('u', 'd1', 5);
  assert.deepEqual(g.decide({ user: 'u', host: 'A', claimant: 'd2', presenceCounter: 8 }), { granted: false, holder: 'd1', holderHost: 'B' });
  g.release('u', 'd1', 7);
  assert.equal(g.decide({ user: 'u', host: 'A', claimant: 'd2', presenceCounter: 8 }).granted, true);
  // A release without a counter (a director of an earlier version) drops whatever was granted.
  g.release('u', 'd2');
  assert.equal(g.size(), 0);
});
