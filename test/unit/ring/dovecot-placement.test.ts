import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  asciiLower,
  dovecotIpText,
  dovecotPointHash,
  dovecotUserHash,
  DovecotTagRing,
} from '../../../src/ring/dovecot-placement.js';
import { BackendRing, unplaceableBackends } from '../../../src/ring/hash-ring.js';
import { compileHashKey } from '../../../src/ring/hash-key.js';
import type { BackendSpec } from '../../../src/ring/types.js';

/** The documented algorithm, written out plainly here (no shared code with src/). */
function md5First4(text: string): number {
  const d = createHash('md5').update(Buffer.from(text, 'utf8')).digest();
  return ((d[0]! << 24) >>> 0) + (d[1]! << 16) + (d[2]! << 8) + d[3]!;
}

function referencePick(hosts: ReadonlyArray<{ ip: string; vhosts: number }>, user: string): string | undefined {
  const points: Array<{ hash: number; ip: string; key: number[] }> = [];
  for (const h of hosts) {
    const key = h.ip.split('.').map(Number);
    for (let i = 0; i < h.vhosts; i++) points.push({ hash: md5First4(`${h.ip}-${i}`), ip: h.ip, key });
  }
  points.sort((a, b) => a.hash - b.hash || a.key.reduce((acc, v, i) => acc || v - b.key[i]!, 0));
  let userHash = md5First4(user);
  if (userHash === 0) userHash = 1;
  const found = points.find((p) => p.hash >= userHash) ?? points[0];
  return found?.ip;
}

function backend(id: string, host: string, weight = 100, tag = ''): BackendSpec {
  return { id, host, weight, tag, ports: {} };
}

const lower = compileHashKey('%Lu', asciiLower);

test('user and point hashes: the first 4 bytes of MD5, big-endian', () => {
  // md5("alice") = 6384e2b2184bcbf58eccf10ca7a6563c
  assert.equal(dovecotUserHash('alice'), 0x6384e2b2);
  // md5("127.0.0.11-0"), computed here independently.
  assert.equal(dovecotPointHash('127.0.0.11', 0), md5First4('127.0.0.11-0'));
  assert.equal(dovecotPointHash('127.0.0.11', 99), md5First4('127.0.0.11-99'));
  for (const u of ['bob', 'user0001', 'Ünïcode@example.org']) assert.equal(dovecotUserHash(u), md5First4(u) || 1);
});

test('%L lower-cases ASCII only, as Dovecot does', () => {
  assert.equal(asciiLower('CAROL@example.ORG'), 'carol@example.org');
  assert.equal(asciiLower('Ünïcode@Example.org'), 'Ünïcode@example.org');
  assert.equal(lower('User0001@Example.org'), 'user0001@example.org');
});

// Answers of a real Dovecot 2.3.19.1 director (`doveadm director status USER`, "Hashed:"),
// director_mail_servers = 127.0.0.11 127.0.0.12 127.0.0.13, director_username_hash = %Lu.
const DOVECOT_ALL_UP: ReadonlyArray<[string, string]> = [
  ['alice', '127.0.0.12'],
  ['bob', '127.0.0.13'],
  ['User0001@Example.org', '127.0.0.13'],
  ['CAROL@example.ORG', '127.0.0.13'],
  ['x', '127.0.0.12'],
  ['Ünïcode@Example.org', '127.0.0.13'],
  ['user0042', '127.0.0.12'],
];
// The same director after `doveadm director update 127.0.0.12 50` and `doveadm director down 127.0.0.13`.
const DOVECOT_AFTER_CHANGES: ReadonlyArray<[string, string]> = [
  ['alice', '127.0.0.11'],
  ['bob', '127.0.0.12'],
  ['User0001@Example.org', '127.0.0.11'],
  ['CAROL@example.ORG', '127.0.0.12'],
  ['x', '127.0.0.12'],
  ['Ünïcode@Example.org', '127.0.0.11'],
  ['user0042', '127.0.0.12'],
];

test('BackendRing with the dovecot placement answers as a real Dovecot director did', () => {
  const backends = [backend('b1', '127.0.0.11'), backend('b2', '127.0.0.12'), backend('b3', '127.0.0.13')];
  const ring = new BackendRing(backends, 160, new Set(), new Set(), 'dovecot');
  for (const [user, ip] of DOVECOT_ALL_UP) assert.equal(ring.pick(lower(user), '')?.host, ip, user);
  const changed = new BackendRing([backends[0]!, { ...backends[1]!, weight: 50 }, backends[2]!], 160, new Set(['b3']), new Set(), 'dovecot');
  for (const [user, ip] of DOVECOT_AFTER_CHANGES) assert.equal(changed.pick(lower(user), '')?.host, ip, user);
});

