import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkConfig, formatProblem } from '../../../src/config/load.js';
import { configCheck } from '../../../src/cli/config-check.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'md-secret-files-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** An LDAP passdb config whose password lines are `password` (line 8 onwards). */
function config(password: readonly string[]): string {
  return [
    'director:', //                                       1
    '  id: d1', //                                        2
    'passdb:', //                                         3
    '  driver: ldap', //                                  4
    '  uris: [ldap://127.0.0.1:389]', //                  5
    '  base: ou=people,dc=example,dc=org', //             6
    '  bind_dn: cn=admin,dc=example,dc=org', //           7
    ...password, //                                       8…
    '  filter: (uid=%u)',
    'ring:',
    '  backends:',
    '    - { id: b1, host: 127.0.0.11 }',
    '',
  ].join('\n');
}

function write(path: string, text: string, mode: number): string {
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

function ldapPassword(file: string): string | undefined {
  const { config: c, problems } = checkConfig(file);
  assert.deepEqual(problems.map(formatProblem), []);
  assert.ok(c?.passdb.driver === 'ldap');
  return c.passdb.bindPassword?.reveal();
}

test('bind_password_file: the file holds the password, less its line end; relative to the config file', (t) => {
  const dir = tempDir(t);
  write(join(dir, 'bind.pw'), 'S3cret with spaces \n', 0o640);
  const file = write(join(dir, 'director.yaml'), config(['  bind_password_file: bind.pw']), 0o644);
  assert.equal(ldapPassword(file), 'S3cret with spaces ');
  const { warnings } = checkConfig(file);
  assert.deepEqual(warnings, [], 'a config without a secret may be world-readable; the 0640 file is fine');
});

test('bind_password_file problems name file:line:key', (t) => {
  const dir = tempDir(t);
  const cases: ReadonlyArray<readonly [string, string | undefined, RegExp]> = [
    ['missing.pw', undefined, /cannot read .*missing\.pw \(ENOENT\)/],
    ['empty.pw', '\n', /empty\.pw is empty/],
    ['two.pw', 'one\ntwo\n', /two\.pw has more than one line/],
  ];
  for (const [name, text, message] of cases) {
    if (text !== undefined) write(join(dir, name), text, 0o600);
    const file = write(join(dir, `${name}.yaml`), config([`  bind_password_file: ${name}`]), 0o600);
    const { config: c, problems } = checkConfig(file);
    assert.equal(c, undefined, name);
    assert.equal(problems.length, 1, problems.map(formatProblem).join('\n'));
    const [p] = problems;
    assert.equal(p?.line, 8);
    assert.equal(p?.key, 'passdb.bind_password_file');
    assert.match(p?.message ?? '', message);
  }
});

test('bind_password and bind_password_file together are refused; bind_dn alone asks for either', (t) => {
  const dir = tempDir(t);
  write(join(dir, 'bind.pw'), 'x\n', 0o600);
  const both = write(join(dir, 'both.yaml'), config(['  bind_password: x', '  bind_password_file: bind.pw']), 0o600);
  assert.deepEqual(checkConfig(both).problems.map((p) => [p.line, p.key, p.message]), [[9, 'passdb.bind_password_file', 'give bind_password or bind_password_file, not both']]);
  const neither = write(join(dir, 'neither.yaml'), config([]), 0o600);
  assert.deepEqual(checkConfig(neither).problems.map((p) => [p.key, p.message]), [['passdb.bind_password', 'bind_dn needs bind_password or bind_password_file']]);
});

test('a world-readable config holding bind_password, or password file, is a warning at its key (the config still loads)', (t) => {
  const dir = tempDir(t);
  const inline = write(join(dir, 'inline.yaml'), config(['  bind_password: secret']), 0o644);
  const a = checkConfig(inline);
  assert.ok(a.config !== undefined);
  assert.deepEqual(a.warnings.map((w) => [w.line, w.key]), [[8, 'passdb.bind_password']]);
  assert.match(a.warnings[0]?.message ?? '', /inline\.yaml \(mode 0644\) holds bind_password and every user of this host can read it: chmod o-r .*, or move the password to bind_password_file/);
  assert.deepEqual(a.config.warnings, a.warnings, 'serve logs them from the config');

  chmodSync(inline, 0o640);
  assert.deepEqual(checkConfig(inline).warnings, []);

  write(join(dir, 'open.pw'), 'secret\n', 0o644);
  const viaFile = write(join(dir, 'via-file.yaml'), config(['  bind_password_file: open.pw']), 0o600);
  const b = checkConfig(viaFile);
  assert.ok(b.config !== undefined);
  assert.deepEqual(b.warnings.map((w) => [w.line, w.key]), [[8, 'passdb.bind_password_file']]);
  assert.match(b.warnings[0]?.message ?? '', /open\.pw \(mode 0644\) holds the LDAP bind password/);
});

test('a world-readable TLS private key is a warning at its key', (t) => {
  const dir = tempDir(t);
  const fixtures = new URL('../../fixtures/tls/', import.meta.url).pathname;
  write(join(dir, 'leaf.crt'), readFileSync(join(fixtures, 'leaf.crt'), 'utf8'), 0o644);
  write(join(dir, 'leaf.key'), readFileSync(join(fixtures, 'leaf.key'), 'utf8'), 0o644);
  const file = write(join(dir, 'tls.yaml'), config(['  bind_password: x']).replace('passdb:', 'tls:\n  cert: leaf.crt\n  key: leaf.key\npassdb:'), 0o600);
  const { config: c, warnings } = checkConfig(file);
  assert.ok(c !== undefined);
  assert.deepEqual(warnings.map((w) => [w.line, w.key]), [[5, 'tls.key']]);
  assert.match(warnings[0]?.message ?? '', /leaf\.key \(mode 0644\) holds a private key/);
});

test('config check prints warnings as FILE:LINE:COL: KEY: warning: …, still OK and exit 0; --json lists them', (t) => {
  const dir = tempDir(t);
  const file = write(join(dir, 'inline.yaml'), config(['  bind_password: Pa55-word-XYZ']), 0o644);
  const sink = (): { stream: NodeJS.WritableStream; text: () => string } => {
    let text = '';
    return { stream: { write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WritableStream, text: () => text };
  };
  const out = sink();
  const err = sink();
  assert.equal(configCheck(file, out.stream, err.stream, false), 0);
  assert.equal(out.text(), `${file}: OK\n`);
  assert.match(err.text(), new RegExp(`^${file}:8:18: passdb\\.bind_password: warning: .*mode 0644`));
  assert.ok(!err.text().includes('Pa55-word-XYZ'), 'the password itself is never printed');

  const json = sink();
  assert.equal(configCheck(file, json.stream, sink().stream, true), 0);
  const parsed = JSON.parse(json.text()) as { ok: boolean; warnings: Array<{ key: string }> };
  assert.equal(parsed.ok, true);
  assert.deepEqual(parsed.warnings.map((w) => w.key), ['passdb.bind_password']);
});

test('a world-readable http.users_token_file is a warning at its key', (t) => {
  const dir = tempDir(t);
  write(join(dir, 'token'), 'abcdefghijklmnopqrstuvwxyz\n', 0o644);
  const file = write(join(dir, 'http.yaml'), `${config(['  bind_password: x'])}http:\n  users_token_file: token\n`, 0o600);
  const { config: c, warnings } = checkConfig(file);
  assert.ok(c !== undefined);
  assert.deepEqual(warnings.map((w) => w.key), ['http.users_token_file']);
  assert.match(warnings[0]?.message ?? '', /token \(mode 0644\) holds the ring page's token/);
  chmodSync(join(dir, 'token'), 0o600);
  assert.deepEqual(checkConfig(file).warnings, []);
});
