import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSync } from '@grpc/proto-loader';
import type { MethodDefinition } from '@grpc/proto-loader';
import { PROTO_LOADER_OPTIONS } from '../../../src/adapters/grpc/proto-options.js';
import type { GossipMessage, GossipMessage__Output } from '../../../src/adapters/grpc/generated/maildirector/ring/v1/GossipMessage.js';
import { entryFromWire, entryToWire } from '../../../src/cluster/wire.js';
import { RingState } from '../../../src/ring/state.js';
import type { RingEntry } from '../../../src/ring/state.js';

const definition = loadSync('maildirector/ring/v1/ring.proto', PROTO_LOADER_OPTIONS);
const gossip = (definition['maildirector.ring.v1.Ring'] as Record<string, MethodDefinition<GossipMessage, GossipMessage, GossipMessage__Output, GossipMessage__Output>>)['Gossip'];
assert.ok(gossip !== undefined);
const { requestSerialize: encode, requestDeserialize: decode } = gossip;

function roundTrip(entries: RingEntry[]): Array<RingEntry | undefined> {
  const decoded = decode(encode({ batch: { seq: 1, kind: 'BATCH_KIND_DELTA', entries: entries.map(entryToWire) } }));
  assert.equal(decoded.body, 'batch');
  return (decoded.batch?.entries ?? []).map(entryFromWire);
}

test('every entry kind survives protobuf encoding unchanged', () => {
  const s = new RingState('d1');
  const entries = [
    s.setBackend({ id: 'b1', host: '10.0.0.1', ports: { imap: 143, pop3: 110 }, weight: 150, tag: 'gold' }),
    s.removeBackend('b2'),
    s.setAdmin('b1', 'down'),
    s.setAdmin('b3', 'none'),
    s.setVerdict('b1', false, { imap: ['IDLE', 'IMAP4REV1'], pop3: ['UIDL'] }),
    s.setDirector('d2', '127.0.0.2:7000'),
    s.setDirector('d3', null),
    s.setMove('alice@example.org', 'b1'),
    s.setMove('bob', null),
  ];
  assert.deepEqual(roundTrip(entries), entries);
  // A version with a counter beyond 2^32 (wall-clock ms) stays exact.
  assert.ok((entries[0]?.version.counter ?? 0) > 2 ** 32);
});

test('malformed wire entries are refused, not turned into state', () => {
  const raw = decode(encode({
    batch: {
      seq: 1,
      entries: [
        { version: { counter: 1, origin: 'd1' } }, // no oneof member
        { backend: { backendId: 'b1', removed: true } }, // no version
        { version: { counter: 1, origin: 'd1' }, admin: { backendId: 'b1' } }, // unspecified state
        { version: { counter: 1, origin: 'd1' }, backend: { backendId: '', removed: true } },
        { version: { counter: 1, origin: 'd1' }, backend: { backendId: 'b1', spec: { host: 'h', ports: { gopher: 70 } } } },
        { version: { counter: 1, origin: 'd2' }, verdict: { directorId: 'd1', backendId: 'b1', down: true } },
      ],
    },
  }));
  assert.deepEqual((raw.batch?.entries ?? []).map(entryFromWire), [undefined, undefined, undefined, undefined, undefined, undefined]);
});

test('verdict capabilities travel per protocol, and a director of the previous version still reads and is read', () => {
  const s = new RingState('d1');
  const verdict = s.setVerdict('b1', false, { imap: ['IMAP4REV1'], pop3: ['UIDL'], submission: ['PIPELINING', 'SIZE'], sieve: ['SIEVE fileinto'] });
  assert.deepEqual(roundTrip([verdict]), [verdict]);

  // What this version sends: the map, and the two lists the previous version reads.
  const wire = entryToWire(verdict);
  assert.deepEqual(wire.verdict?.imapCapabilities, ['IMAP4REV1']);
  assert.deepEqual(wire.verdict?.pop3Capabilities, ['UIDL']);
  assert.deepEqual(Object.keys(wire.verdict?.capabilities ?? {}).sort(), ['imap', 'pop3', 'sieve', 'submission']);

  // What the previous version sends: the two lists only.
  const old = decode(
    encode({
      batch: {
        seq: 1,
        kind: 'BATCH_KIND_DELTA',
        entries: [{ version: { counter: 5, origin: 'd2' }, verdict: { directorId: 'd2', backendId: 'b1', down: false, imapCapabilities: ['IDLE'], pop3Capabilities: [] } }],
      },
    }),
  );
  const read = entryFromWire(old.batch!.entries[0]!);
  assert.equal(read?.kind, 'verdict');
  assert.deepEqual(read?.kind === 'verdict' ? read.capabilities : undefined, { imap: ['IDLE'] });
});
