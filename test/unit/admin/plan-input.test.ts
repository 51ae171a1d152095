import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { changeFromWire, desiredFromWire, desiredToWire, MAX_LISTED_MOVES, parseDesiredList, planResponse } from '../../../src/admin/plan-input.js';
import { PlanInputError, type PlanOutcome } from '../../../src/ring/plan.js';

test('a desired list: the list, {backends}, or a whole config file; defaults as the config has them', () => {
  const yaml = 'backends:\n  - { id: b1, host: 127.0.0.11, weight: 50, ports: { imap: 1143 } }\n  - { id: b2, host: 127.0.0.12, down: true, tag: gold }\n';
  const list = parseDesiredList(parseYaml(yaml));
  assert.deepEqual(list, [
    { spec: { id: 'b1', host: '127.0.0.11', ports: { imap: 1143 }, weight: 50, tag: '' } },
    { spec: { id: 'b2', host: '127.0.0.12', ports: {}, weight: 100, tag: 'gold' }, down: true },
  ]);
  assert.deepEqual(parseDesiredList({ ring: { backends: [{ id: 'b1', host: '::1' }] } })[0]?.spec.host, '::1');
  assert.deepEqual(parseDesiredList(JSON.parse('[{"id":"b1","host":"10.0.0.1"}]')).length, 1);
  // The wire form round-trips, health included.
  assert.deepEqual(desiredFromWire(desiredToWire(list).map((b) => ({ ...b, ports: b.ports ?? {}, id: b.id ?? '', host: b.host ?? '', weight: b.weight ?? 0, tag: b.tag ?? '', health: b.health ?? '' }))), list);
});

test('a bad list names the place and the problem', () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ backends: 'b1' }, /^backends: a list/],
    [[{ id: 'b 1', host: '10.0.0.1' }], /^backends\[0\]\.id/],
    [[{ id: 'b1' }], /^backends\[0\]\.host: required/],
    [[{ id: 'b1', host: '10.0.0.1', weight: 10_001 }], /^backends\[0\]\.weight/],
    [[{ id: 'b1', host: '10.0.0.1', weight: 1.5 }], /^backends\[0\]\.weight/],
    [[{ id: 'b1', host: '10.0.0.1', ports: { smtp: 25 } }], /unknown protocol "smtp"/],
    [[{ id: 'b1', host: '10.0.0.1', down: 'yes' }], /^backends\[0\]\.down/],
    [[{ id: 'b1', host: '10.0.0.1', vnodes: 3 }], /^backends\[0\]\.vnodes: unknown key/],
    [[{ id: 'b1', host: '10.0.0.1' }, { id: 'b1', host: '10.0.0.2' }], /^backends\[1\]\.id: duplicate/],
  ];
  for (const [value, message] of cases) assert.throws(() => parseDesiredList(value), (e: unknown) => e instanceof PlanInputError && message.test(e.message));
});

test('one change from the wire', () => {
  const base = { id: 'b1', host: '', ports: {}, weight: 0, tag: '' };
  assert.deepEqual(changeFromWire({ ...base, action: 'weight', weight: 50 }), { action: 'weight', id: 'b1', weight: 50 });
  assert.deepEqual(changeFromWire({ ...base, action: 'remove' }), { action: 'remove', id: 'b1' });
  assert.deepEqual(changeFromWire({ ...base, action: 'add', host: '10.0.0.9' }), {
    action: 'add',
    spec: { id: 'b1', host: '10.0.0.9', ports: {}, weight: 100, tag: '' },
  });
  assert.throws(() => changeFromWire({ ...base, action: 'rename' }), PlanInputError);
  assert.throws(() => changeFromWire({ ...base, action: 'weight', weight: 20_000 }), PlanInputError);
});

test('the answer lists moves only when asked, and at most MAX_LISTED_MOVES', () => {
  const moves = Array.from({ length: MAX_LISTED_MOVES + 5 }, (_, i) => ({ user: `u${i}`, from: 'b1', to: 'b2', keptBySessions: false }));
  const plan: PlanOutcome = { source: 'passdb', placement: 'ketama', users: moves.length, moved: moves.length, keptBySessions: 0, unplaced: 0, skipped: 0, shares: [], moves };
  assert.deepEqual(planResponse(plan, false).moves, []);
  const listed = planResponse(plan, true);
  assert.equal(listed.moves?.length, MAX_LISTED_MOVES);
  assert.equal(listed.moved, moves.length);
});
