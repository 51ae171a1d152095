import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rowFields, storedPassword } from '../../../src/auth/sql-fields.js';

test("storedPassword: Dovecot's password_get_scheme rule", () => {
  assert.equal(storedPassword('{SSHA256}abc', 'MD5', false), '{SSHA256}abc');
  assert.equal(storedPassword('$1$salt$hash', 'PLAIN', false), '$1$salt$hash');
  assert.equal(storedPassword('secret', 'PLAIN', false), '{PLAIN}secret');
  assert.equal(storedPassword('$6$x$y', 'MD5', false), '{MD5}$6$x$y');
  // password_noscheme: a leading {...} is part of the password.
  assert.equal(storedPassword('{weird}pw', 'PLAIN', true), '{PLAIN}{weird}pw');
});

test('rowFields: names lower-cased, NULL and unnamed columns skipped, password kept apart', () => {
  const result = { columns: ['Password', 'HOST', 'proxy', '', 'destuser', 'nopassword'], rows: [] };
  const row = rowFields(result, ['{PLAIN}pw', '10.0.0.1', 'Y', 'x', null, null], 'MD5');
  assert.equal(row.hasPasswordColumn, true);
  assert.equal(row.password, '{PLAIN}pw');
  assert.deepEqual([...row.fields], [['host', '10.0.0.1'], ['proxy', 'Y']]);
  const nullPassword = rowFields({ columns: ['password', 'nopassword'], rows: [] }, [null, 'Y'], 'MD5');
  assert.equal(nullPassword.hasPasswordColumn, true);
  assert.equal(nullPassword.password, undefined);
  assert.equal(nullPassword.fields.get('nopassword'), 'Y');
  assert.equal(rowFields({ columns: ['host'], rows: [] }, ['h'], 'MD5').hasPasswordColumn, false);
});
