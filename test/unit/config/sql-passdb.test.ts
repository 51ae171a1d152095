import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { checkConfigText } from '../../../src/config/load.js';
import { Secret } from '../../../src/core/secret.js';

const BASE = ['director: { id: d1 }', 'listen: { imap: 127.0.0.1:143 }', 'ring: { backends: [{ id: b1, host: 10.0.0.1 }] }'];

test('passdb driver sql: every key read, defaults filled in', () => {
  const r = checkConfigText(
    '/tmp/c.yaml',
    [
      ...BASE,
      'passdb:',
      '  driver: sql',
      '  sql_driver: pgsql',
      '  hosts: [db1.example, "10.0.0.2:6432"]',
      '  dbname: mail',
      '  user: dovecot',
      '  password: secret',
      `  password_query: "SELECT password, host FROM users WHERE userid = '%u'"`,
      '  default_pass_scheme: sha512-crypt',
      '  timeout: 2s',
      '  pool_size: 3',
    ].join('\n'),
  );
  assert.deepEqual(r.problems, []);
  const p = r.config?.passdb;
  assert.ok(p !== undefined && p.driver === 'sql');
  assert.equal(p.sqlDriver, 'pgsql');
  assert.deepEqual(p.hosts, [{ host: 'db1.example', port: 5432 }, { host: '10.0.0.2', port: 6432 }]);
  assert.equal(p.dbname, 'mail');
  assert.equal(p.user, 'dovecot');
  assert.ok(p.password instanceof Secret);
  assert.equal(p.password.reveal(), 'secret');
  assert.equal(p.passwordQuery.text, 'SELECT password, host FROM users WHERE userid = $1');
  assert.equal(p.defaultPassScheme, 'SHA512-CRYPT');
  assert.equal(p.timeoutMs, 2000);
  assert.equal(p.connectTimeoutMs, 2000);
  assert.equal(p.poolSize, 3);
});

test('passdb driver sql: mistakes are reported at file:line:key', () => {
  const r = checkConfigText(
    '/tmp/c.yaml',
    [
      ...BASE,
      'passdb:',
      '  driver: sql',
      '  sql_driver: oracle',
      '  hosts: "db1:3306 bad_host!:1"',
      `  password_query: "SELECT password FROM users WHERE user = '%x'"`,
      '  default_pass_scheme: ROT13',
      '  password: secret',
      '  filter: (uid=%u)',
      '  pool_size: 0',
    ].join('\n'),
  );
  assert.deepEqual(
    r.problems.map((p) => `${p.line}:${p.key}`).sort(byLine),
    ['4:passdb.dbname', '6:passdb.sql_driver', '7:passdb.hosts', '9:passdb.default_pass_scheme', '10:passdb.password', '11:passdb.filter', '12:passdb.pool_size'],
  );
  const message = (key: string): string => r.problems.find((p) => p.key === key)?.message ?? '';
  assert.match(message('passdb.sql_driver'), /use mysql .* or pgsql/);
  assert.match(message('passdb.filter'), /only used with driver ldap/);
  assert.match(message('passdb.hosts'), /bad_host!/);
  assert.ok(!r.problems.some((p) => p.message.includes('secret')));
});

test('passdb driver sql: a bad password_query names its key and line', () => {
  const r = checkConfigText(
    '/tmp/c.yaml',
    [...BASE, 'passdb:', '  driver: sql', '  sql_driver: mysql', '  hosts: [db1]', '  dbname: mail', `  password_query: "SELECT password FROM users WHERE user = '%x'"`].join('\n'),
  );
  assert.deepEqual(r.problems.map((p) => `${p.line}:${p.key}`), ['9:passdb.password_query']);
  assert.match(r.problems[0]!.message, /unknown variable "%x"/);
});

function byLine(a: string, b: string): number {
  return Number(a.split(':')[0]) - Number(b.split(':')[0]);
}

test("example.yaml's commented sql passdb is a valid passdb section", () => {
  const example = readFileSync(new URL('../../../cluster-config/example.yaml', import.meta.url), 'utf8').split('\n');
  const start = example.findIndex((l) => l.startsWith('  # driver: sql'));
  const end = example.findIndex((l, i) => i > start && l.startsWith('  # pool_size'));
  assert.ok(start > 0 && end > start);
  const passdb = example.slice(start, end + 1).map((l) => `  ${l.slice('  # '.length)}`);
  const r = checkConfigText('/tmp/c.yaml', [...BASE, 'passdb:', ...passdb].join('\n'));
  assert.deepEqual(r.problems, []);
  assert.equal(r.config?.passdb.driver, 'sql');
});
