import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSqlQuery, sqlQueryValues, SqlQueryError } from '../../../src/config/sql-query.js';

const SEED_1 = "SELECT NULL AS password, 'Y' as nopassword, host, destuser, 'Y' AS proxy FROM proxy WHERE user = '%u'";
const SEED_2 = "SELECT concat(user, '@', domain) AS user, password, host, 'Y' AS proxy_maybe FROM users WHERE user = '%n' AND domain = '%d'";

test("the seed's queries: each quoted variable becomes one placeholder, other literals stay", () => {
  const one = compileSqlQuery(SEED_1, 'mysql');
  assert.equal(one.text, "SELECT NULL AS password, 'Y' as nopassword, host, destuser, 'Y' AS proxy FROM proxy WHERE user = ?");
  assert.deepEqual(sqlQueryValues(one, "o'hara@example.org"), ["o'hara@example.org"]);
  const two = compileSqlQuery(SEED_2, 'pgsql');
  assert.equal(two.text, "SELECT concat(user, '@', domain) AS user, password, host, 'Y' AS proxy_maybe FROM users WHERE user = $1 AND domain = $2");
  assert.deepEqual(sqlQueryValues(two, 'alice@example.org'), ['alice', 'example.org']);
  assert.deepEqual(sqlQueryValues(two, 'alice'), ['alice', '']);
});

test('a literal mixing text and variables is one value; unquoted variables too; %L lower-cases; %% is a percent sign', () => {
  const t = compileSqlQuery("SELECT password FROM u WHERE addr = '%Ln@%d' AND k = %{domain} AND note LIKE 'x%%'", 'pgsql');
  assert.equal(t.text, "SELECT password FROM u WHERE addr = $1 AND k = $2 AND note LIKE 'x%'");
  assert.deepEqual(sqlQueryValues(t, 'Bob@Example.org'), ['bob@Example.org', 'Example.org']);
  const u = compileSqlQuery("SELECT password FROM u WHERE name = %u AND tag LIKE 'a%%%u'", 'mysql');
  assert.equal(u.text, 'SELECT password FROM u WHERE name = ? AND tag LIKE ?');
  assert.deepEqual(sqlQueryValues(u, 'x'), ['x', 'a%x']);
});

test('quotes: doubled quotes, MySQL backslash escapes and "strings", PostgreSQL "identifiers" and E strings', () => {
  const m = compileSqlQuery(`SELECT 'it''s', "%u", 'a\\'%n' FROM t WHERE \`user\` = '%u'`, 'mysql');
  assert.equal(m.text, "SELECT 'it''s', ?, ? FROM t WHERE `user` = ?");
  assert.deepEqual(sqlQueryValues(m, 'x@y'), ['x@y', "a'x", 'x@y']);
  const p = compileSqlQuery(`SELECT 'a\\' AS b, password FROM t WHERE "user" = E'\\'%u'`, 'pgsql');
  assert.equal(p.text, `SELECT 'a\\' AS b, password FROM t WHERE "user" = $1`);
  assert.deepEqual(sqlQueryValues(p, 'x'), ["'x"]);
});

test('comments pass through; placeholders numbered in order', () => {
  const t = compileSqlQuery("SELECT password -- why\nFROM t /* note */ WHERE a = '%u' AND b = '%d'", 'pgsql');
  assert.equal(t.text, 'SELECT password -- why\nFROM t /* note */ WHERE a = $1 AND b = $2');
});

test('refused: unknown variables, unterminated quotes, variables in identifiers or comments, raw placeholders, no variable', () => {
  const bad: [string, 'mysql' | 'pgsql', RegExp][] = [
    ["SELECT password FROM t WHERE u = '%x'", 'mysql', /unknown variable "%x"/],
    ["SELECT password FROM t WHERE u = 'a%'", 'mysql', /unknown variable/],
    ["SELECT password FROM t WHERE u = '%u", 'mysql', /unterminated ' quote/],
    ['SELECT password FROM `%u` WHERE 1', 'mysql', /identifier/],
    ['SELECT password FROM "t%d" WHERE u = %u', 'pgsql', /identifier/],
    ["SELECT password /* %u */ FROM t WHERE u = '%u'", 'pgsql', /comment/],
    ["SELECT password FROM t WHERE u = ? OR u = '%u'", 'mysql', /placeholder/],
    ["SELECT password FROM t WHERE u = $1 OR u = '%u'", 'pgsql', /placeholder/],
    ['SELECT password FROM t', 'mysql', /no %u, %n or %d/],
  ];
  for (const [query, dialect, message] of bad) {
    assert.throws(() => compileSqlQuery(query, dialect), (err: unknown) => err instanceof SqlQueryError && message.test(err.message), query);
  }
  // A `?` inside a string and `$1` inside a word are not placeholders.
  assert.doesNotThrow(() => compileSqlQuery("SELECT password FROM t WHERE u = '%u' AND q = '?'", 'mysql'));
  assert.doesNotThrow(() => compileSqlQuery("SELECT password FROM t$1 WHERE u = '%u'", 'pgsql'));
});
