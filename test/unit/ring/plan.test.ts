import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BackendRing } from '../../../src/ring/hash-ring.js';
import { desiredAfter, planRing, PlanInputError, ringAfter, type PlanUser } from '../../../src/ring/plan.js';
import type { BackendSpec, RingPlacement } from '../../../src/ring/types.js';

function spec(id: string, n: number, weight = 100, tag = ''): BackendSpec {
  return { id, host: `10.0.0.${n}`, ports: {}, weight, tag };
}

const THREE = [spec('b1', 1), spec('b2', 2), spec('b3', 3)];
const USERS: PlanUser[] = Array.from({ length: 3000 }, (_, i) => ({ user: `u${i}`, key: `u${i}@example.org`, tag: '' }));

for (const placement of ['ketama', 'dovecot'] as RingPlacement[]) {
  test(`${placement}: a weight change moves exactly the users whose placement differs`, () => {
    const before = new BackendRing(THREE, 160, new Set(), new Set(), placement);
    const after = ringAfter(before, desiredAfter(before, { action: 'weight', id: 'b1', weight: 50 }));
    assert.equal(after.placement, placement);
    assert.equal(after.backend('b1')?.weight, 50);
    const plan = planRing(before, after, USERS);
    const expected = USERS.filter((u) => before.pick(u.key, '')?.id !== after.pick(u.key, '')?.id);
    assert.equal(plan.moved, expected.length);
    assert.deepEqual(plan.moves.map((m) => m.user).sort(), expected.map((u) => u.user).sort());
    // Halving b1 only takes users from b1 (consistent hashing): nobody moves onto it.
    assert.ok(plan.moves.every((m) => m.from === 'b1' && m.to !== 'b1'));
    assert.ok(plan.moved > 0);
    const b1 = plan.shares.find((s) => s.backendId === 'b1')!;
    assert.equal(b1.before - b1.after, plan.moved);
    assert.equal(plan.shares.reduce((n, s) => n + s.before, 0), USERS.length);
    assert.equal(plan.shares.reduce((n, s) => n + s.after, 0), USERS.length);
  });
}

test('removing a backend moves exactly its users, and nothing else', () => {
  const before = new BackendRing(THREE, 160);
  const after = ringAfter(before, desiredAfter(before, { action: 'remove', id: 'b2' }));
  const plan = planRing(before, after, USERS);
  const onB2 = USERS.filter((u) => before.pick(u.key, '')?.id === 'b2').map((u) => u.user).sort();
  assert.deepEqual(plan.moves.map((m) => m.user), onB2);
  assert.deepEqual(plan.shares.find((s) => s.backendId === 'b2'), { backendId: 'b2', before: onB2.length, after: 0 });
});

test('users with live sessions stay until they end, unless their backend goes', () => {
  const before = new BackendRing(THREE, 160);
  const afterWeight = ringAfter(before, desiredAfter(before, { action: 'weight', id: 'b1', weight: 10 }));
  const mover = USERS.find((u) => before.pick(u.key, '')?.id === 'b1' && afterWeight.pick(u.key, '')?.id !== 'b1')!;
  const held: PlanUser = { ...mover, held: 'b1' };
  const plan = planRing(before, afterWeight, [held]);
  assert.equal(plan.moved, 1);
  assert.equal(plan.keptBySessions, 1);
  const afterDown = ringAfter(before, desiredAfter(before, { action: 'down', id: 'b1' }));
  const down = planRing(before, afterDown, [held]);
  assert.equal(down.moved, 1);
  assert.equal(down.keptBySessions, 0);
  // Sessions on a backend other than the ring's placement count as where the user is now.
  const elsewhere = planRing(before, before, [{ ...mover, held: 'b3' }]);
  assert.equal(elsewhere.shares.find((s) => s.backendId === 'b3')?.before, 1);
  assert.equal(elsewhere.moved, 1);
  assert.equal(elsewhere.keptBySessions, 1);
});

test('tags: a change in one tag leaves the other tag alone', () => {
  const specs = [...THREE, spec('t1', 11, 100, 'gold'), spec('t2', 12, 100, 'gold')];
  const before = new BackendRing(specs, 160);
  const users = USERS.map((u, i) => ({ ...u, tag: i % 2 === 0 ? '' : 'gold' }));
  const plan = planRing(before, ringAfter(before, desiredAfter(before, { action: 'remove', id: 't1' })), users);
  assert.ok(plan.moves.length > 0);
  assert.ok(plan.moves.every((m) => m.from === 't1' && m.to === 't2'));
  const allGone = planRing(before, ringAfter(before, specs.filter((s) => s.tag === '').map((s) => ({ spec: s }))), users);
  assert.equal(allGone.unplaced, users.length / 2);
});

test('adding a backend moves users only onto it; a plan changes nothing in the ring', () => {
  const before = new BackendRing(THREE, 160);
  const snapshot = before.backends().map((b) => ({ ...b }));
  const after = ringAfter(before, desiredAfter(before, { action: 'add', spec: spec('b4', 4) }));
  const plan = planRing(before, after, USERS);
  assert.ok(plan.moved > 0 && plan.moves.every((m) => m.to === 'b4'));
  assert.deepEqual(before.backends().map((b) => ({ ...b })), snapshot);
  assert.throws(() => desiredAfter(before, { action: 'weight', id: 'nope', weight: 1 }), PlanInputError);
  assert.throws(() => desiredAfter(before, { action: 'add', spec: spec('b1', 9) }), PlanInputError);
});
