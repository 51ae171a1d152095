import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileSqlQuery, sqlQueryValues, SqlQueryError } from '../../../src/config/sql-query.js';
import { fuzzParameters } from './inputs.js';

/**
 * password_query compilation with arbitrary query texts (refused only with
 * SqlQueryError), and with the seed's query shape around arbitrary user
 * names: the name is never part of the statement text, only of its values.
 */

const sqlPiece = fc.constantFrom("'", '"', '`', '%u', '%n', '%d', '%%', '%L', '%{user}', '\\', '--', '#', '/*', '*/', '\n', '?', '$1', 'E', ' ', 'x', '=');

test('sql query: arbitrary texts compile or are refused with SqlQueryError, never anything else', () => {
  fc.assert(
    fc.property(fc.oneof(fc.array(sqlPiece, { maxLength: 30 }).map((a) => a.join('')), fc.string({ maxLength: 80 })), fc.constantFrom('mysql' as const, 'pgsql' as const), (text, dialect) => {
      try {
        const t = compileSqlQuery(text, dialect);
        assert.ok(t.params.length > 0);
        assert.equal(sqlQueryValues(t, 'someone@example.org').length, t.params.length);
      } catch (err) {
        assert.ok(err instanceof SqlQueryError, String(err));
      }
    }),
    fuzzParameters(500),
  );
});

test('sql query: a user name reaches the values only, whatever it holds', () => {
  const queries = [
    "SELECT NULL AS password, 'Y' as nopassword, host, destuser, 'Y' AS proxy FROM proxy WHERE user = '%u'",
    "SELECT concat(user, '@', domain) AS user, password, host, 'Y' AS proxy_maybe FROM users WHERE user = '%n' AND domain = '%d'",
  ];
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 40, unit: 'binary' }), fc.constantFrom(...queries), fc.constantFrom('mysql' as const, 'pgsql' as const), (user, query, dialect) => {
      const t = compileSqlQuery(query, dialect);
      const values = sqlQueryValues(t, `~${user}`);
      assert.equal(t.text, compileSqlQuery(query, dialect).text);
      assert.ok(!t.text.includes(`~${user}`));
      assert.ok(values.some((v) => v.startsWith('~')));
    }),
    fuzzParameters(500),
  );
});