test('placement matches the written-out algorithm for many users, weights and a host down', () => {
  const hosts = [
    { ip: '10.0.0.1', vhosts: 100 },
    { ip: '10.0.0.2', vhosts: 37 },
    { ip: '10.0.0.10', vhosts: 250 },
    { ip: '9.255.255.255', vhosts: 1 },
  ];
  const ring = new DovecotTagRing(hosts.map((h) => ({ ip: h.ip, vhostCount: h.vhosts, value: h.ip })));
  assert.equal(ring.size, 388);
  for (let i = 0; i < 2000; i++) {
    const user = `user${i}@example.org`;
    assert.equal(ring.pick(dovecotUserHash(user)), referencePick(hosts, user), user);
  }
  const withoutOne = hosts.filter((h) => h.ip !== '10.0.0.10');
  const smaller = new DovecotTagRing(withoutOne.map((h) => ({ ip: h.ip, vhostCount: h.vhosts, value: h.ip })));
  for (let i = 0; i < 500; i++) assert.equal(smaller.pick(dovecotUserHash(`u${i}`)), referencePick(withoutOne, `u${i}`));
});

test('a hash past the last point wraps to the first; an exact hit takes that point; 0 counts as 1', () => {
  const ring = new DovecotTagRing([
    { ip: '10.0.0.1', vhostCount: 3, value: 'a' },
    { ip: '10.0.0.2', vhostCount: 3, value: 'b' },
  ]);
  const points = [0, 1, 2]
    .flatMap((i) => [
      { hash: md5First4(`10.0.0.1-${i}`), v: 'a' },
      { hash: md5First4(`10.0.0.2-${i}`), v: 'b' },
    ])
    .sort((x, y) => x.hash - y.hash);
  const first = points[0]!;
  const last = points[points.length - 1]!;
  assert.equal(ring.pick(0xffffffff), first.v);
  assert.equal(ring.pick(last.hash + 1), first.v);
  assert.equal(ring.pick(last.hash), last.v);
  for (const p of points) assert.equal(ring.pick(p.hash), p.v);
  assert.equal(ring.pick(1), first.v);
  assert.equal(new DovecotTagRing<string>([]).pick(5), undefined);
});

test('the ring does not depend on the order hosts are listed in (sorted by hash, then address)', () => {
  const a = { ip: '10.0.0.2', vhostCount: 50, value: 'a' };
  const b = { ip: '::ffff:10.0.0.1', vhostCount: 50, value: 'b' };
  const one = new DovecotTagRing([a, b]);
  const two = new DovecotTagRing([b, a]);
  for (let i = 0; i < 300; i++) assert.equal(one.pick(dovecotUserHash(`k${i}`)), two.pick(dovecotUserHash(`k${i}`)));
});

test('addresses are hashed as inet_ntop(3) prints them', () => {
  // Expected texts from glibc's inet_ntop (Python's socket.inet_ntop on Debian 12).
  const cases: ReadonlyArray<[string, string]> = [
    ['127.0.0.11', '127.0.0.11'],
    ['::2', '::2'],
    ['::1.2.3.4', '::1.2.3.4'],
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0:0:1::1', '2001:0:0:1::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['::ffff:0:1.2.3.4', '::ffff:0:102:304'],
    ['0:0:0:0:0:1:0:0', '::1:0:0'],
    ['FE80::1:0:0:0', 'fe80::1:0:0:0'],
  ];
  for (const [input, text] of cases) assert.equal(dovecotIpText(input), text, input);
  for (const bad of ['mail.example.org', '1.2.3', '1.2.3.256', '', '::g']) assert.equal(dovecotIpText(bad), undefined, bad);
});

test('one ring per tag; down, weight 0 and host names take no users', () => {
  const backends = [
    backend('b1', '10.0.0.1'),
    backend('b2', '10.0.0.2', 100, 'big'),
    backend('b3', '10.0.0.3', 0),
    backend('b4', 'mail4.example.org'),
    backend('b5', '10.0.0.5'),
  ];
  assert.deepEqual(unplaceableBackends(backends, 'dovecot'), ['b4']);
  assert.deepEqual(unplaceableBackends(backends, 'ketama'), []);
  const ring = new BackendRing(backends, 160, new Set(['b5']), new Set(), 'dovecot');
  assert.deepEqual(ring.unplaceable, ['b4']);
  for (let i = 0; i < 200; i++) {
    assert.equal(ring.pick(`u${i}`, '')?.id, 'b1');
    assert.equal(ring.pick(`u${i}`, 'big')?.id, 'b2');
  }
  assert.equal(ring.pick('u', 'none'), undefined);
  assert.equal(ring.withHealth(new Set()).placement, 'dovecot');
  assert.equal(ring.withBackends(backends).placement, 'dovecot');
});
