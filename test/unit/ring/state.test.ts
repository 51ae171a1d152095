import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BackendRing } from '../../../src/ring/hash-ring.js';
import {
  checkEntry,
  commonCapabilities,
  compareEntries,
  effectiveDown,
  RingState,
  RingStateError,
  seedEntries,
} from '../../../src/ring/state.js';
import type { RingEntry } from '../../../src/ring/state.js';

/** mulberry32: a small seeded PRNG so a failing run can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)] as T;
}

function shuffle<T>(rand: () => number, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const DIRECTORS = ['d1', 'd2', 'd3'];
const BACKENDS = ['b1', 'b2', 'b3', 'b4'];

/**
 * Random writes by three directors, each with its own clock, some seeing the
 * others' writes in between (causality) and some concurrent; counters
 * deliberately collide across directors so the origin and value tie-breaks
 * are exercised.
 */
function randomHistory(seed: number, writes: number): RingEntry[] {
  const rand = prng(seed);
  const nodes = new Map(DIRECTORS.map((d) => [d, new RingState(d)]));
  const all: RingEntry[] = [];
  for (let i = 0; i < writes; i++) {
    const id = pick(rand, DIRECTORS);
    const node = nodes.get(id) as RingState;
    if (rand() < 0.3 && all.length > 0) {
      // See some of the others' writes first.
      node.merge(shuffle(rand, all).slice(0, Math.floor(rand() * all.length)));
    }
    const now = Math.floor(rand() * 5); // tiny wall clock: counters collide
    const backend = pick(rand, BACKENDS);
    let entry: RingEntry;
    switch (Math.floor(rand() * 7)) {
      case 0:
        entry = node.setBackend({ id: backend, host: `10.0.0.${Math.floor(rand() * 9)}`, ports: { imap: 143 }, weight: Math.floor(rand() * 200), tag: pick(rand, ['', 't']) }, now);
        break;
      case 1:
        entry = node.removeBackend(backend, now);
        break;
      case 2:
        entry = node.setAdmin(backend, pick(rand, ['none', 'up', 'down'] as const), now);
        break;
      case 3:
        entry = node.setVerdict(backend, rand() < 0.5, { imap: rand() < 0.5 ? ['IMAP4REV1'] : ['IMAP4REV1', 'IDLE'], pop3: [] }, now);
        break;
      case 4:
        entry = node.setDirector(pick(rand, DIRECTORS), rand() < 0.8 ? `127.0.0.1:${1000 + Math.floor(rand() * 3)}` : null, now);
        break;
      default:
        entry = node.setMove(`user${Math.floor(rand() * 5)}`, rand() < 0.7 ? backend : null, now);
    }
    all.push(entry);
  }
  return all;
}

function fingerprint(state: RingState): string {
  return JSON.stringify(state.sortedEntries());
}

test('merge converges: the same updates in any order, batching or repetition give identical state', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const history = randomHistory(seed, 60);
    const rand = prng(seed * 7919);
    const reference = new RingState('x');
    reference.merge(history);
    const expected = fingerprint(reference);
    for (let trial = 0; trial < 5; trial++) {
      const replica = new RingState('y');
      // Random order, random batches, some entries delivered twice (idempotence).
      const delivery = shuffle(rand, [...history, ...history.filter(() => rand() < 0.3)]);
      while (delivery.length > 0) replica.merge(delivery.splice(0, 1 + Math.floor(rand() * 10)));
      assert.equal(fingerprint(replica), expected, `seed ${seed} trial ${trial}`);
    }
  }
});

test('merge is associative: merging merged states equals merging everything', () => {
  for (let seed = 1000; seed < 1100; seed++) {
    const history = randomHistory(seed, 40);
    const rand = prng(seed);
    const parts: RingEntry[][] = [[], [], []];
    for (const e of history) (parts[Math.floor(rand() * 3)] as RingEntry[]).push(e);
    const [a, b, c] = parts.map((p) => {
      const s = new RingState('z');
      s.merge(p);
      return s;
    }) as [RingState, RingState, RingState];
    const left = new RingState('l'); // (a ∪ b) ∪ c
    const ab = new RingState('ab');
    ab.merge(a.entries());
    ab.merge(b.entries());
    left.merge(ab.entries());
    left.merge(c.entries());
    const right = new RingState('r'); // a ∪ (b ∪ c)
    const bc = new RingState('bc');
    bc.merge(c.entries());
    bc.merge(b.entries());
    right.merge(bc.entries());
    right.merge(a.entries());
    assert.equal(fingerprint(left), fingerprint(right), `seed ${seed}`);
  }
});

