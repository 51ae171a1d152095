import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { LoginCore, proxyMech } from '../../../src/session/login-core.js';
import type { TokenVerdict } from '../../../src/auth/oauth2/verdict.js';
import { AuthPenalty } from '../../../src/auth/penalty.js';
import { Secret } from '../../../src/core/secret.js';
import { LoginFailure } from '../../../src/core/failure.js';
import { BackendRing } from '../../../src/ring/hash-ring.js';
import { checkConfigText } from '../../../src/config/load.js';
import { parseUserFields } from '../../../src/auth/parse-fields.js';
import type { Passdb } from '../../../src/auth/passdb.js';
import type { BackendLoginParams } from '../../../src/session/backend-login.js';
import type { LoginRequest } from '../../../src/session/frontend.js';

const yaml = `director: { id: d1 }
limits: { auth_failure_delay: 50ms }
passdb: { driver: passwd-file, path: /nonexistent }
ring:
  backends: [{ id: b1, host: 127.0.0.11 }, { id: b2, host: 127.0.0.12 }]
`;
const checked = checkConfigText('/tmp/d.yaml', yaml, {});
const config = checked.config;
if (config === undefined) throw new Error(JSON.stringify(checked.problems));

/** A passdb that knows one user with the given raw fields (a fake: this tests the login core alone). */
function passdbWith(raw: Record<string, string>, password = 'pw'): Passdb {
  return {
    authenticate: async (req) => {
      if (req.password.reveal() !== password) return { kind: 'fail', detail: 'wrong password' };
      const parsed = parseUserFields(req.user, new Map(Object.entries(raw)));
      if ('error' in parsed) return { kind: 'tempfail', detail: parsed.error };
      return { kind: 'ok', fields: parsed.fields };
    },
    lookup: async () => ({ kind: 'not_found' }),
    flushCache: () => 0,
    close: async () => undefined,
  };
}

function core(passdb: Passdb): LoginCore {
  const ring = BackendRing.fromConfig(config!.ring);
  return new LoginCore({ config: () => config!, passdb: () => passdb, ring: () => ring, selfAddresses: () => new Set(['127.0.0.1']) });
}

const attempt = (trustedClient: boolean) => ({
  trustedClient,
  protocol: 'imap' as const,
  sessionId: 's1',
  client: { remoteIp: '127.0.0.5', remotePort: 1000, localIp: '127.0.0.1', localPort: 143 },
  log: pino({ level: 'silent' }),
});

function request(clientId?: Array<[string, string | null]>): LoginRequest {
  return { user: 'alice', password: new Secret('pw'), authzid: undefined, mechanism: 'LOGIN', clientId };
}

const trace = () => ({ user: undefined, routeReason: undefined, backendId: undefined, backendHost: undefined, delayedMs: 0 });

test('the backend login gets the LDAP host, destuser and a decremented TTL', async () => {
  let seen: BackendLoginParams | undefined;
  const outcome = await core(passdbWith({ host: '10.1.2.3', proxy: 'y', destuser: 'alice@example.org' })).login(
    attempt(false),
    request(),
    async (params) => {
      seen = params;
      throw new LoginFailure('backend_unavailable', 'test stops here');
    },
    trace(),
  );
  assert.equal(outcome.ok, false);
  assert.equal(seen?.host, '10.1.2.3');
  assert.equal(seen?.port, 143);
  assert.equal(seen?.user, 'alice@example.org');
  assert.equal(seen?.ttl, 4);
  assert.equal(seen?.password.reveal(), 'pw');
});

test('a trusted upstream proxy with x-proxy-ttl 1 is refused as a loop; an untrusted one cannot lower the TTL', async () => {
  const loop = await core(passdbWith({})).login(attempt(true), request([['x-proxy-ttl', '1']]), async () => {
    throw new Error('must not reach the backend');
  }, trace());
  assert.equal(!loop.ok && loop.failure.kind, 'proxy_loop');

  let ttl = -1;
  await core(passdbWith({})).login(attempt(false), request([['x-proxy-ttl', '1']]), async (params) => {
    ttl = params.ttl;
    throw new LoginFailure('backend_unavailable', 'stop');
  }, trace());
  assert.equal(ttl, 4);
});

test('a wrong password is auth_failed after the failure delay; a different authzid is refused', async () => {
  const started = Date.now();
  const bad = await core(passdbWith({})).login(attempt(false), { ...request(), password: new Secret('nope') }, async () => {
    throw new Error('must not reach the backend');
  }, trace());
  assert.equal(!bad.ok && bad.failure.kind, 'auth_failed');
  assert.ok(Date.now() - started >= 45, 'auth_failure_delay applied');

  const authz = await core(passdbWith({})).login(attempt(false), { ...request(), authzid: 'root' }, async () => {
    throw new Error('must not reach the backend');
  }, trace());
  assert.equal(!authz.ok && authz.failure.kind, 'auth_failed');
});

test('master user: the backend gets the master name and its password, not the user password', async () => {
  let seen: BackendLoginParams | undefined;
  await core(passdbWith({ master: 'proxyadmin', pass: 'masterpw' })).login(attempt(false), request(), async (params) => {
    seen = params;
    throw new LoginFailure('backend_unavailable', 'stop');
  }, trace());
  assert.equal(seen?.master, 'proxyadmin');
  assert.equal(seen?.password.reveal(), 'masterpw');
  assert.equal(seen?.user, 'alice');
});

