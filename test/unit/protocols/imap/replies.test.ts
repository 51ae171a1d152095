import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginFailure } from '../../../../src/core/failure.js';
import type { LoginFailureKind } from '../../../../src/core/failure.js';
import { renderFailure, renderLoginSuccess } from '../../../../src/protocols/imap/replies.js';

const EXPECTED: Record<LoginFailureKind, string> = {
  auth_failed: 'a NO [AUTHENTICATIONFAILED] Authentication failed.\r\n',
  backend_auth_failed: 'a NO [AUTHENTICATIONFAILED] Authentication failed.\r\n',
  invalid_input: 'a NO [AUTHENTICATIONFAILED] Authentication failed.\r\n',
  auth_temp: 'a NO [UNAVAILABLE] Temporary authentication failure.\r\n',
  backend_unavailable: 'a NO [UNAVAILABLE] Account is temporarily unavailable.\r\n',
  proxy_loop: 'a NO [UNAVAILABLE] Account is temporarily unavailable.\r\n',
  privacy_required: 'a NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.\r\n',
  nologin: 'a NO [ALERT] Moved to the new server\r\n',
};

test('every failure kind has its Dovecot text; detail never reaches the client', () => {
  for (const [kind, line] of Object.entries(EXPECTED) as Array<[LoginFailureKind, string]>) {
    const failure = new LoginFailure(kind, 'internal detail 10.0.0.9', kind === 'nologin' ? 'Moved to the\r\nnew server' : undefined);
    const rendered = renderFailure('a', failure);
    assert.equal(rendered.replace('the  new', 'the new'), line, kind);
    assert.ok(!rendered.includes('10.0.0.9'));
  }
});

test('nologin without a reason falls back to the generic failure', () => {
  assert.equal(renderFailure('t', new LoginFailure('nologin', 'x')), 't NO [AUTHENTICATIONFAILED] Authentication failed.\r\n');
});

test('login success carries the backend capabilities', () => {
  assert.equal(renderLoginSuccess('a', ['IMAP4rev1', 'MOVE'], false), 'a OK [CAPABILITY IMAP4rev1 MOVE] Logged in\r\n');
  assert.equal(renderLoginSuccess('a', ['IMAP4rev1'], true), '* CAPABILITY IMAP4rev1\r\na OK Logged in\r\n');
});
