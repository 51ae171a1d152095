import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProxyHeader, startsLikeProxyHeader, PROXY_V2_SIGNATURE, type ProxyParse } from '../../../src/net/proxy-protocol.js';
import { sslTlv, tlv, v2Header, v6 } from './proxy-headers.js';

function header(parse: ProxyParse): Extract<ProxyParse, { kind: 'header' }> {
  assert.equal(parse.kind, 'header', JSON.stringify(parse));
  return parse as Extract<ProxyParse, { kind: 'header' }>;
}

function error(parse: ProxyParse): string {
  assert.equal(parse.kind, 'error', JSON.stringify(parse));
  return (parse as Extract<ProxyParse, { kind: 'error' }>).message;
}

/** Every strict prefix is incomplete, the whole is the header: however the network cuts it. */
function assertEveryPrefixIncomplete(bytes: Buffer, headerLength: number): void {
  for (let cut = 0; cut < headerLength; cut++) {
    assert.equal(parseProxyHeader(bytes.subarray(0, cut)).kind, 'incomplete', `cut at ${cut} of ${headerLength}`);
  }
}

test('v1 TCP4: addresses and ports; the header ends at CRLF and the client bytes follow', () => {
  const line = 'PROXY TCP4 192.0.2.10 198.51.100.1 51234 143\r\n';
  const parsed = header(parseProxyHeader(Buffer.from(`${line}a1 CAPABILITY\r\n`)));
  assert.equal(parsed.length, line.length);
  assert.deepEqual(parsed.header.addresses, { sourceIp: '192.0.2.10', sourcePort: 51234, destIp: '198.51.100.1', destPort: 143 });
  assert.equal(parsed.header.version, 1);
  assert.equal(parsed.header.tls, undefined);
});

test('v1 TCP6 and UNKNOWN (the connection keeps its own addresses)', () => {
  const six = header(parseProxyHeader(Buffer.from('PROXY TCP6 2001:DB8::1 2001:db8::2 1 65535\r\n')));
  assert.deepEqual(six.header.addresses, { sourceIp: '2001:db8::1', sourcePort: 1, destIp: '2001:db8::2', destPort: 65535 });
  const unknown = header(parseProxyHeader(Buffer.from('PROXY UNKNOWN ffff:f::1 ffff:f::2 1 2\r\nrest')));
  assert.equal(unknown.header.addresses, undefined);
  assert.equal(unknown.length, 'PROXY UNKNOWN ffff:f::1 ffff:f::2 1 2\r\n'.length);
  assert.equal(header(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n'))).length, 15);
});

test('v1 refusals with Dovecot\'s texts', () => {
  const cases: Array<[string, RegExp]> = [
    ['PROXY TCP5 1.2.3.4 1.2.3.5 1 2\r\n', /Unknown proxied protocol/],
    ['PROXY \r\n', /protocol is missing/],
    ['PROXY TCP4 1.2.3 1.2.3.5 1 2\r\n', /remote address is invalid/],
    ['PROXY TCP4 ::1 1.2.3.5 1 2\r\n', /remote address is invalid/],
    ['PROXY TCP6 ::1 1.2.3.5 1 2\r\n', /local address is invalid/],
    ['PROXY TCP4 1.2.3.4 1.2.3.5 65536 2\r\n', /remote port is invalid/],
    ['PROXY TCP4 1.2.3.4 1.2.3.5 01 2\r\n', /remote port is invalid/],
    ['PROXY TCP4 1.2.3.4 1.2.3.5 1 x\r\n', /local port is invalid/],
    ['PROXY TCP4 1.2.3.4 1.2.3.5 1\r\n', /local port is missing/],
    ['PROXY TCP4 1.2.3.4\r\n', /local address is missing/],
    ['PROXY TCP4 1.2.3.4 1.2.3.5 1 2 3\r\n', /spurious extra field/],
    ['PROXY TCP4  1.2.3.4 1.2.3.5 1 2\r\n', /remote address is invalid/],
    ['PROXY TCP4 1.2.3.4 1.2.3.5 1 2\n', /CRLF/],
    ['PROXY TCP4 1.2.3.4\r1.2.3.5 1 2\r\n', /control/],
    ['PROXY TCP4 1.2.3.4\r1.2', /CRLF/],
    ['PROXY TCP4 1.2.3.4 1.2.3.5 1 2\0\r\n', /control/],
  ];
  for (const [text, re] of cases) assert.match(error(parseProxyHeader(Buffer.from(text, 'latin1'))), re, JSON.stringify(text));
});

test('v1 oversize: no CRLF within 108 bytes is refused, not waited for', () => {
  const long = Buffer.from(`PROXY TCP6 ${'a'.repeat(120)}`);
  assert.match(error(parseProxyHeader(long)), /Too long header/);
  assert.equal(parseProxyHeader(long.subarray(0, 107)).kind, 'incomplete');
});

test('v2 PROXY over TCP/IPv4 and TCP/IPv6, the client bytes after it', () => {
  const four = v2Header({ source: [10, 1, 2, 3], dest: [10, 9, 9, 9], sourcePort: 40000, destPort: 143 });
  const parsed = header(parseProxyHeader(Buffer.concat([four, Buffer.from('a LOGIN')])));
  assert.equal(parsed.length, four.length);
  assert.equal(parsed.header.version, 2);
  assert.deepEqual(parsed.header.addresses, { sourceIp: '10.1.2.3', sourcePort: 40000, destIp: '10.9.9.9', destPort: 143 });

  const six = v2Header({ fam: 0x21, source: v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]), dest: v6([0x2001, 0xdb8, 1, 0, 0, 1, 0, 0]), sourcePort: 1, destPort: 2 });
  assert.deepEqual(header(parseProxyHeader(six)).header.addresses, { sourceIp: '2001:db8::1', sourcePort: 1, destIp: '2001:db8:1::1:0:0', destPort: 2 });

  const mapped = v2Header({ fam: 0x21, source: v6([0, 0, 0, 0, 0, 0xffff, 0x7f00, 0x0005]), dest: v6([0, 0, 0, 0, 0, 0, 0, 1]) });
  const m = header(parseProxyHeader(mapped)).header.addresses;
  assert.equal(m?.sourceIp, '127.0.0.5');
  assert.equal(m?.destIp, '::1');
});

