import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { UserFields } from '../../../src/auth/fields.js';
import { BackendRing } from '../../../src/ring/hash-ring.js';
import type { BackendSpec, RingView } from '../../../src/ring/types.js';
import { normalizeAddress } from '../../../src/routing/address.js';
import { NOLOGIN_DEFAULT_TEXT, PROXY_LOOP_TEXT, routeUser, type RouteInput } from '../../../src/routing/route.js';

function fields(over: Partial<UserFields> = {}): UserFields {
  return {
    user: 'alice@example.org', proxy: 'none', proxyAlways: false, host: undefined, port: undefined,
    sourceIp: undefined, protocol: undefined, destuser: undefined, proxyMech: undefined, proxyTimeoutMs: undefined,
    proxyNopipelining: false, proxyNotTrusted: false, ssl: 'no', starttls: 'no', master: undefined, pass: undefined,
    nopassword: false, delayUntil: undefined, forward: {}, directorTag: '', nologin: false, reason: undefined,
    ...over,
  };
}

const B1: BackendSpec = { id: 'b1', host: '10.0.0.11', ports: { imap: 10143 }, weight: 100, tag: '' };
const B2: BackendSpec = { id: 'b2', host: '10.0.0.12', ports: {}, weight: 100, tag: '' };
const EU: BackendSpec = { id: 'eu1', host: '10.0.1.1', ports: { pop3: 10110 }, weight: 100, tag: 'eu' };
const LOCAL: BackendSpec = { id: 'local', host: '127.0.0.21', ports: { imap: 20143 }, weight: 100, tag: 'local' };
const SELF = new Set(['127.0.0.1', '192.0.2.5', '::1']);

/** Records what routing asked of the ring and answers from a fixed table. */
class FakeRing implements RingView {
  readonly asked: Array<[string, string]> = [];
  constructor(private readonly answer: Readonly<Record<string, BackendSpec>>, private readonly all: readonly BackendSpec[]) {}
  pick(key: string, tag: string): BackendSpec | undefined {
    this.asked.push([key, tag]);
    return Object.hasOwn(this.answer, tag) ? this.answer[tag] : undefined;
  }
  backends(): readonly BackendSpec[] {
    return this.all;
  }
  backend(id: string): BackendSpec | undefined {
    return this.all.find((b) => b.id === id);
  }
}

function input(over: Partial<RouteInput> & { fields: UserFields }): RouteInput {
  return {
    protocol: 'imap',
    selfAddresses: SELF,
    ring: new FakeRing({ '': B2, eu: EU }, [B1, B2, EU]),
    hashKey: '%u',
    localBackend: undefined,
    ...over,
  };
}

test('row 1: nologin refuses with the sanitized reason, whatever the host', () => {
  for (const host of [undefined, '127.0.0.1', '10.0.0.99']) {
    const d = routeUser(input({ fields: fields({ nologin: true, host, reason: 'Mailbox\r\n* BYE moved' }) }));
    assert.deepEqual(d, { kind: 'refuse', failure: 'nologin', detail: 'Mailbox  * BYE moved' });
  }
  const noReason = routeUser(input({ fields: fields({ nologin: true, proxy: 'proxy' }) }));
  assert.deepEqual(noReason, { kind: 'refuse', failure: 'nologin', detail: NOLOGIN_DEFAULT_TEXT });
});

test('row 2: no host → the ring, keyed by the hash key template, in the user tag', () => {
  const ring = new FakeRing({ '': B2, eu: EU }, [B1, B2, EU]);
  const d = routeUser(input({ ring, hashKey: '%Ld', fields: fields({ user: 'Bob@Example.ORG', proxy: 'proxy' }) }));
  assert.deepEqual(d, { kind: 'proxy', reason: 'ring', destination: { host: '10.0.0.12', port: 143, backend: B2 } });
  assert.deepEqual(ring.asked, [['example.org', '']]);

  const eu = routeUser(input({ ring, protocol: 'pop3', fields: fields({ directorTag: 'eu' }) }));
  assert.deepEqual(eu, { kind: 'proxy', reason: 'ring', destination: { host: '10.0.1.1', port: 10110, backend: EU } });
  assert.deepEqual(ring.asked[1], ['alice@example.org', 'eu']);

  const none = routeUser(input({ fields: fields({ directorTag: 'asia' }) }));
  assert.equal(none.kind, 'refuse');
  assert.equal(none.kind === 'refuse' && none.failure, 'no_backend');
  const blank = routeUser(input({ fields: fields({ host: ' ' }) }));
  assert.equal(blank.kind === 'proxy' && blank.reason, 'ring');
});

