import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { CachedPassdb } from '../../../src/auth/cached-passdb.js';
import { parseUserFields } from '../../../src/auth/parse-fields.js';
import type { AuthRequest, AuthResult, LookupResult, Passdb } from '../../../src/auth/passdb.js';
import type { UserFields } from '../../../src/auth/fields.js';
import { Secret } from '../../../src/core/secret.js';

const log = pino({ level: 'silent' });

function fields(user: string): UserFields {
  const parsed = parseUserFields(user, new Map());
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.fields;
}

/** A passdb with settable passwords that counts backend calls. */
class FakePassdb implements Passdb {
  readonly passwords = new Map<string, string>();
  down = false;
  authCalls = 0;
  lookupCalls = 0;
  /** When set, authenticate waits for this before answering. */
  gate: Promise<void> | undefined;

  async authenticate(request: AuthRequest): Promise<AuthResult> {
    this.authCalls += 1;
    if (this.gate !== undefined) await this.gate;
    if (this.down) return { kind: 'tempfail', detail: 'down' };
    const stored = this.passwords.get(request.user);
    if (stored === undefined) return { kind: 'fail', detail: 'unknown user' };
    return stored === request.password.reveal() ? { kind: 'ok', fields: fields(request.user) } : { kind: 'fail', detail: 'wrong password' };
  }

  async lookup(user: string): Promise<LookupResult> {
    this.lookupCalls += 1;
    if (this.down) return { kind: 'tempfail', detail: 'down' };
    return this.passwords.has(user) ? { kind: 'ok', fields: fields(user) } : { kind: 'not_found' };
  }

  flushCache(): number {
    return 0;
  }

  async close(): Promise<void> {}
}

function req(user: string, password: string): AuthRequest {
  return { user, password: new Secret(password), protocol: 'imap', sessionId: 's', remoteIp: '127.0.0.1', localIp: '127.0.0.1' };
}

function setup(config = { size: 100, ttlMs: 60_000, negativeTtlMs: 10_000 }) {
  const inner = new FakePassdb();
  let now = 1_000_000;
  const cache = new CachedPassdb(inner, config, log, { now: () => now });
  return { inner, cache, advance: (ms: number) => (now += ms) };
}

test('a success is served from the cache until the TTL', async () => {
  const { inner, cache, advance } = setup();
  inner.passwords.set('alice', 'pw1');
  assert.equal((await cache.authenticate(req('alice', 'pw1'))).kind, 'ok');
  assert.equal((await cache.authenticate(req('alice', 'pw1'))).kind, 'ok');
  assert.equal(inner.authCalls, 1);
  advance(60_000);
  assert.equal((await cache.authenticate(req('alice', 'pw1'))).kind, 'ok');
  assert.equal(inner.authCalls, 2);
});

test('a different password always goes to the backend', async () => {
  const { inner, cache } = setup();
  inner.passwords.set('alice', 'pw1');
  await cache.authenticate(req('alice', 'pw1'));
  assert.equal((await cache.authenticate(req('alice', 'pw2'))).kind, 'fail');
  assert.equal(inner.authCalls, 2);
  // A password that differs only in case or by a trailing byte is a different key.
  await cache.authenticate(req('alice', 'PW1'));
  await cache.authenticate(req('alice', 'pw1 '));
  assert.equal(inner.authCalls, 4);
});

test('after a password change, a login with the new password retires the old one', async () => {
  const { inner, cache } = setup();
  inner.passwords.set('alice', 'old');
  assert.equal((await cache.authenticate(req('alice', 'old'))).kind, 'ok');
  inner.passwords.set('alice', 'new');
  assert.equal((await cache.authenticate(req('alice', 'new'))).kind, 'ok');
  assert.equal((await cache.authenticate(req('alice', 'old'))).kind, 'fail');
});

test('flushCache(user) and flushCache() drop cached successes', async () => {
  const { inner, cache } = setup();
  inner.passwords.set('alice', 'pw');
  inner.passwords.set('bob', 'pw');
  await cache.authenticate(req('alice', 'pw'));
  await cache.authenticate(req('bob', 'pw'));
  await cache.lookup('alice');
  inner.passwords.set('alice', 'changed');
  inner.passwords.set('bob', 'changed');
  assert.equal(cache.flushCache('alice'), 2);
  assert.equal((await cache.authenticate(req('alice', 'pw'))).kind, 'fail');
  assert.equal((await cache.authenticate(req('bob', 'pw'))).kind, 'ok'); // still cached
  assert.ok(cache.flushCache() >= 2);
  assert.equal((await cache.authenticate(req('bob', 'pw'))).kind, 'fail');
});

test('a backend answer that began before a flush is not stored', async () => {
  const { inner, cache } = setup();
  inner.passwords.set('alice', 'pw');
  let open!: () => void;
  inner.gate = new Promise<void>((resolve) => (open = resolve));
  const pending = cache.authenticate(req('alice', 'pw'));
  cache.flushCache('alice');
  open();
  assert.equal((await pending).kind, 'ok');
  inner.gate = undefined;
  inner.passwords.set('alice', 'changed');
  assert.equal((await cache.authenticate(req('alice', 'pw'))).kind, 'fail');
});

test('failures are cached for the negative TTL only', async () => {
  const { inner, cache, advance } = setup();
  inner.passwords.set('alice', 'pw');
  await cache.authenticate(req('alice', 'bad'));
  await cache.authenticate(req('alice', 'bad'));
  assert.equal(inner.authCalls, 1);
  advance(10_000);
  await cache.authenticate(req('alice', 'bad'));
  assert.equal(inner.authCalls, 2);
  assert.deepEqual(await cache.lookup('nobody'), { kind: 'not_found' });
  assert.deepEqual(await cache.lookup('nobody'), { kind: 'not_found' });
  assert.equal(inner.lookupCalls, 1);
});

test('tempfails are never cached', async () => {
  const { inner, cache } = setup();
  inner.passwords.set('alice', 'pw');
  inner.down = true;
  assert.equal((await cache.authenticate(req('alice', 'pw'))).kind, 'tempfail');
  assert.equal((await cache.lookup('alice')).kind, 'tempfail');
  inner.down = false;
  assert.equal((await cache.authenticate(req('alice', 'pw'))).kind, 'ok');
  assert.equal((await cache.lookup('alice')).kind, 'ok');
  assert.equal(inner.authCalls, 2);
  assert.equal(inner.lookupCalls, 2);
});

test('LRU: the least recently used entry is evicted at the size limit', async () => {
  const { inner, cache } = setup({ size: 2, ttlMs: 60_000, negativeTtlMs: 10_000 });
  for (const user of ['a', 'b', 'c']) inner.passwords.set(user, 'pw');
  await cache.authenticate(req('a', 'pw'));
  await cache.authenticate(req('b', 'pw'));
  await cache.authenticate(req('a', 'pw')); // a is now the most recent
  await cache.authenticate(req('c', 'pw')); // evicts b
  assert.equal(inner.authCalls, 3);
  await cache.authenticate(req('a', 'pw'));
  assert.equal(inner.authCalls, 3);
  await cache.authenticate(req('b', 'pw'));
  assert.equal(inner.authCalls, 4);
});

test('size 0 disables the cache', async () => {
  const { inner, cache } = setup({ size: 0, ttlMs: 60_000, negativeTtlMs: 10_000 });
  inner.passwords.set('alice', 'pw');
  await cache.authenticate(req('alice', 'pw'));
  await cache.authenticate(req('alice', 'pw'));
  assert.equal(inner.authCalls, 2);
});
