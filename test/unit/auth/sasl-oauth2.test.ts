import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Secret } from '../../../src/core/secret.js';
import {
  createOAuth2Server,
  encodeOauthbearer,
  encodeXoauth2,
  oauth2FailureAck,
  oauth2FailureChallenge,
} from '../../../src/auth/sasl-oauth2.js';
import { createServerMechanism, offeredMechanisms } from '../../../src/auth/sasl-mechanisms.js';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

function run(mech: string, initial: string | undefined, ...responses: string[]) {
  const server = createOAuth2Server(mech);
  assert.ok(server !== undefined);
  let step = server.start(initial);
  for (const r of responses) {
    assert.equal(step.kind, 'challenge');
    step = server.respond(r);
  }
  return step;
}

test('XOAUTH2: user and Bearer token from the initial response or after an empty challenge', () => {
  const message = b64('user=alice@example.org\x01auth=Bearer tok.en-1\x01\x01');
  for (const step of [run('xoauth2', message), run('XOAUTH2', undefined, message)]) {
    assert.equal(step.kind, 'done');
    if (step.kind !== 'done') continue;
    assert.equal(step.credentials.authcid, 'alice@example.org');
    assert.equal(step.credentials.password.reveal(), 'tok.en-1');
    assert.equal(step.credentials.authzid, undefined);
  }
  const start = createOAuth2Server('XOAUTH2')!.start(undefined);
  assert.deepEqual(start, { kind: 'challenge', challenge: '' });
});

test('OAUTHBEARER: the gs2 header names the user (RFC 5801 escapes), other key/values are ignored', () => {
  const step = run('OAUTHBEARER', b64('n,a=a=2Cb=3Dc@example.org,\x01host=imap.example.org\x01port=143\x01auth=bearer T\x01\x01'));
  assert.equal(step.kind, 'done');
  if (step.kind === 'done') {
    assert.equal(step.credentials.authcid, 'a,b=c@example.org');
    assert.equal(step.credentials.password.reveal(), 'T');
  }
});

test('malformed messages fail as Dovecot fails them; the reason never holds the token', () => {
  const cases: Array<[string, string]> = [
    ['XOAUTH2', 'auth=Bearer t\x01\x01'], // no user
    ['XOAUTH2', 'user=a\x01\x01'], // no token
    ['XOAUTH2', 'user=a\x01auth=Basic secret-token\x01\x01'], // not Bearer
    ['XOAUTH2', 'user=a\x01auth=Bearer \x01\x01'], // empty token
    ['OAUTHBEARER', 'p=tls-unique,a=a,\x01auth=Bearer secret-token\x01\x01'], // channel binding
    ['OAUTHBEARER', 'F,n,a=a,\x01auth=Bearer secret-token\x01\x01'],
    ['OAUTHBEARER', 'n,a=a=2x,\x01auth=Bearer secret-token\x01\x01'], // bad escape
    ['OAUTHBEARER', 'n,,\x01auth=Bearer secret-token\x01\x01'], // no user
    ['OAUTHBEARER', ''],
  ];
  for (const [mech, text] of cases) {
    const step = run(mech, b64(text));
    assert.equal(step.kind, 'failed', `${mech} ${JSON.stringify(text)}`);
    if (step.kind === 'failed') {
      assert.equal(step.reason, 'malformed');
      assert.ok(!step.detail.includes('secret-token'));
    }
  }
  assert.equal(run('XOAUTH2', 'not base64!').kind, 'failed');
  const aborted = run('XOAUTH2', undefined, '*');
  assert.ok(aborted.kind === 'failed' && aborted.reason === 'aborted');
});

test('encoders produce what the parsers read back, and the failure statuses are Dovecot\'s JSON', () => {
  const token = new Secret('eyJ.abc.def');
  const x = run('XOAUTH2', encodeXoauth2('bob', token));
  assert.ok(x.kind === 'done' && x.credentials.authcid === 'bob' && x.credentials.password.reveal() === 'eyJ.abc.def');
  const o = run('OAUTHBEARER', encodeOauthbearer('b,o=b', token));
  assert.ok(o.kind === 'done' && o.credentials.authcid === 'b,o=b');
  assert.equal(Buffer.from(oauth2FailureChallenge('XOAUTH2'), 'base64').toString(), '{"status":"401","schemes":"bearer","scope":"mail"}');
  assert.equal(Buffer.from(oauth2FailureChallenge('oauthbearer'), 'base64').toString(), '{"status":"invalid_token"}');
  assert.equal(oauth2FailureAck('XOAUTH2'), '');
  assert.equal(oauth2FailureAck('OAUTHBEARER'), 'AQ==');
});

test('the OAuth mechanisms are offered and run only with an oauth2 section', () => {
  assert.deepEqual(offeredMechanisms(false), ['PLAIN', 'LOGIN']);
  assert.deepEqual(offeredMechanisms(true), ['PLAIN', 'LOGIN', 'XOAUTH2', 'OAUTHBEARER']);
  assert.equal(createServerMechanism('XOAUTH2', false), undefined);
  assert.equal(createServerMechanism('xoauth2', true)?.mechanism, 'XOAUTH2');
  assert.equal(createServerMechanism('plain', false)?.mechanism, 'PLAIN');
});