test('row 3: proxy_maybe + proxy_always with a self host → the ring', () => {
  const d = routeUser(input({ localBackend: LOCAL, fields: fields({ proxy: 'proxy_maybe', proxyAlways: true, host: '127.0.0.1' }) }));
  assert.deepEqual(d, { kind: 'proxy', reason: 'ring', destination: { host: '10.0.0.12', port: 143, backend: B2 } });
});

test('row 4: proxy_maybe with a self host → local_backend, else a loop', () => {
  const local = routeUser(input({ localBackend: LOCAL, fields: fields({ proxy: 'proxy_maybe', host: '192.0.2.5' }) }));
  assert.deepEqual(local, { kind: 'proxy', reason: 'local', destination: { host: '127.0.0.21', port: 20143, backend: LOCAL } });
  const pop = routeUser(input({ protocol: 'pop3', localBackend: LOCAL, fields: fields({ proxy: 'proxy_maybe', host: '192.0.2.5' }) }));
  assert.equal(pop.kind === 'proxy' && pop.destination.port, 110);
  const loop = routeUser(input({ fields: fields({ proxy: 'proxy_maybe', host: '192.0.2.5' }) }));
  assert.equal(loop.kind === 'refuse' && loop.failure, 'proxy_loop');
});

test('row 5: proxy or no proxy field with a self host → "Proxying loops"', () => {
  for (const proxy of ['proxy', 'none'] as const) {
    for (const host of ['127.0.0.1', '::ffff:127.0.0.1', '::FFFF:7f00:1', '[::1]', '0:0:0:0:0:0:0:1', '0.0.0.0', '::']) {
      const d = routeUser(input({ localBackend: LOCAL, fields: fields({ proxy, proxyAlways: true, host }) }));
      assert.deepEqual(d, { kind: 'refuse', failure: 'proxy_loop', detail: PROXY_LOOP_TEXT }, `${proxy} ${host}`);
    }
  }
});

test('row 6: another host → that host, port field, backend port, or the protocol default', () => {
  const plain = routeUser(input({ fields: fields({ proxy: 'proxy', host: '10.0.0.99' }) }));
  assert.deepEqual(plain, { kind: 'proxy', reason: 'ldap_host', destination: { host: '10.0.0.99', port: 143, backend: undefined } });
  const withPort = routeUser(input({ fields: fields({ host: '10.0.0.99', port: 1143 }) }));
  assert.equal(withPort.kind === 'proxy' && withPort.destination.port, 1143);
  const pop = routeUser(input({ protocol: 'pop3', fields: fields({ proxy: 'proxy_maybe', host: '10.0.0.99' }) }));
  assert.equal(pop.kind === 'proxy' && pop.destination.port, 110);
  // A configured backend's host: its port for the protocol and the backend itself.
  const known = routeUser(input({ fields: fields({ host: '::ffff:10.0.0.11' }) }));
  assert.deepEqual(known, { kind: 'proxy', reason: 'ldap_host', destination: { host: '10.0.0.11', port: 10143, backend: B1 } });
  const knownPop = routeUser(input({ protocol: 'pop3', fields: fields({ host: '10.0.0.11' }) }));
  assert.equal(knownPop.kind === 'proxy' && knownPop.destination.port, 110);
  const explicit = routeUser(input({ fields: fields({ host: '10.0.0.11', port: 9143 }) }));
  assert.equal(explicit.kind === 'proxy' && explicit.destination.port, 9143);
  // proxy_maybe + proxy_always with another host still goes there, bypassing the ring.
  const ring = new FakeRing({ '': B2 }, [B1, B2]);
  const always = routeUser(input({ ring, fields: fields({ proxy: 'proxy_maybe', proxyAlways: true, host: '10.0.0.99' }) }));
  assert.equal(always.kind === 'proxy' && always.reason, 'ldap_host');
  assert.equal(ring.asked.length, 0);
});

