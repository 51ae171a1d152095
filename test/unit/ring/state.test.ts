import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BackendRing } from '../../../src/ring/hash-ring.js';
import {
  BACKEND_TOMBSTONE_TTL_MS,
  checkEntry,
  INCARNATION_SETTLE_MS,
  commonCapabilities,
  backendHealth,
  compareEntries,
  effectiveDown,
  effectivePending,
  MOVE_ENTRY_TTL_MS,
  PRESENCE_TOMBSTONE_TTL_MS,
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

test('pending rule: a backend with no verdict from a live director gets no users until a probe says up', () => {
  // b2..b4 have no verdicts at all (just added, or seeded and not yet probed).
  const state = ringWith({ d1: { b1: false } });
  assert.deepEqual(Object.fromEntries(backendHealth(state, ALL_LIVE)), { b1: 'up', b2: 'pending', b3: 'pending', b4: 'pending' });
  assert.deepEqual([...effectivePending(state, ALL_LIVE)].sort(), ['b2', 'b3', 'b4']);
  assert.deepEqual([...effectiveDown(state, ALL_LIVE)], [], 'pending is not down: no probe said so');
  const ring = new BackendRing(state.backends(), 160, effectiveDown(state, ALL_LIVE), effectivePending(state, ALL_LIVE));
  assert.deepEqual([...ring.down].sort(), ['b2', 'b3', 'b4'], 'out of placement like down');
  assert.deepEqual(ring.downNotPending(), []);
  for (let i = 0; i < 300; i++) assert.equal(ring.pick(`user${i}`, '')?.id, 'b1');
});

test('pending rule: verdicts of dead directors do not count; the first live verdict decides', () => {
  const state = ringWith({ d2: { b1: false } });
  // d2 said up, but it is dead: nobody alive has seen b1 answer.
  assert.equal(backendHealth(state, new Set(['d1', 'd3'])).get('b1'), 'pending');
  assert.equal(backendHealth(state, ALL_LIVE).get('b1'), 'up');
  state.merge([new RingState('d3').setVerdict('b2', true)]);
  assert.equal(backendHealth(state, ALL_LIVE).get('b2'), 'down', 'a first verdict of down makes it down, not pending');
});

test('pending rule: an operator up forces a pending backend up, down keeps it down', () => {
  const state = ringWith({}, { b1: 'up', b2: 'down' });
  assert.deepEqual(Object.fromEntries(backendHealth(state, ALL_LIVE)), { b1: 'up', b2: 'down', b3: 'pending', b4: 'pending' });
  state.setAdmin('b1', 'none');
  assert.equal(backendHealth(state, ALL_LIVE).get('b1'), 'pending', 'flush: the probes decide again');
});

test('pending rule: a ring where every backend is pending places nobody', () => {
  const state = ringWith({});
  const ring = new BackendRing(state.backends(), 160, effectiveDown(state, ALL_LIVE), effectivePending(state, ALL_LIVE));
  assert.equal(ring.pick('user1', ''), undefined);
  assert.deepEqual(ring.tags(), []);
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

// --- garbage collection of move entries and removed-backend tombstones ---

const T0 = 1_800_000_000_000;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

function spec(id: string, host = `10.0.0.${id.slice(1)}`): { id: string; host: string; ports: { imap: number }; weight: number; tag: string } {
  return { id, host, ports: { imap: 143 }, weight: 100, tag: '' };
}

/** Count the entries of a kind (and, for backends, removed ones only). */
function count(state: RingState, kind: RingEntry['kind'], tombstonesOnly = false): number {
  return state.sortedEntries().filter((e) => e.kind === kind && (!tombstonesOnly || (e.kind === 'backend' && e.spec === null))).length;
}

test('move entries (in force or cleared) are collected after the TTL and do not come back; young ones stay', () => {
  const d1 = new RingState('d1');
  const old = d1.setMove('alice', 'b2', T0, '127.0.0.12');
  const cleared = d1.setMove('bob', null, T0 + 1);
  const d2 = new RingState('d2');
  d2.merge([old, cleared]);
  assert.equal(d2.collectGarbage(), 0, 'young moves stay');
  assert.deepEqual([...d2.moves()], [['alice', 'b2']]);
  const young = d1.setMove('carol', 'b1', T0 + MOVE_ENTRY_TTL_MS + 10);
  d2.merge([young]);
  assert.equal(d2.collectGarbage(), 2);
  assert.deepEqual([...d2.moves()], [['carol', 'b1']]);
  // A peer's full state that still has them does not bring them back.
  assert.deepEqual(d2.merge([old, cleared]).changed, []);
  assert.equal(count(d2, 'move'), 1);
  // A new move of a collected user is taken as usual.
  assert.equal(d2.merge([d1.setMove('alice', 'b3', T0 + MOVE_ENTRY_TTL_MS + 20)]).changed.length, 1);
  assert.equal(d2.moves().get('alice'), 'b3');
});

test('removed-backend tombstones stay for BACKEND_TOMBSTONE_TTL_MS, then are collected; live backends never are', () => {
  const d1 = new RingState('d1');
  d1.setBackend(spec('b1'), T0);
  d1.setBackend(spec('b2'), T0);
  d1.removeBackend('b2', T0 + MINUTE);
  d1.setMove('alice', 'b1', T0 + 2 * MINUTE);
  // A day short of the TTL: the move goes, the tombstone stays.
  d1.setAdmin('b1', 'up', T0 + MINUTE + BACKEND_TOMBSTONE_TTL_MS - DAY);
  assert.equal(d1.collectGarbage(), 1);
  assert.deepEqual(d1.removedBackends(), ['b2']);
  d1.setAdmin('b1', 'none', T0 + MINUTE + BACKEND_TOMBSTONE_TTL_MS + 1);
  assert.equal(d1.collectGarbage(), 1);
  assert.deepEqual(d1.removedBackends(), []);
  assert.deepEqual(d1.backends().map((b) => b.id), ['b1'], 'a live backend, however old, stays');
  assert.equal(d1.collectGarbage(), 0);
});

test('merging after GC stays deterministic: directors that get every entry within minutes agree after their GC', () => {
  const users = ['u1', 'u2', 'u3', 'u4', 'u5'];
  for (let seed = 1; seed <= 40; seed++) {
    const rand = prng(seed);
    // Writes by three directors over ~40 days; each writer has seen everything before it writes.
    const writers = new Map(DIRECTORS.map((d) => [d, new RingState(d)]));
    const history: Array<{ entry: RingEntry; at: number }> = [];
    let now = T0;
    for (let i = 0; i < 150; i++) {
      now += pick(rand, [1_000, MINUTE, 20 * MINUTE, 6 * 60 * MINUTE, 2 * DAY]) * (0.5 + rand());
      now = Math.floor(now);
      const writer = writers.get(pick(rand, DIRECTORS)) as RingState;
      writer.merge(history.map((h) => h.entry));
      const backend = pick(rand, BACKENDS);
      let entry: RingEntry;
      switch (Math.floor(rand() * 7)) {
        case 0:
          entry = writer.setBackend(spec(backend), now);
          break;
        case 1:
          entry = writer.removeBackend(backend, now);
          break;
        case 2:
          entry = writer.setAdmin(backend, pick(rand, ['none', 'up', 'down'] as const), now);
          break;
        case 3:
          entry = writer.setPresence(pick(rand, users), rand() < 0.5 ? [] : [{ host: '10.0.0.1', backendId: backend, sessions: 1 }], now);
          break;
        case 4:
          entry = writer.setVerdict(backend, rand() < 0.5, {}, now);
          break;
        default:
          entry = writer.setMove(pick(rand, users), rand() < 0.7 ? backend : null, now);
      }
      history.push({ entry, at: now });
    }
    const replicas = ['r1', 'r2', 'r3'].map((id) => {
      const state = new RingState(id);
      // Gossip delivers each entry within 5 minutes, in any order; GC runs now and then.
      const deliveries = history.map((h) => ({ entry: h.entry, at: h.at + Math.floor(rand() * 5 * MINUTE) })).sort((a, b) => a.at - b.at);
      let collected = 0;
      for (const d of deliveries) {
        state.merge([d.entry]);
        if (rand() < 0.2) collected += state.collectGarbage();
      }
      collected += state.collectGarbage();
      return { state, collected };
    });
    const [a, b, c] = replicas as [(typeof replicas)[0], (typeof replicas)[0], (typeof replicas)[0]];
    assert.equal(fingerprint(a.state), fingerprint(b.state), `seed ${seed}`);
    assert.equal(fingerprint(a.state), fingerprint(c.state), `seed ${seed}`);
    assert.ok(a.collected > 0, `seed ${seed}: something was collected`);
    // Nothing collectable is left, nothing live was lost.
    const clock = a.state.clock;
    for (const e of a.state.entries()) {
      if (e.kind === 'move') assert.ok(e.version.counter >= clock - MOVE_ENTRY_TTL_MS, `seed ${seed}: stale move left`);
      if (e.kind === 'backend' && e.spec === null) assert.ok(e.version.counter >= clock - BACKEND_TOMBSTONE_TTL_MS, `seed ${seed}: stale tombstone left`);
      if (e.kind === 'presence' && e.placements.length === 0) assert.ok(e.version.counter >= clock - PRESENCE_TOMBSTONE_TTL_MS);
    }
    const everything = new RingState('all');
    everything.merge(history.map((h) => h.entry));
    assert.deepEqual(a.state.backends(), everything.backends(), `seed ${seed}: same live backends as without GC`);
    // Reads that matter: of live backends (those of removed ones are never asked, and are collected with their tombstone).
    for (const id of everything.backends().map((b) => b.id)) {
      assert.equal(a.state.adminState(id), everything.adminState(id), `seed ${seed}: admin state of ${id}`);
      for (const d of DIRECTORS) assert.equal(a.state.verdict(d, id), everything.verdict(d, id), `seed ${seed}: ${d}'s verdict on ${id}`);
    }
    // Admin and verdict entries of an earlier incarnation whose end has settled are gone.
    for (const e of a.state.entries()) {
      if (e.kind !== 'admin' && e.kind !== 'verdict') continue;
      const b = a.state.sortedEntries().find((x) => x.kind === 'backend' && x.backendId === e.backendId);
      if (b?.kind !== 'backend' || b.version.counter >= clock - INCARNATION_SETTLE_MS) continue;
      const begins = b.spec === null ? b.version.counter : (b.since ?? 0);
      assert.ok(e.version.counter >= begins, `seed ${seed}: stale ${e.kind} of ${e.backendId} left`);
    }
  }
});

test('a backend removed and added again starts afresh: no operator down, no old verdicts (pending); a weight change keeps both', () => {
  const d1 = new RingState('d1');
  const d2 = new RingState('d2');
  const sync = (): void => {
    d2.merge(d1.sortedEntries());
    d1.merge(d2.sortedEntries());
  };
  d1.setDirector('d1', '127.0.0.1:1', T0);
  d1.setDirector('d2', '127.0.0.2:1', T0);
  d1.setBackend(spec('b1'), T0);
  d1.setAdmin('b1', 'down', T0 + 1);
  d2.merge(d1.sortedEntries());
  d2.setVerdict('b1', false, { imap: ['IDLE'] }, T0 + 2);
  sync();
  const live = new Set(['d1', 'd2']);
  assert.equal(d1.adminState('b1'), 'down');
  // A weight change is the same incarnation.
  d1.setBackend({ ...spec('b1'), weight: 50 }, T0 + 3);
  sync();
  assert.equal(d2.adminState('b1'), 'down');
  assert.equal(d2.verdict('d2', 'b1')?.down, false);
  assert.deepEqual([...(commonCapabilities(d2, live, 'imap') ?? [])], ['IDLE']);
  d1.removeBackend('b1', T0 + MINUTE);
  d1.setBackend(spec('b1'), T0 + 2 * MINUTE);
  sync();
  for (const d of [d1, d2]) {
    assert.equal(d.adminState('b1'), 'none', `${d.selfId}: the old down does not apply`);
    assert.equal(d.verdict('d2', 'b1'), undefined, `${d.selfId}: the old verdict does not count`);
    assert.equal(backendHealth(d, live).get('b1'), 'pending');
    assert.equal(commonCapabilities(d, live, 'imap'), undefined);
  }
  // Collected once they are INCARNATION_SETTLE_MS old, not before; and not taken back from a peer that kept them.
  const kept = new RingState('d3');
  kept.merge(d2.sortedEntries());
  assert.equal(d2.collectGarbage(), 0);
  assert.equal(backendHealth(d2, live).get('b1'), 'pending');
  d2.setMove('alice', 'b1', T0 + 2 * MINUTE + INCARNATION_SETTLE_MS + 1);
  assert.equal(d2.collectGarbage(), 2, 'the old admin and verdict entries');
  assert.equal(d2.merge(kept.sortedEntries()).changed.length, 0);
  assert.equal(d2.sortedEntries().filter((e) => e.kind === 'admin' || e.kind === 'verdict').length, 0);
  // A new verdict on the new incarnation counts.
  d2.setVerdict('b1', false, {}, T0 + 3 * MINUTE + INCARNATION_SETTLE_MS);
  assert.equal(backendHealth(d2, live).get('b1'), 'up');
});

test('a director rejoining with an old state file within the window does not resurrect a removed backend, before or after GC', () => {
  const d1 = new RingState('d1');
  const d2 = new RingState('d2');
  const d3 = new RingState('d3');
  for (const e of [d1.setBackend(spec('b1'), T0), d1.setBackend(spec('b2'), T0 + 1)]) for (const d of [d2, d3]) d.merge([e]);
  // d3 goes down; its state file knows b2 as live.
  const oldFile = JSON.parse(JSON.stringify(d3.toJSON())) as ReturnType<RingState['toJSON']>;
  const tomb = d1.removeBackend('b2', T0 + DAY);
  d2.merge([tomb]);
  // Six days later the ring clock moved on; GC runs everywhere.
  const later = d2.setAdmin('b1', 'up', T0 + DAY + BACKEND_TOMBSTONE_TTL_MS - DAY);
  d1.merge([later]);
  for (const d of [d1, d2]) {
    d.collectGarbage();
    assert.deepEqual(d.removedBackends(), ['b2'], 'the tombstone is still inside its window');
  }
  // d3 comes back: its old file, then full states both ways.
  const back = RingState.fromPersisted(oldFile, 'd3');
  assert.deepEqual(back.backends().map((b) => b.id), ['b1', 'b2']);
  d1.merge(back.sortedEntries());
  d2.merge(back.sortedEntries());
  back.merge(d1.sortedEntries());
  for (const d of [d1, d2, back]) assert.deepEqual(d.backends().map((b) => b.id), ['b1'], d.selfId);
  // Past the window, everybody (d3 included) collects the tombstone ...
  const after = d1.setAdmin('b1', 'none', T0 + DAY + BACKEND_TOMBSTONE_TTL_MS + MINUTE);
  for (const d of [d2, back]) d.merge([after]);
  for (const d of [d1, d2, back]) {
    d.collectGarbage();
    assert.deepEqual(d.removedBackends(), [], `${d.selfId} collected the tombstone`);
  }
  assert.equal(fingerprint(d1), fingerprint(back));
  // ... and d3's state file, written since, no longer holds the old entry: a restart and resync keep b2 gone.
  const again = RingState.fromPersisted(JSON.parse(JSON.stringify(back.toJSON())), 'd3');
  d1.merge(again.sortedEntries());
  again.merge(d1.sortedEntries());
  for (const d of [d1, again]) assert.deepEqual(d.backends().map((b) => b.id), ['b1']);
  assert.equal(fingerprint(d1), fingerprint(again));
});

test('a backend still in a director config keeps its tombstone past the TTL, so a restart does not re-seed it', () => {
  const seed = { backends: [spec('b1'), spec('b2')], directors: [{ id: 'd1', address: '127.0.0.1:1' }] };
  const d1 = new RingState('d1');
  d1.merge(seedEntries(seed));
  const tomb = d1.removeBackend('b2', T0);
  // d2's config no longer lists b2.
  const d2 = new RingState('d2');
  d2.merge(seedEntries({ backends: [spec('b1')], directors: seed.directors }));
  d2.merge([tomb]);
  const later = d2.setAdmin('b1', 'up', T0 + BACKEND_TOMBSTONE_TTL_MS + MINUTE);
  d1.merge([later]);
  d1.collectGarbage();
  d2.collectGarbage();
  assert.deepEqual(d1.removedBackends(), ['b2'], 'kept where the config still lists it');
  assert.deepEqual(d2.removedBackends(), [], 'collected where it does not');
  // d1 restarts: state file, then its config's seeds.
  const restarted = new RingState('d1');
  restarted.merge(d1.toJSON().entries);
  restarted.observe(d1.toJSON().clock);
  restarted.merge(seedEntries(seed));
  assert.deepEqual(restarted.backends().map((b) => b.id), ['b1']);
  // Full state both ways: b2 stays gone, and d2 does not take the old tombstone back.
  assert.deepEqual(d2.merge(restarted.sortedEntries()).changed, []);
  restarted.merge(d2.sortedEntries());
  for (const d of [d2, restarted]) assert.deepEqual(d.backends().map((b) => b.id), ['b1']);
});
