import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSync } from '@grpc/proto-loader';
import type { MethodDefinition } from '@grpc/proto-loader';
import fc from 'fast-check';
import { PROTO_LOADER_OPTIONS } from '../../../src/adapters/grpc/proto-options.js';
import type { GossipMessage, GossipMessage__Output } from '../../../src/adapters/grpc/generated/maildirector/ring/v1/GossipMessage.js';
import type { Entry } from '../../../src/adapters/grpc/generated/maildirector/ring/v1/Entry.js';
import { entryFromWire, entryToWire } from '../../../src/cluster/wire.js';
import { checkEntry, type RingEntry } from '../../../src/ring/state.js';
import type { Protocol } from '../../../src/core/protocol.js';
import { fuzzParameters } from './inputs.js';

/**
 * The gossip decoder against what a peer (or anyone reaching the gRPC port)
 * can send: random bytes and random well-typed entries never make
 * entryFromWire throw (a bad entry is undefined), anything it accepts passes
 * checkEntry, and every sound RingEntry survives encode → decode unchanged.
 */

const definition = loadSync('maildirector/ring/v1/ring.proto', PROTO_LOADER_OPTIONS);
const gossip = (definition['maildirector.ring.v1.Ring'] as Record<string, MethodDefinition<GossipMessage, GossipMessage, GossipMessage__Output, GossipMessage__Output>>)['Gossip'];
assert.ok(gossip !== undefined);
const { requestSerialize: encode, requestDeserialize: decode } = gossip;

function decodeEntries(entries: Entry[]): Array<RingEntry | undefined> {
  const decoded = decode(encode({ batch: { seq: 1, kind: 'BATCH_KIND_DELTA', entries } }));
  return (decoded.batch?.entries ?? []).map(entryFromWire);
}

function assertSound(entry: RingEntry | undefined): void {
  if (entry !== undefined) assert.equal(checkEntry(entry), undefined, JSON.stringify(entry));
}

test('gossip: random bytes either fail to decode or decode to entries entryFromWire takes or refuses without throwing', () => {
  // Half the inputs start like a batch (field 2, length-delimited) so the decoder gets past the first byte.
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 400 }),
    fc.uint8Array({ maxLength: 400 }).map((b) => Uint8Array.from([0x12, b.length & 0x7f, ...b])),
  );
  fc.assert(
    fc.property(bytes, (raw) => {
      let message: GossipMessage__Output;
      try {
        message = decode(Buffer.from(raw));
      } catch {
        return; // grpc-js fails the stream on an undecodable message
      }
      for (const wire of message.batch?.entries ?? []) assertSound(entryFromWire(wire));
    }),
    fuzzParameters(3000),
  );
});

const anyText = fc.oneof(fc.string({ maxLength: 300 }), fc.constantFrom('', '__proto__', 'constructor', 'toString', 'imap', 'gopher'));
const anyCount = fc.oneof(fc.nat(), fc.constantFrom(0, 1, 2 ** 32 - 1, 2 ** 53 - 1, Number.MAX_SAFE_INTEGER));
const wireVersion = fc.option(fc.record({ counter: anyCount, origin: anyText }), { nil: undefined });
const wireMap = <T>(value: fc.Arbitrary<T>): fc.Arbitrary<Record<string, T>> =>
  fc.array(fc.tuple(anyText, value), { maxLength: 4 }).map((pairs) => {
    const out: Record<string, T> = Object.create(null) as Record<string, T>;
    for (const [k, v] of pairs) out[k] = v;
    return out;
  });