test('auth penalty: failed logins from an address delay its next authentication; trusted networks are exempt', async () => {
  const penalty = new AuthPenalty({ initialMs: 40, maxMs: 160 });
  const ring = BackendRing.fromConfig(config.ring);
  let authenticatedAt = 0;
  const inner = passdbWith({});
  const passdb: Passdb = { ...inner, authenticate: (req) => ((authenticatedAt = performance.now()), inner.authenticate(req)) };
  const c = new LoginCore({ config: () => config, passdb: () => passdb, ring: () => ring, selfAddresses: () => new Set(['127.0.0.1']), penalty });
  const wrong: LoginRequest = { ...request(), password: new Secret('wrong') };
  const waited: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    const outcome = await c.login(attempt(false), wrong, async () => assert.fail('no backend login'), trace());
    assert.equal(outcome.ok, false);
    waited.push(authenticatedAt - started);
  }
  // 0, then 40 and 80 ms before the passdb was even asked.
  assert.ok(waited[0]! < 30, `first: ${waited[0]}`);
  assert.ok(waited[1]! >= 38 && waited[2]! >= 78, `waits ${waited.map((w) => w.toFixed(0)).join(', ')}`);
  const trustedStart = performance.now();
  await c.login(attempt(true), wrong, async () => assert.fail('no backend login'), trace());
  assert.ok(authenticatedAt - trustedStart < 30, 'a trusted network waited');
  assert.equal(penalty.delayMs('127.0.0.5'), 160);
});

/** A passdb whose lookup knows alice with `raw` fields, and whose password check must not be used. */
function lookupOnly(raw: Record<string, string>): Passdb {
  return {
    authenticate: async () => {
      throw new Error('a token login must not check a password');
    },
    lookup: async (user) => {
      if (user !== 'alice') return { kind: 'not_found' };
      const parsed = parseUserFields(user, new Map(Object.entries(raw)));
      return 'error' in parsed ? { kind: 'tempfail', detail: parsed.error } : { kind: 'ok', fields: parsed.fields };
    },
    flushCache: () => 0,
    close: async () => undefined,
  };
}

function tokenCore(passdb: Passdb, verdict: TokenVerdict): LoginCore {
  const ring = BackendRing.fromConfig(config!.ring);
  return new LoginCore({
    config: () => config!,
    passdb: () => passdb,
    ring: () => ring,
    selfAddresses: () => new Set(['127.0.0.1']),
    tokenValidator: () => ({ validate: async () => verdict }),
  });
}

function tokenRequest(user: string, challenges: string[]): LoginRequest {
  return {
    user,
    password: new Secret('the-token'),
    authzid: undefined,
    mechanism: 'XOAUTH2',
    clientId: undefined,
    saslFailureChallenge: async (text) => {
      challenges.push(text);
      return true;
    },
  };
}

test('a valid token: routing fields from a lookup; proxy_mech=%m sends the token on with the client\'s mechanism', async () => {
  let seen: BackendLoginParams | undefined;
  const challenges: string[] = [];
  await tokenCore(lookupOnly({ host: '10.1.2.3', proxy_mech: '%m' }), { kind: 'valid', user: 'alice' }).login(
    attempt(false),
    tokenRequest('alice', challenges),
    async (params) => {
      seen = params;
      throw new LoginFailure('backend_unavailable', 'stop');
    },
    trace(),
  );
  assert.equal(seen?.host, '10.1.2.3');
  assert.equal(seen?.proxyMech, 'XOAUTH2');
  assert.equal(seen?.password.reveal(), 'the-token');
  assert.deepEqual(challenges, []);
});

test('a refused token or an unknown user: the JSON status challenge, then auth_failed; a provider that cannot answer: auth_temp, no challenge', async () => {
  const backend = async (): Promise<never> => {
    throw new Error('must not reach the backend');
  };
  for (const [user, verdict] of [
    ['alice', { kind: 'invalid', detail: 'expired' }],
    ['nobody', { kind: 'valid', user: 'nobody' }],
  ] as const) {
    const challenges: string[] = [];
    const outcome = await tokenCore(lookupOnly({}), verdict).login(attempt(false), tokenRequest(user, challenges), backend, trace());
    assert.equal(!outcome.ok && outcome.failure.kind, 'auth_failed');
    assert.deepEqual(challenges.map((c) => Buffer.from(c, 'base64').toString()), ['{"status":"401","schemes":"bearer","scope":"mail"}']);
  }
  const challenges: string[] = [];
  const down = await tokenCore(lookupOnly({}), { kind: 'tempfail', detail: 'unreachable' }).login(attempt(false), tokenRequest('alice', challenges), backend, trace());
  assert.equal(!down.ok && down.failure.kind, 'auth_temp');
  assert.deepEqual(challenges, []);
});

test('proxyMech: %m is the client\'s mechanism (USER/PASS is PLAIN), other values pass unchanged', () => {
  assert.equal(proxyMech('%m', 'OAUTHBEARER'), 'OAUTHBEARER');
  assert.equal(proxyMech('%m', 'USER'), 'PLAIN');
  assert.equal(proxyMech('plain', 'XOAUTH2'), 'plain');
  assert.equal(proxyMech(undefined, 'XOAUTH2'), undefined);
});