test('v2 LOCAL, AF_UNSPEC and AF_UNIX name no client: the connection keeps its own addresses', () => {
  const local = v2Header({ verCmd: 0x20, fam: 0x11 });
  const l = header(parseProxyHeader(local));
  assert.equal(l.header.addresses, undefined);
  assert.equal(l.length, local.length);
  assert.equal(header(parseProxyHeader(v2Header({ fam: 0x00 }))).header.addresses, undefined);
  const unix = v2Header({ fam: 0x31, addressBlock: Buffer.alloc(216, 0x41) });
  assert.equal(header(parseProxyHeader(unix)).header.addresses, undefined);
});

test('v2 refusals: version, command, transport, short address blocks, unknown family, lying length', () => {
  assert.match(error(parseProxyHeader(v2Header({ verCmd: 0x11 }))), /Unsupported protocol version/);
  assert.match(error(parseProxyHeader(v2Header({ verCmd: 0x22 }))), /Invalid command/);
  assert.match(error(parseProxyHeader(v2Header({ fam: 0x12 }))), /Not using TCP/);
  assert.match(error(parseProxyHeader(v2Header({ addressBlock: Buffer.alloc(11) }))), /IPv4 data is incomplete/);
  assert.match(error(parseProxyHeader(v2Header({ fam: 0x21, addressBlock: Buffer.alloc(35) }))), /IPv6 data is incomplete/);
  assert.match(error(parseProxyHeader(v2Header({ fam: 0x41, addressBlock: Buffer.alloc(12) }))), /Unknown address family/);
  // The version byte is judged as soon as it arrives, before the length.
  assert.match(error(parseProxyHeader(Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x31])]))), /Unsupported protocol version/);
});

test('v2 oversize: a length past 1500 bytes is refused before the body arrives', () => {
  const big = v2Header({ length: 1500 });
  assert.match(error(parseProxyHeader(big.subarray(0, 16))), /Too long header/);
  const justFits = v2Header({ tlvs: [tlv(0x04, Buffer.alloc(1500 - 16 - 12 - 3))] });
  assert.equal(justFits.length, 1500);
  assert.equal(header(parseProxyHeader(justFits)).length, 1500);
});