test('with the real BackendRing: stable picks, failover, empty ring', () => {
  const ring = new BackendRing([B1, B2, EU], 160);
  const users = Array.from({ length: 200 }, (_, i) => `user${i}`);
  const route = (r: RingView, user: string, tag = ''): ReturnType<typeof routeUser> =>
    routeUser(input({ ring: r, fields: fields({ user, directorTag: tag }) }));
  const first = users.map((u) => route(ring, u));
  const again = users.map((u) => route(new BackendRing([EU, B2, B1], 160), u));
  assert.deepEqual(again, first);
  const ids = new Set(first.map((d) => (d.kind === 'proxy' ? d.destination.backend?.id : d.failure)));
  assert.deepEqual([...ids].sort(), ['b1', 'b2']);
  for (const d of first) {
    assert.ok(d.kind === 'proxy' && d.reason === 'ring');
    assert.equal(d.destination.port, d.destination.backend?.id === 'b1' ? 10143 : 143);
  }
  const b1Down = ring.withHealth(new Set(['b1']));
  const backendId = (d: ReturnType<typeof routeUser>): string | undefined => (d.kind === 'proxy' ? d.destination.backend?.id : undefined);
  for (const u of users) assert.equal(backendId(route(b1Down, u)), 'b2');
  assert.equal(backendId(route(ring, 'x', 'eu')), 'eu1');
  const empty = route(new BackendRing([], 160), 'x');
  assert.equal(empty.kind === 'refuse' && empty.failure, 'no_backend');
  // Backends waiting for their first probe verdict take nobody: all of them pending is "no backend up" (a temporary failure).
  const b2Pending = ring.withHealth(new Set(), new Set(['b2']));
  for (const u of users) assert.equal(backendId(route(b2Pending, u)), 'b1');
  const allPending = route(ring.withHealth(new Set(), new Set(['b1', 'b2'])), 'x');
  assert.equal(allPending.kind === 'refuse' && allPending.failure, 'no_backend');
  // An LDAP host matching a ring backend is found through the real ring's backends().
  const viaHost = routeUser(input({ ring, fields: fields({ host: '10.0.0.11' }) }));
  assert.equal(viaHost.kind === 'proxy' && viaHost.destination.backend?.id, 'b1');
});

test('normalizeAddress', () => {
  assert.equal(normalizeAddress('::ffff:127.0.0.1'), '127.0.0.1');
  assert.equal(normalizeAddress('::FFFF:7F00:1'), '127.0.0.1');
  assert.equal(normalizeAddress('[2001:DB8::0:1]'), '2001:db8::1');
  assert.equal(normalizeAddress('fe80::1%eth0'), 'fe80::1');
  assert.equal(normalizeAddress('Mail.Example.ORG'), 'mail.example.org');
  assert.equal(normalizeAddress(' 10.0.0.1 '), '10.0.0.1');
});

test('sticky: a ring user with live sessions stays on that backend; LDAP hosts and other tags ignore it', () => {
  const ring = new FakeRing({ '': B2, eu: EU }, [B1, B2, EU]);
  const stuck = routeUser(input({ ring, fields: fields(), sticky: B1 }));
  assert.deepEqual(stuck, { kind: 'proxy', reason: 'ring', destination: { host: B1.host, port: 10143, backend: B1 } });
  assert.deepEqual(ring.asked, [], 'the hash is not consulted');
  // proxy_always with a self host is ring placement too.
  const always = routeUser(input({ fields: fields({ proxy: 'proxy_maybe', proxyAlways: true, host: '127.0.0.1' }), sticky: B1 }));
  assert.equal(always.kind === 'proxy' ? always.destination.backend?.id : undefined, 'b1');
  // A sticky backend of another tag does not serve this user.
  const eu = routeUser(input({ fields: fields({ directorTag: 'eu' }), sticky: B1 }));
  assert.equal(eu.kind === 'proxy' ? eu.destination.backend?.id : undefined, 'eu1');
  // An LDAP host decides over sessions elsewhere (that is a move).
  const host = routeUser(input({ fields: fields({ host: '10.0.0.12' }), sticky: B1 }));
  assert.equal(host.kind === 'proxy' ? host.destination.host : undefined, '10.0.0.12');
  // Without the hint, the hash decides.
  const hashed = routeUser(input({ fields: fields() }));
  assert.equal(hashed.kind === 'proxy' ? hashed.destination.backend?.id : undefined, 'b2');
});

test('dovecot placement: the ring hashes destuser when set (Dovecot director), %L lower-cases ASCII only', () => {
  class DovecotFake extends FakeRing {
    readonly placement = 'dovecot' as const;
  }
  const ring = new DovecotFake({ '': B2 }, [B1, B2]);
  routeUser(input({ ring, hashKey: '%Lu', fields: fields({ user: 'alias@Example.org', destuser: 'Ünïcode@Example.ORG' }) }));
  routeUser(input({ ring, hashKey: '%Lu', fields: fields({ user: 'CAROL@Example.org' }) }));
  assert.deepEqual(ring.asked, [['Ünïcode@example.org', ''], ['carol@example.org', '']]);

  // ketama keeps what it always hashed: user, Unicode lower-casing.
  const ketama = new FakeRing({ '': B2 }, [B1, B2]);
  routeUser(input({ ring: ketama, hashKey: '%Lu', fields: fields({ user: 'Ünïcode@Example.ORG', destuser: 'other' }) }));
  assert.deepEqual(ketama.asked, [['ünïcode@example.org', '']]);
});