test('compareEntries is a total order on a key: antisymmetric, and only equal entries compare 0', () => {
  const base = { kind: 'move', user: 'u', version: { counter: 5, origin: 'd1' } } as const;
  const a: RingEntry = { ...base, backendId: 'b1' };
  const b: RingEntry = { ...base, backendId: 'b2' };
  assert.equal(Math.sign(compareEntries(a, b)), -Math.sign(compareEntries(b, a)));
  assert.notEqual(compareEntries(a, b), 0);
  assert.equal(compareEntries(a, { ...a }), 0);
});

test('a write made after seeing another always wins, even with a smaller wall clock', () => {
  const d1 = new RingState('d1');
  const d2 = new RingState('d2');
  const first = d1.setAdmin('b1', 'down', 1_000_000);
  d2.merge([first]);
  // d2's wall clock is far behind: the Lamport clock still orders its write later.
  const second = d2.setAdmin('b1', 'up', 5);
  assert.ok(second.version.counter > first.version.counter);
  d1.merge([second]);
  assert.equal(d1.adminState('b1'), 'up');
  assert.equal(d2.adminState('b1'), 'up');
});

test('config seeds lose to run-time writes; removal is a tombstone that survives re-seeding', () => {
  const state = new RingState('d1');
  const seed = { backends: [{ id: 'b1', host: 'h1', ports: {}, weight: 100, tag: '' }, { id: 'b2', host: 'h2', ports: {}, weight: 100, tag: '' }], directors: [{ id: 'd1', address: '127.0.0.1:1' }] };
  state.merge(seedEntries(seed));
  state.removeBackend('b2');
  state.setBackend({ id: 'b1', host: 'h1', ports: {}, weight: 7, tag: '' });
  state.merge(seedEntries(seed)); // a restart seeds again
  assert.deepEqual(state.backends().map((b) => [b.id, b.weight]), [['b1', 7]]);
  assert.deepEqual(state.removedBackends(), ['b2']);
  assert.deepEqual(state.directors(), [{ id: 'd1', address: '127.0.0.1:1' }]);
});

test('checkEntry refuses unsound entries and merge skips them', () => {
  const bad: RingEntry[] = [
    { kind: 'backend', version: { counter: -1, origin: 'd1' }, backendId: 'b1', spec: null },
    { kind: 'backend', version: { counter: 1.5, origin: 'd1' }, backendId: 'b1', spec: null },
    { kind: 'backend', version: { counter: 3, origin: '' }, backendId: 'b1', spec: null },
    { kind: 'backend', version: { counter: 3, origin: 'd1' }, backendId: '', spec: null },
    { kind: 'backend', version: { counter: 3, origin: 'd1' }, backendId: 'b1', spec: { host: 'h', ports: { imap: 70000 }, weight: 1, tag: '' } },
    { kind: 'backend', version: { counter: 3, origin: 'd1' }, backendId: 'b1', spec: { host: 'h', ports: {}, weight: -2, tag: '' } },
    // A director cannot speak for another director's probes.
    { kind: 'verdict', version: { counter: 3, origin: 'd2' }, directorId: 'd1', backendId: 'b1', down: true, capabilities: { imap: [], pop3: [] } },
  ];
  for (const e of bad) assert.notEqual(checkEntry(e), undefined, JSON.stringify(e));
  const state = new RingState('d1');
  const { changed, rejected } = state.merge(bad);
  assert.equal(changed.length, 0);
  assert.equal(rejected, bad.length);
  assert.throws(() => state.setBackend({ id: 'b1', host: '', ports: {}, weight: 1, tag: '' }), RingStateError);
});

function ringWith(verdicts: Record<string, Record<string, boolean>>, admin: Record<string, 'up' | 'down'> = {}): RingState {
  const state = new RingState('d1');
  state.merge(seedEntries({
    backends: BACKENDS.map((id) => ({ id, host: id, ports: {}, weight: 100, tag: '' })),
    directors: DIRECTORS.map((id) => ({ id, address: `${id}:1` })),
  }));
  for (const [director, byBackend] of Object.entries(verdicts)) {
    const writer = new RingState(director);
    for (const [backend, down] of Object.entries(byBackend)) state.merge([writer.setVerdict(backend, down)]);
  }
  for (const [backend, s] of Object.entries(admin)) state.setAdmin(backend, s);
  return state;
}

