import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capabilityText, preloginCapabilities } from '../../../../src/protocols/imap/capabilities.js';

const input = { tlsActive: false, starttlsAvailable: true, plaintextAllowed: false, oauth2: false, backendCapabilities: undefined };

test('pre-login capabilities follow TLS, STARTTLS, plaintext and what every backend has', () => {
  assert.deepEqual(preloginCapabilities(input), ['IMAP4rev1', 'SASL-IR', 'LOGIN-REFERRALS', 'ID', 'ENABLE', 'IDLE', 'LITERAL+', 'STARTTLS', 'LOGINDISABLED']);
  assert.deepEqual(preloginCapabilities({ ...input, tlsActive: true, plaintextAllowed: true }), [
    'IMAP4rev1', 'SASL-IR', 'LOGIN-REFERRALS', 'ID', 'ENABLE', 'IDLE', 'LITERAL+', 'AUTH=PLAIN', 'AUTH=LOGIN',
  ]);
  const backend = new Set(['imap4rev1', 'id', 'Idle']);
  assert.deepEqual(preloginCapabilities({ ...input, backendCapabilities: backend }), ['IMAP4rev1', 'ID', 'IDLE', 'STARTTLS', 'LOGINDISABLED']);
});

test('AUTH=XOAUTH2 and AUTH=OAUTHBEARER only with an oauth2 section, and only where plaintext is allowed', () => {
  assert.deepEqual(preloginCapabilities({ ...input, tlsActive: true, plaintextAllowed: true, oauth2: true }).filter((c) => c.startsWith('AUTH=')), [
    'AUTH=PLAIN', 'AUTH=LOGIN', 'AUTH=XOAUTH2', 'AUTH=OAUTHBEARER',
  ]);
  assert.ok(!preloginCapabilities({ ...input, oauth2: true }).some((c) => c.startsWith('AUTH=')));
  assert.ok(!preloginCapabilities({ ...input, tlsActive: true, plaintextAllowed: true }).includes('AUTH=XOAUTH2'));
});

test('the same inputs give the same shared, frozen list; another backend set gives its own', () => {
  const backend = new Set(['ID']);
  const first = preloginCapabilities({ ...input, backendCapabilities: backend });
  assert.equal(preloginCapabilities({ ...input, backendCapabilities: backend }), first);
  assert.ok(Object.isFrozen(first));
  assert.notEqual(preloginCapabilities({ ...input, plaintextAllowed: true, backendCapabilities: backend }), first);
  const other = preloginCapabilities({ ...input, backendCapabilities: new Set(['ID', 'IDLE']) });
  assert.deepEqual(other, ['IMAP4rev1', 'ID', 'IDLE', 'STARTTLS', 'LOGINDISABLED']);
});

test('capabilityText joins with spaces, for frozen and unfrozen lists alike', () => {
  const mutable = ['IMAP4rev1', 'IDLE'];
  assert.equal(capabilityText(mutable), 'IMAP4rev1 IDLE');
  mutable.push('ID');
  assert.equal(capabilityText(mutable), 'IMAP4rev1 IDLE ID');
  const frozen = Object.freeze(['A', 'B']);
  assert.equal(capabilityText(frozen), 'A B');
  assert.equal(capabilityText(frozen), 'A B');
  assert.equal(capabilityText([]), '');
});
