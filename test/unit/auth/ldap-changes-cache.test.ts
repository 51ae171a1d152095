import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { CachedPassdb } from '../../../src/auth/cached-passdb.js';
import { parseUserFields } from '../../../src/auth/parse-fields.js';
import type { AuthRequest, AuthResult, LookupResult, Passdb } from '../../../src/auth/passdb.js';
import type { UserFields } from '../../../src/auth/fields.js';
import { Secret } from '../../../src/core/secret.js';

/** The cache's side of LDAP change events: CachedPassdb.forgetUsers. */

const log = pino({ level: 'silent' });

function fields(user: string, canonical: string): UserFields {
  const parsed = parseUserFields(user, new Map([['user', canonical]]));
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.fields;
}

/** Passwords per login name; every login name maps to the canonical (LDAP) name in its fields. */
class FakePassdb implements Passdb {
  readonly passwords = new Map<string, string>();
  readonly canonical = new Map<string, string>();
  calls = 0;
  gate: Promise<void> | undefined;

  async authenticate(request: AuthRequest): Promise<AuthResult> {
    this.calls += 1;
    // The directory answers with what it holds now, the caller hears it later.
    const stored = this.passwords.get(request.user.toLowerCase());
    if (this.gate !== undefined) await this.gate;
    if (stored === undefined) return { kind: 'fail', detail: 'unknown user' };
    if (stored !== request.password.reveal()) return { kind: 'fail', detail: 'wrong password' };
    return { kind: 'ok', fields: fields(request.user, this.canonical.get(request.user) ?? request.user.toLowerCase()) };
  }

  async lookup(user: string): Promise<LookupResult> {
    this.calls += 1;
    return { kind: 'ok', fields: fields(user, this.canonical.get(user) ?? user.toLowerCase()) };
  }

  flushCache(): number {
    return 0;
  }

  async close(): Promise<void> {}
}

function req(user: string, password: string): AuthRequest {
  return { user, password: new Secret(password), protocol: 'imap', sessionId: 's', remoteIp: '127.0.0.1', localIp: '127.0.0.1' };
}

function setup() {
  const inner = new FakePassdb();
  const cache = new CachedPassdb(inner, { size: 100, ttlMs: 3_600_000, negativeTtlMs: 60_000 }, log);
  return { inner, cache };
}

test('forgetUsers drops the user under every spelling and by the canonical name in the fields', async () => {
  const { inner, cache } = setup();
  inner.passwords.set('alice', 'old');
  inner.passwords.set('alice@example.org', 'old');
  inner.canonical.set('alice@example.org', 'alice');
  inner.passwords.set('bob', 'bob-pw');
  for (const name of ['alice', 'Alice', 'alice@example.org', 'bob']) {
    assert.equal((await cache.authenticate(req(name, name === 'bob' ? 'bob-pw' : 'old'))).kind, 'ok');
  }
  await cache.lookup('alice');
  const before = inner.calls;
  // The password changes in LDAP; the cache still says ok...
  inner.passwords.set('alice', 'new');
  inner.passwords.set('alice@example.org', 'new');
  assert.equal((await cache.authenticate(req('Alice', 'old'))).kind, 'ok');
  assert.equal(inner.calls, before);
  // ...until the change event.
  assert.equal(cache.forgetUsers(['alice']), 4);
  for (const name of ['alice', 'Alice', 'alice@example.org']) {
    assert.equal((await cache.authenticate(req(name, 'old'))).kind, 'fail', name);
  }
  // Others stay cached.
  const calls = inner.calls;
  assert.equal((await cache.authenticate(req('bob', 'bob-pw'))).kind, 'ok');
  assert.equal(inner.calls, calls);
});

test('forgetUsers: an answer in flight during the change is not stored', async () => {
  const { inner, cache } = setup();
  inner.passwords.set('alice', 'old');
  let open: () => void = () => undefined;
  inner.gate = new Promise<void>((resolve) => (open = resolve));
  const pending = cache.authenticate(req('alice', 'old'));
  await Promise.resolve();
  inner.passwords.set('alice', 'new');
  cache.forgetUsers(['alice']);
  open();
  assert.equal((await pending).kind, 'ok');
  inner.gate = undefined;
  assert.equal((await cache.authenticate(req('alice', 'old'))).kind, 'fail');
});

test('forgetUsers with no names drops nothing', async () => {
  const { inner, cache } = setup();
  inner.passwords.set('alice', 'pw');
  await cache.authenticate(req('alice', 'pw'));
  assert.equal(cache.forgetUsers([]), 0);
  const calls = inner.calls;
  await cache.authenticate(req('alice', 'pw'));
  assert.equal(inner.calls, calls);
});