const ALL_LIVE = new Set(DIRECTORS);

test('down rule: one director with a bad link cannot take a backend out', () => {
  const state = ringWith({ d1: { b1: true }, d2: { b1: false }, d3: { b1: false } });
  assert.deepEqual([...effectiveDown(state, ALL_LIVE)], []);
});

test('down rule: a majority of live voters takes it out; a tie keeps it in', () => {
  assert.deepEqual([...effectiveDown(ringWith({ d1: { b1: true }, d2: { b1: true }, d3: { b1: false } }), ALL_LIVE)], ['b1']);
  assert.deepEqual([...effectiveDown(ringWith({ d1: { b1: true }, d2: { b1: false } }), ALL_LIVE)], []);
});

test('down rule: dead directors do not vote', () => {
  const state = ringWith({ d1: { b1: true }, d2: { b1: true }, d3: { b1: false } });
  // d2 died: its stale "down" no longer counts; d1 vs d3 is a tie.
  assert.deepEqual([...effectiveDown(state, new Set(['d1', 'd3']))], []);
  // d3 died instead: the two live voters agree.
  assert.deepEqual([...effectiveDown(state, new Set(['d1', 'd2']))], ['b1']);
  // Alone, a director's own verdict decides.
  assert.deepEqual([...effectiveDown(state, new Set(['d1']))], ['b1']);
});

test('down rule: operator down/up override the probes until cleared', () => {
  const state = ringWith({ d1: { b1: true, b2: false }, d2: { b1: true, b2: false }, d3: { b1: true, b2: false } }, { b1: 'up', b2: 'down' });
  assert.deepEqual([...effectiveDown(state, ALL_LIVE)].sort(), ['b2']);
  state.setAdmin('b1', 'none');
  state.setAdmin('b2', 'none');
  assert.deepEqual([...effectiveDown(state, ALL_LIVE)].sort(), ['b1']);
});

test('down rule: directors that see the same state and live set place every user alike', () => {
  const a = ringWith({ d1: { b1: true }, d2: { b1: true, b3: true }, d3: { b3: false } });
  const b = new RingState('d2');
  b.merge(shuffle(prng(3), [...a.entries()]));
  const ringA = new BackendRing(a.backends(), 160, effectiveDown(a, ALL_LIVE));
  const ringB = new BackendRing(b.backends(), 160, effectiveDown(b, ALL_LIVE));
  for (let i = 0; i < 500; i++) assert.equal(ringA.pick(`user${i}`, '')?.id, ringB.pick(`user${i}`, '')?.id);
  assert.ok([...Array(200).keys()].every((i) => ringA.pick(`user${i}`, '')?.id !== 'b1'));
});

test('commonCapabilities intersects what up backends offered to live directors', () => {
  const state = ringWith({});
  state.merge([new RingState('d2').setVerdict('b1', false, { imap: ['IMAP4REV1', 'IDLE', 'LITERAL+'], pop3: [] })]);
  state.merge([new RingState('d3').setVerdict('b2', false, { imap: ['IMAP4REV1', 'IDLE'], pop3: [] })]);
  state.merge([new RingState('d1').setVerdict('b3', true, { imap: ['IMAP4REV1'], pop3: [] })]);
  assert.deepEqual([...(commonCapabilities(state, ALL_LIVE, 'imap') ?? [])].sort(), ['IDLE', 'IMAP4REV1']);
  assert.equal(commonCapabilities(state, ALL_LIVE, 'pop3'), undefined);
});

test('toJSON / fromPersisted round-trips entries and the clock', () => {
  const state = new RingState('d1');
  for (const e of randomHistory(42, 80)) state.merge([e]);
  state.setAdmin('b1', 'down');
  const copy = RingState.fromPersisted(JSON.parse(JSON.stringify(state.toJSON())), 'd1');
  assert.equal(fingerprint(copy), fingerprint(state));
  assert.equal(copy.clock, state.clock);
  assert.ok(copy.nextVersion(0).counter > state.clock);
});