test('v2 TLVs: SSL (version, cipher; CN only when the certificate was verified), ALPN, AUTHORITY; others ignored', () => {
  const withSsl = v2Header({
    tlvs: [
      tlv(0x04, 'padding'),
      tlv(0x01, 'imap'),
      tlv(0x02, 'mail.example.org'),
      sslTlv(0x01 | 0x02, 0, [tlv(0x21, 'TLSv1.3'), tlv(0x23, 'TLS_AES_256_GCM_SHA384'), tlv(0x22, 'alice'), tlv(0x25, 'RSA2048')]),
      tlv(0xe0, 'private'),
    ],
  });
  const h = header(parseProxyHeader(withSsl)).header;
  assert.deepEqual(h.tls, { ssl: true, clientCertVerified: true, version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', commonName: 'alice' });
  assert.equal(h.alpn, 'imap');
  assert.equal(h.authority, 'mail.example.org');

  const unverified = header(parseProxyHeader(v2Header({ tlvs: [sslTlv(0x01 | 0x02, 1, [tlv(0x22, 'mallory')])] }))).header;
  assert.deepEqual(unverified.tls, { ssl: true, clientCertVerified: false });
  const plain = header(parseProxyHeader(v2Header({ tlvs: [sslTlv(0x00, 0, [])] }))).header;
  assert.deepEqual(plain.tls, { ssl: false, clientCertVerified: false });
});

test('v2 TLV refusals: truncated records, a truncated SSL value, a bad authority', () => {
  assert.match(error(parseProxyHeader(v2Header({ tlvs: [Buffer.from([0x01, 0x00])] }))), /Invalid TLV: .*Truncated data/);
  assert.match(error(parseProxyHeader(v2Header({ tlvs: [Buffer.from([0x01, 0x00, 0x09, 0x41])] }))), /Truncated data/);
  assert.match(error(parseProxyHeader(v2Header({ tlvs: [tlv(0x20, Buffer.from([1, 0, 0]))] }))), /get_ssl_tlv failed/);
  assert.match(error(parseProxyHeader(v2Header({ tlvs: [sslTlv(1, 0, [Buffer.from([0x21, 0x00, 0x05, 0x41])])] }))), /Truncated data/);
  assert.match(error(parseProxyHeader(v2Header({ tlvs: [tlv(0x02, 'bad name\r\n')] }))), /Invalid characters/);
});

test('split at every offset: each prefix is incomplete, the whole header parses (v1, v2 with TLVs)', () => {
  const v1 = Buffer.from('PROXY TCP6 2001:db8::1 2001:db8::2 65000 4190\r\nX');
  assertEveryPrefixIncomplete(v1, v1.length - 1);
  assert.equal(header(parseProxyHeader(v1)).length, v1.length - 1);
  const v2 = v2Header({ fam: 0x21, source: v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 7]), dest: v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 8]), tlvs: [tlv(0x02, 'a.example'), sslTlv(1, 0, [tlv(0x21, 'TLSv1.2')])] });
  assertEveryPrefixIncomplete(v2, v2.length);
  assert.equal(header(parseProxyHeader(v2)).header.authority, 'a.example');
});

test('garbage is refused at its first byte that cannot start a header', () => {
  assert.match(error(parseProxyHeader(Buffer.from('a1 LOGIN'))), /Failed to read valid HAproxy data/);
  assert.match(error(parseProxyHeader(Buffer.from('PROXX'))), /Failed to read valid HAproxy data/);
  assert.match(error(parseProxyHeader(Buffer.from('\r\n\r\nX'))), /Failed to read valid HAproxy data/);
  assert.match(error(parseProxyHeader(Buffer.from('GET / HTTP/1.0\r\n'))), /Failed to read valid HAproxy data/);
  assert.equal(parseProxyHeader(Buffer.from('PROX')).kind, 'incomplete');
  assert.equal(parseProxyHeader(Buffer.from('\r\n\r\n\0')).kind, 'incomplete');
});

test('startsLikeProxyHeader: either signature, or a prefix of one', () => {
  assert.ok(startsLikeProxyHeader(Buffer.from('PROXY TCP4')));
  assert.ok(startsLikeProxyHeader(Buffer.from('PRO')));
  assert.ok(startsLikeProxyHeader(v2Header()));
  assert.ok(!startsLikeProxyHeader(Buffer.from('a LOGIN')));
  assert.ok(!startsLikeProxyHeader(Buffer.alloc(0)));
});
