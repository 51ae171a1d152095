import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRecipient, rewrittenAddress, userFromAddress } from '../../../../src/protocols/lmtp/address.js';
import { parsePathArgs } from '../../../../src/protocols/lmtp/command.js';

test('the detail is cut at the first delimiter and kept for the backend', () => {
  const a = parseRecipient('User0001+lists+x@Example.org', '+');
  assert.deepEqual(a, { local: 'User0001', detail: 'lists+x', delimiter: '+', domain: 'Example.org' });
  assert.equal(userFromAddress('%n', a!), 'User0001');
  assert.equal(userFromAddress('%Ln', a!), 'user0001');
  assert.equal(userFromAddress('%u', a!), 'User0001@Example.org');
  assert.equal(userFromAddress('%d', a!), 'Example.org');
  assert.equal(rewrittenAddress('user0003', a!), 'user0003+lists+x@Example.org');
  assert.equal(rewrittenAddress('other@example.net', a!), 'other+lists+x@example.net');
  assert.equal(parseRecipient('+x@example.org', '+')?.detail, '', 'a delimiter first is part of the name');
  assert.equal(parseRecipient('postmaster', '+')?.domain, '');
  assert.equal(parseRecipient('@example.org', '+'), undefined);
  assert.equal(parseRecipient('user0001+x@example.org', '')?.local, 'user0001+x', 'no delimiter: no detail');
});

test('MAIL and RCPT arguments: path, parameters, the errors', () => {
  assert.deepEqual(parsePathArgs('FROM:<a@b> SIZE=10 BODY=8BITMIME', 'FROM'), {
    ok: true,
    path: 'a@b',
    params: [
      { keyword: 'SIZE', value: '10' },
      { keyword: 'BODY', value: '8BITMIME' },
    ],
  });
  assert.deepEqual(parsePathArgs('to: <"a>b"@c>', 'TO'), { ok: true, path: '"a>b"@c', params: [] });
  assert.equal(parsePathArgs('FROM:a@b', 'FROM').ok, false);
  assert.equal(parsePathArgs('FROM:<a@b', 'FROM').ok, false);
  assert.equal(parsePathArgs('FROM:<a@b>x', 'FROM').ok, false);
  assert.equal(parsePathArgs('FROM:<a@b> =x', 'FROM').ok, false);
});
