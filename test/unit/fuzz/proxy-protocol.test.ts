import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseProxyHeader, PROXY_V1_MAX_LENGTH, PROXY_V2_MAX_LENGTH, type ProxiedAddresses, type ProxyParse } from '../../../src/net/proxy-protocol.js';
import { applyMutation, fuzzParameters, mutation, splitAt, splitOffsets } from './inputs.js';
import { sslTlv, tlv, v2Header } from '../net/proxy-headers.js';

/**
 * The PROXY header parser under fuzzed input: valid v1 and v2 headers (any
 * addresses, ports, TLVs) followed by client bytes and fed as the network
 * cuts them, the same headers mutated, and arbitrary bytes. The parser never
 * throws; a strict prefix of a header is never taken for one; the header is
 * found at its exact length with the addresses it was built from; nothing
 * longer than the limits is accepted.
 */

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));
const ipv6 = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 });
const port = fc.nat(65535);

function v4Text(b: readonly number[]): string {
  return b.join('.');
}

function v6Bytes(groups: readonly number[]): number[] {
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/** The text form Node's net module agrees is that address, as the parser should give it (RFC 5952, ::ffff: unmapped). */
function v6Canonical(groups: readonly number[]): string {
  const url = new URL(`http://[${groups.map((g) => g.toString(16)).join(':')}]/`);
  const text = url.hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(text);
  if (mapped !== null) {
    const hi = parseInt(mapped[1]!, 16);
    const lo = parseInt(mapped[2]!, 16);
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  return text;
}

interface Built {
  readonly bytes: Buffer;
  readonly addresses: ProxiedAddresses | undefined;
}

const v1Header: fc.Arbitrary<Built> = fc.oneof(
  fc.tuple(ipv4, ipv4, port, port).map(([s, d, sp, dp]) => ({
    bytes: Buffer.from(`PROXY TCP4 ${v4Text(s)} ${v4Text(d)} ${sp} ${dp}\r\n`),
    addresses: { sourceIp: v4Text(s), destIp: v4Text(d), sourcePort: sp, destPort: dp },
  })),
  fc.tuple(ipv6, ipv6, port, port).map(([s, d, sp, dp]) => ({
    bytes: Buffer.from(`PROXY TCP6 ${s.map((g) => g.toString(16)).join(':')} ${d.map((g) => g.toString(16)).join(':')} ${sp} ${dp}\r\n`),
    addresses: { sourceIp: v6Canonical(s), destIp: v6Canonical(d), sourcePort: sp, destPort: dp },
  })),
  fc.constant({ bytes: Buffer.from('PROXY UNKNOWN\r\n'), addresses: undefined }),
);

const someTlv = fc.oneof(
  fc.tuple(fc.constantFrom(0x03, 0x04, 0x05, 0x30, 0xe0), fc.uint8Array({ maxLength: 40 })).map(([type, value]) => tlv(type, Buffer.from(value))),
  fc.stringMatching(/^[a-z0-9.-]{1,30}$/).filter((s) => !s.startsWith('.') && !s.includes('..')).map((name) => tlv(0x02, name)),
  fc.stringMatching(/^[a-z0-9/.]{1,12}$/).map((alpn) => tlv(0x01, alpn)),
  fc.tuple(fc.nat(7), fc.nat(3), fc.constantFrom('TLSv1.2', 'TLSv1.3')).map(([client, verify, version]) => sslTlv(client, verify, [tlv(0x21, version), tlv(0x22, 'cn')])),
);

const v2Built: fc.Arbitrary<Built> = fc.oneof(
  fc.tuple(ipv4, ipv4, port, port, fc.array(someTlv, { maxLength: 4 })).map(([s, d, sp, dp, tlvs]) => ({
    bytes: v2Header({ fam: 0x11, source: s, dest: d, sourcePort: sp, destPort: dp, tlvs }),
    addresses: { sourceIp: v4Text(s), destIp: v4Text(d), sourcePort: sp, destPort: dp },
  })),
  fc.tuple(ipv6, ipv6, port, port, fc.array(someTlv, { maxLength: 4 })).map(([s, d, sp, dp, tlvs]) => ({
    bytes: v2Header({ fam: 0x21, source: v6Bytes(s), dest: v6Bytes(d), sourcePort: sp, destPort: dp, tlvs }),
    addresses: { sourceIp: v6Canonical(s), destIp: v6Canonical(d), sourcePort: sp, destPort: dp },
  })),
  fc.array(someTlv, { maxLength: 3 }).map((tlvs) => ({ bytes: v2Header({ verCmd: 0x20, fam: 0x11, tlvs }), addresses: undefined })),
);

const anyHeader = fc.oneof(v1Header, v2Built);
const clientBytes = fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b));

/** Feed `pieces` as the network would: the parse of everything so far after each piece. */
function feed(pieces: readonly Buffer[]): { first: ProxyParse; atPiece: number } {
  let seen = Buffer.alloc(0);
  for (let i = 0; i < pieces.length; i++) {
    seen = Buffer.concat([seen, pieces[i]!]);
    const parsed = parseProxyHeader(seen);
    if (parsed.kind !== 'incomplete') return { first: parsed, atPiece: i };
  }
  return { first: { kind: 'incomplete' }, atPiece: pieces.length };
}

function checkSane(parsed: ProxyParse, input: Buffer): void {
  assert.ok(['incomplete', 'header', 'error'].includes(parsed.kind));
  if (parsed.kind === 'header') {
    assert.ok(parsed.length > 0 && parsed.length <= input.length);
    assert.ok(parsed.length <= Math.max(PROXY_V1_MAX_LENGTH, PROXY_V2_MAX_LENGTH));
  }
  if (parsed.kind === 'error') assert.ok(parsed.message.length > 0 && parsed.message.length < 200);
}

test('proxy header: valid v1/v2 headers, cut anywhere, are found at their exact length with their addresses', () => {
  fc.assert(
    fc.property(anyHeader, clientBytes, splitOffsets, (built, after, offsets) => {
      const input = Buffer.concat([built.bytes, after]);
      const { first } = feed(splitAt(input, offsets));
      assert.equal(first.kind, 'header', JSON.stringify(first));
      if (first.kind !== 'header') return;
      assert.equal(first.length, built.bytes.length);
      assert.deepEqual(first.header.addresses, built.addresses);
      // And no strict prefix was ever taken for a header or refused.
      for (let cut = 0; cut < built.bytes.length; cut += Math.max(1, Math.floor(built.bytes.length / 17))) {
        assert.equal(parseProxyHeader(built.bytes.subarray(0, cut)).kind, 'incomplete');
      }
    }),
    fuzzParameters(300),
  );
});

test('proxy header: mutated headers and arbitrary bytes never throw and never yield more than was sent', () => {
  const mutated = fc.tuple(anyHeader, fc.array(mutation(['\r\n', ' ', 'PROXY ', 'TCP4', '\0', '\r']), { minLength: 1, maxLength: 4 })).map(([built, ms]) => ms.reduce(applyMutation, built.bytes));
  const raw = fc.uint8Array({ maxLength: 1600 }).map((b) => Buffer.from(b));
  fc.assert(
    fc.property(fc.oneof(mutated, raw), splitOffsets, (input, offsets) => {
      checkSane(parseProxyHeader(input), input);
      const { first } = feed(splitAt(input, offsets));
      checkSane(first, input);
    }),
    fuzzParameters(1000),
  );
});
