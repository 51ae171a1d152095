import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatGeneralizedTime, parseGeneralizedTime } from '../../../../src/adapters/ldap/generalized-time.js';

/** GeneralizedTime as the change watcher reads (modifyTimestamp) and writes it (the search floor). */

test('parses the forms servers send', () => {
  const at = Date.UTC(2024, 0, 31, 23, 59, 58);
  assert.equal(parseGeneralizedTime('20240131235958Z'), at);
  assert.equal(parseGeneralizedTime('20240131235958.0Z'), at);
  assert.equal(parseGeneralizedTime('20240131235958.25Z'), at + 250);
  assert.equal(parseGeneralizedTime('20240201005958+0100'), at);
  assert.equal(parseGeneralizedTime('20240131185958-05'), at);
  assert.equal(parseGeneralizedTime('202401312359Z'), at - 58_000);
});

test('refuses what is not a GeneralizedTime', () => {
  for (const bad of ['', 'yesterday', '20240131235958', '2024-01-31T23:59:58Z', '20241331235958Z', '20240230120000Z', '20240131250000Z', '20240131236000Z']) {
    assert.equal(parseGeneralizedTime(bad), undefined, bad);
  }
});

test('formats whole seconds in UTC and round-trips', () => {
  const at = Date.UTC(2024, 1, 29, 1, 2, 3) + 999;
  assert.equal(formatGeneralizedTime(at), '20240229010203Z');
  assert.equal(parseGeneralizedTime(formatGeneralizedTime(at)), at - 999);
});
