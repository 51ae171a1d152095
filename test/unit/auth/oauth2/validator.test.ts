import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { get } from 'node:https';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTokenValidator } from '../../../../src/auth/oauth2/validator.js';
import type { OAuth2Config } from '../../../../src/config/types.js';
import { Secret } from '../../../../src/core/secret.js';
import { createCa } from '../../../harness/certs.js';
import { IDP_AUDIENCE, startIdp, type IdpHandle } from '../../../harness/idp.js';

let dir: string;
let idp: IdpHandle;
let ca: Buffer;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-oauth2-unit-'));
  const caFiles = await createCa(join(dir, 'ca'), 'idp-unit-ca');
  ca = await readFile(caFiles.cert);
  idp = await startIdp({ dir: join(dir, 'idp'), ca: caFiles });
});

after(async () => {
  await idp?.stop();
  await rm(dir, { recursive: true, force: true });
});

function config(over: Partial<OAuth2Config>): OAuth2Config {
  return {
    introspectionMode: 'local',
    introspectionUrl: undefined,
    localValidationJwks: { kind: 'url', url: idp.jwksUrl },
    jwksCacheTtlMs: 3_600_000,
    usernameAttribute: 'username',
    usernameFormat: '%Lu',
    activeAttribute: 'active',
    activeValue: 'true',
    issuers: [idp.issuer],
    clientId: IDP_AUDIENCE,
    scope: [],
    timeoutMs: 2_000,
    tlsCaCert: ca,
    tlsCaCertFile: undefined,
    ...over,
  };
}

function fetchJwks(): Promise<ReadonlyArray<Readonly<Record<string, unknown>>>> {
  return new Promise((resolve, reject) => {
    get(idp.jwksUrl, { ca }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve((JSON.parse(body) as { keys: Array<Record<string, unknown>> }).keys));
    }).on('error', reject);
  });
}

const token = async (opts: Parameters<IdpHandle['issue']>[0]): Promise<Secret> => new Secret(await idp.issue(opts));

test('local JWT against a JWKS URL: signature, expiry, issuer, audience and the user are checked', async () => {
  const v = createTokenValidator(config({}));
  assert.deepEqual(await v.validate(await token({ user: 'alice' }), 'alice'), { kind: 'valid', user: 'alice' });
  // username_format %Lu: the names compare lower-cased, the client's spelling is kept.
  assert.deepEqual(await v.validate(await token({ user: 'alice' }), 'Alice'), { kind: 'valid', user: 'Alice' });
  const refused = [
    [await token({ user: 'alice', expiresIn: -30 }), /exp/],
    [await token({ user: 'alice', forged: true }), /SIGNATURE/],
    [await token({ user: 'alice', audience: 'someone-else' }), /aud/],
    [await token({ user: 'alice', issuer: 'https://evil.example' }), /iss/],
    [await token({ user: 'bob' }), /another user/],
    [new Secret('not-a-jwt'), /JWT refused/],
  ] as const;
  for (const [t, why] of refused) {
    const verdict = await v.validate(t, 'alice');
    assert.equal(verdict.kind, 'invalid');
    if (verdict.kind === 'invalid') {
      assert.match(verdict.detail, why);
      assert.ok(!verdict.detail.includes(t.reveal()), 'the token is never in the detail');
    }
  }
});

test('scope: one wanted scope must be granted', async () => {
  assert.equal((await createTokenValidator(config({ scope: ['mail', 'imap'] })).validate(await token({ user: 'a' }), 'a')).kind, 'valid');
  const v = await createTokenValidator(config({ scope: ['imap'] })).validate(await token({ user: 'a' }), 'a');
  assert.equal(v.kind, 'invalid');
});

test('local JWT against a JWKS file', async () => {
  const v = createTokenValidator(config({ localValidationJwks: { kind: 'file', path: 'jwks.json', keys: await fetchJwks() } }));
  assert.equal((await v.validate(await token({ user: 'carol' }), 'carol')).kind, 'valid');
  assert.equal((await v.validate(await token({ user: 'carol', forged: true }), 'carol')).kind, 'invalid');
});

test('RFC 7662 introspection: active tokens pass, inactive ones are refused, a 4xx refuses, no answer is a temporary failure', async () => {
  const v = createTokenValidator(config({ introspectionMode: 'post', introspectionUrl: idp.introspectionUrl, localValidationJwks: undefined }));
  const good = await token({ user: 'dave' });
  assert.deepEqual(await v.validate(good, 'dave'), { kind: 'valid', user: 'dave' });
  assert.ok(idp.introspections(good.reveal()) >= 1);
  assert.equal((await v.validate(await token({ user: 'dave', expiresIn: -5 }), 'dave')).kind, 'invalid');
  const get = createTokenValidator(config({ introspectionMode: 'get', introspectionUrl: `${idp.introspectionUrl}?token=`, localValidationJwks: undefined }));
  assert.equal((await get.validate(await token({ user: 'dave' }), 'dave')).kind, 'valid');
  const auth = createTokenValidator(config({ introspectionMode: 'auth', introspectionUrl: idp.introspectionUrl, localValidationJwks: undefined }));
  assert.equal((await auth.validate(await token({ user: 'dave' }), 'dave')).kind, 'valid');
  assert.equal((await auth.validate(await token({ user: 'dave' }), 'erin')).kind, 'invalid');
  const notThere = createTokenValidator(config({ introspectionMode: 'post', introspectionUrl: `${idp.issuer}/nowhere`, localValidationJwks: undefined }));
  assert.equal((await notThere.validate(good, 'dave')).kind, 'invalid');

  await idp.stop();
  try {
    const down = await v.validate(good, 'dave');
    assert.equal(down.kind, 'tempfail');
    const fresh = createTokenValidator(config({}));
    assert.equal((await fresh.validate(good, 'dave')).kind, 'tempfail', 'no JWKS yet: temporary');
  } finally {
    await idp.start();
  }
});

test('a JWKS URL is fetched once and kept; the cached keys serve while the provider is down', async () => {
  const v = createTokenValidator(config({}));
  assert.equal((await v.validate(await token({ user: 'erin' }), 'erin')).kind, 'valid');
  const t = await token({ user: 'erin' });
  await idp.stop();
  try {
    assert.equal((await v.validate(t, 'erin')).kind, 'valid');
  } finally {
    await idp.start();
  }
});
