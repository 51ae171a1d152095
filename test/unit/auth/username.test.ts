import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkUsername } from '../../../src/auth/username.js';

test('ordinary names pass unchanged', () => {
  for (const name of ['alice', 'alice@example.org', 'a.b-c_d+tag@sub.example.org', 'jürgen@example.de', '*', ')(uid=*']) {
    assert.deepEqual(checkUsername(name), { ok: true, user: name });
  }
});

test('empty, too long, control characters, spaces and invisible characters are refused', () => {
  assert.deepEqual(checkUsername(''), { ok: false, reason: 'empty' });
  assert.deepEqual(checkUsername('a'.repeat(256)), { ok: false, reason: 'too_long' });
  assert.deepEqual(checkUsername('a'.repeat(255)), { ok: true, user: 'a'.repeat(255) });
  // Length is counted in UTF-8 bytes: 128 × 'ü' is 256 bytes.
  assert.deepEqual(checkUsername('ü'.repeat(128)), { ok: false, reason: 'too_long' });
  assert.deepEqual(checkUsername('a'.repeat(20), 10), { ok: false, reason: 'too_long' });
  assert.deepEqual(checkUsername('al\u0000ice'), { ok: false, reason: 'control_character' });
  assert.deepEqual(checkUsername('alice\r\n'), { ok: false, reason: 'control_character' });
  assert.deepEqual(checkUsername('al\u007fice'), { ok: false, reason: 'control_character' });
  assert.deepEqual(checkUsername('al\u0085ice'), { ok: false, reason: 'control_character' });
  assert.deepEqual(checkUsername('al ice'), { ok: false, reason: 'whitespace' });
  assert.deepEqual(checkUsername('alice\u00a0'), { ok: false, reason: 'whitespace' });
  assert.deepEqual(checkUsername('al\u200bice'), { ok: false, reason: 'not_printable' });
  assert.deepEqual(checkUsername('al\u202eice'), { ok: false, reason: 'not_printable' });
  assert.deepEqual(checkUsername('al\ud800ice'), { ok: false, reason: 'not_printable' });
});
