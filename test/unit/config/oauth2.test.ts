import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkConfigText } from '../../../src/config/load.js';

const BASE = `director: { id: d1 }
passdb: { driver: passwd-file, path: /nonexistent }
ring:
  backends: [{ id: b1, host: 127.0.0.11 }]
`;

function check(oauth2: string, file = '/tmp/d.yaml') {
  return checkConfigText(file, `${BASE}oauth2:\n${oauth2}`, {});
}

test('no oauth2 section: the OAuth mechanisms are off', () => {
  const { config } = checkConfigText('/tmp/d.yaml', BASE, {});
  assert.equal(config?.oauth2, undefined);
});

test('introspection over https with Dovecot\'s defaults', () => {
  const { config, problems } = check('  introspection_url: https://idp.example/introspect\n');
  assert.deepEqual(problems, []);
  assert.equal(config?.oauth2?.introspectionMode, 'post');
  assert.equal(config?.oauth2?.usernameAttribute, 'email');
  assert.equal(config?.oauth2?.usernameFormat, '%Lu');
  assert.equal(config?.oauth2?.activeAttribute, 'active');
});

test('problems name the key and line: plain http, a missing URL, an unknown mode, one active key without the other', () => {
  const { problems } = check(
    [
      '  introspection_url: http://idp.example/introspect',
      '  introspection_mode: fetch',
      '  active_attribute: ""',
      '  username_format: "%x"',
      '  timeout: 10ms',
      '',
    ].join('\n'),
  );
  const byKey = new Map(problems.map((p) => [p.key, p]));
  assert.match(byKey.get('oauth2.introspection_url')?.message ?? '', /https/);
  assert.equal(byKey.get('oauth2.introspection_url')?.line, 6);
  assert.match(byKey.get('oauth2.introspection_mode')?.message ?? '', /post, get, auth, local/);
  assert.match(byKey.get('oauth2.active_attribute')?.message ?? '', /both/);
  assert.match(byKey.get('oauth2.username_format')?.message ?? '', /%u/);
  assert.match(byKey.get('oauth2.timeout')?.message ?? '', /at least/);

  const missing = check('  username_attribute: sub\n');
  assert.deepEqual(missing.problems.map((p) => p.key), ['oauth2.introspection_url']);
});

test('local validation: a JWKS file is read and checked at load, a URL must be https', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'md-oauth2-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'good.json'), JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] }));
  writeFileSync(join(dir, 'bad.json'), '{"keys": []}');
  const file = join(dir, 'd.yaml');
  const good = check('  local_validation_jwks: good.json\n', file);
  assert.deepEqual(good.problems, []);
  assert.equal(good.config?.oauth2?.introspectionMode, 'local');
  assert.equal(good.config?.oauth2?.localValidationJwks?.kind, 'file');

  assert.match(check('  local_validation_jwks: bad.json\n', file).problems[0]?.message ?? '', /not a JWKS/);
  assert.match(check('  local_validation_jwks: missing.json\n', file).problems[0]?.message ?? '', /ENOENT/);
  assert.match(check('  introspection_mode: local\n  local_validation_jwks: http://idp.example/jwks\n').problems[0]?.message ?? '', /https/);
  assert.deepEqual(check('  introspection_mode: local\n').problems.map((p) => p.key), ['oauth2.local_validation_jwks']);
});
