import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEntry, PRESENCE_TOMBSTONE_TTL_MS, RingState } from '../../../src/ring/state.js';
import type { RingEntry } from '../../../src/ring/state.js';
import { loadSync } from '@grpc/proto-loader';
import type { MethodDefinition } from '@grpc/proto-loader';
import { PROTO_LOADER_OPTIONS } from '../../../src/adapters/grpc/proto-options.js';
import type { GossipMessage, GossipMessage__Output } from '../../../src/adapters/grpc/generated/maildirector/ring/v1/GossipMessage.js';
import { entryFromWire, entryToWire } from '../../../src/cluster/wire.js';

const definition = loadSync('maildirector/ring/v1/ring.proto', PROTO_LOADER_OPTIONS);
const gossip = (definition['maildirector.ring.v1.Ring'] as Record<string, MethodDefinition<GossipMessage, GossipMessage, GossipMessage__Output, GossipMessage__Output>>)['Gossip'];
assert.ok(gossip !== undefined);

function roundTrip(entries: RingEntry[]): Array<RingEntry | undefined> {
  const decoded = gossip!.requestDeserialize(gossip!.requestSerialize({ batch: { seq: 1, kind: 'BATCH_KIND_DELTA', entries: entries.map(entryToWire) } }));
  return (decoded.batch?.entries ?? []).map(entryFromWire);
}

test('presence: written by its director, sorted placements, merged LWW, never persisted', () => {
  const d1 = new RingState('d1');
  const e = d1.setPresence('alice', [
    { host: '127.0.0.12', backendId: 'b2', sessions: 1 },
    { host: '127.0.0.11', backendId: 'b1', sessions: 2 },
  ]);
  assert.equal(e.kind, 'presence');
  assert.deepEqual(d1.presence('alice', 'd1')?.placements.map((p) => p.host), ['127.0.0.11', '127.0.0.12']);
  assert.equal(d1.toJSON().entries.some((x) => x.kind === 'presence'), false, 'volatile: not in the state file');

  const d2 = new RingState('d2');
  d2.merge([e]);
  const tomb = d1.setPresence('alice', []);
  d2.merge([tomb]);
  // An older copy arriving late does not bring the sessions back.
  assert.deepEqual(d2.merge([e]).changed, []);
  assert.deepEqual(d2.presence('alice', 'd1')?.placements, []);
});

test('presence: entries that claim another director, bad counts or unsorted placements are refused', () => {
  const base = { kind: 'presence', version: { counter: 5, origin: 'd1' }, user: 'alice', directorId: 'd1' } as const;
  const ok: RingEntry = { ...base, placements: [{ host: 'h1', backendId: 'b1', sessions: 1 }] };
  assert.equal(checkEntry(ok), undefined);
  assert.match(checkEntry({ ...ok, directorId: 'd2' }) ?? '', /its director/);
  assert.match(checkEntry({ ...base, placements: [{ host: 'h1', backendId: 'b1', sessions: 0 }] }) ?? '', /count/);
  assert.match(
    checkEntry({ ...base, placements: [{ host: 'h2', backendId: '', sessions: 1 }, { host: 'h1', backendId: '', sessions: 1 }] }) ?? '',
    /sorted/,
  );
});

test('presence and move entries survive the wire', () => {
  const s = new RingState('d1');
  const presence = s.setPresence('bob', [{ host: '10.0.0.1', backendId: '', sessions: 3 }]);
  const move = s.setMove('bob', 'b2', undefined, '127.0.0.12');
  const oldMove = s.setMove('carol', 'b1');
  const tomb = s.setPresence('bob', []);
  assert.deepEqual(roundTrip([presence, move, oldMove, tomb]), [presence, move, oldMove, tomb]);
});

test('presence tombstones older than the TTL are collected and do not come back; live presence stays', () => {
  const t0 = 1_800_000_000_000;
  const d1 = new RingState('d1');
  const held = d1.setPresence('bob', [{ host: '127.0.0.11', backendId: 'b1', sessions: 1 }], t0);
  const tomb = d1.setPresence('alice', [], t0);
  const d2 = new RingState('d2');
  d2.merge([held, tomb]);
  assert.equal(d2.collectGarbage(), 0, 'young tombstones stay');
  // The ring clock moves on (any newer entry raises it).
  d2.merge([d1.setPresence('carol', [{ host: '127.0.0.12', backendId: 'b2', sessions: 1 }], t0 + PRESENCE_TOMBSTONE_TTL_MS + 10)]);
  assert.equal(d2.collectGarbage(), 1);
  assert.equal(d2.presence('alice', 'd1'), undefined);
  assert.equal(d2.presence('bob', 'd1')?.placements.length, 1, 'presence with sessions is never collected');
  // A full-state exchange from a peer that still has the tombstone does not resurrect it.
  assert.deepEqual(d2.merge([tomb]).changed, []);
  assert.equal(d2.presence('alice', 'd1'), undefined);
});