/** Entries with every field random (the protobuf types are kept: the encoder needs them). */
const randomWireEntry: fc.Arbitrary<Entry> = fc.oneof(
  fc.record({ version: wireVersion }),
  fc.record({
    version: wireVersion,
    backend: fc.record({
      backendId: anyText,
      removed: fc.boolean(),
      spec: fc.option(fc.record({ host: anyText, ports: wireMap(fc.integer({ min: 0, max: 2 ** 32 - 1 })), weight: anyCount.map((n) => n % 2 ** 32), tag: anyText }), { nil: undefined }),
    }),
  }),
  fc.record({ version: wireVersion, admin: fc.record({ backendId: anyText, state: fc.constantFrom('ADMIN_STATE_UNSPECIFIED' as const, 'ADMIN_STATE_NONE' as const, 'ADMIN_STATE_UP' as const, 'ADMIN_STATE_DOWN' as const) }) }),
  fc.record({
    version: wireVersion,
    verdict: fc.record({
      directorId: anyText,
      backendId: anyText,
      down: fc.boolean(),
      imapCapabilities: fc.array(anyText, { maxLength: 3 }),
      pop3Capabilities: fc.array(anyText, { maxLength: 3 }),
      capabilities: wireMap(fc.record({ names: fc.array(anyText, { maxLength: 3 }) })),
    }),
  }),
  fc.record({ version: wireVersion, director: fc.record({ directorId: anyText, removed: fc.boolean(), address: anyText }) }),
  fc.record({ version: wireVersion, move: fc.record({ user: anyText, cleared: fc.boolean(), backendId: anyText, host: anyText }) }),
  fc.record({
    version: wireVersion,
    presence: fc.record({
      user: anyText,
      directorId: anyText,
      placements: fc.array(fc.record({ host: anyText, backendId: anyText, sessions: anyCount.map((n) => n % 2 ** 32) }), { maxLength: 4 }),
    }),
  }),
);

test('gossip: random well-typed entries never make entryFromWire throw; what it accepts is sound', () => {
  fc.assert(
    fc.property(fc.array(randomWireEntry, { maxLength: 6 }), (entries) => {
      for (const entry of decodeEntries(entries)) assertSound(entry);
    }),
    fuzzParameters(1500),
  );
});

const id = fc.string({ minLength: 1, maxLength: 40 });
const PROTOCOLS: readonly Protocol[] = ['imap', 'pop3', 'lmtp', 'submission', 'sieve'];
const counter = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
const origin = fc.string({ minLength: 1, maxLength: 40 });
const version = fc.record({ counter, origin });
const sortedNames = fc.uniqueArray(fc.string({ maxLength: 20 }), { minLength: 1, maxLength: 4 }).map((names) => [...names].sort());

/** RingEntries that pass checkEntry, in the canonical shape entryFromWire gives back. */
const soundEntry: fc.Arbitrary<RingEntry> = fc.oneof(
  fc.record({
    kind: fc.constant('backend' as const),
    version,
    backendId: id,
    spec: fc.option(
      fc.record({
        host: id,
        ports: fc.dictionary(fc.constantFrom(...PROTOCOLS), fc.integer({ min: 1, max: 65535 })),
        weight: fc.integer({ min: 0, max: 1_000_000 }),
        tag: fc.string({ maxLength: 40 }),
      }),
      { nil: null },
    ),
  }),
  fc.record({ kind: fc.constant('admin' as const), version, backendId: id, state: fc.constantFrom('none' as const, 'up' as const, 'down' as const) }),
  fc
    .record({ counter, directorId: id, backendId: id, down: fc.boolean(), capabilities: fc.dictionary(fc.constantFrom(...PROTOCOLS), sortedNames) })
    .map(({ counter: c, directorId, ...rest }): RingEntry => ({ kind: 'verdict', version: { counter: c, origin: directorId }, directorId, ...rest })),
  fc.record({ kind: fc.constant('director' as const), version, directorId: id, address: fc.option(id, { nil: null }) }),
  fc
    .record({ version, user: id, backendId: fc.option(id, { nil: null }), host: fc.option(id, { nil: undefined }) })
    .map(({ host, ...rest }): RingEntry => ({ kind: 'move', ...rest, ...(host === undefined ? {} : { host }) })),
  fc
    .record({
      counter,
      user: id,
      directorId: id,
      placements: fc.uniqueArray(fc.record({ host: id, backendId: fc.string({ maxLength: 40 }), sessions: fc.integer({ min: 1, max: 2 ** 32 - 1 }) }), {
        maxLength: 5,
        selector: (p) => p.host,
      }),
    })
    .map(({ counter: c, directorId, placements, ...rest }): RingEntry => ({
      kind: 'presence',
      version: { counter: c, origin: directorId },
      directorId,
      ...rest,
      placements: [...placements].sort((a, b) => (a.host < b.host ? -1 : 1)),
    })),
);

test('gossip: every sound RingEntry survives encode → decode unchanged', () => {
  fc.assert(
    fc.property(fc.array(soundEntry, { maxLength: 6 }), (entries) => {
      for (const entry of entries) assert.equal(checkEntry(entry), undefined, JSON.stringify(entry));
      assert.deepEqual(decodeEntries(entries.map(entryToWire)), entries);
    }),
    fuzzParameters(1000),
  );
});
