import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkConfigText, type ConfigProblem } from '../../../src/config/load.js';

const FILE = '/etc/md/director.yaml';

function config(ring: string): string {
  return `director:
  id: d1
listen:
  imap: 127.0.0.1:10143
passdb:
  driver: passwd-file
  path: users
ring:
${ring}`;
}

function problemAt(problems: readonly ConfigProblem[], key: string): ConfigProblem {
  const p = problems.find((x) => x.key === key);
  assert.ok(p !== undefined, `a problem at ${key}; got ${problems.map((x) => `${x.key}: ${x.message}`).join('; ')}`);
  return p;
}

test('placement defaults to ketama with hash key %u: nobody moves when the key is left out', () => {
  const { config: c, problems } = checkConfigText(FILE, config('  backends:\n    - { id: b1, host: mail1.example.org }\n'));
  assert.deepEqual(problems, []);
  assert.equal(c?.ring.placement, 'ketama');
  assert.equal(c?.ring.hashKey, '%u');
});

test('placement dovecot: Dovecot\'s default %Lu; username_hash is Dovecot\'s name for hash_key', () => {
  const backends = '  backends:\n    - { id: b1, host: 10.0.0.11, weight: 1000 }\n    - { id: b2, host: "::1", tag: big }\n';
  const dflt = checkConfigText(FILE, config(`  placement: dovecot\n${backends}`));
  assert.deepEqual(dflt.problems, []);
  assert.equal(dflt.config?.ring.placement, 'dovecot');
  assert.equal(dflt.config?.ring.hashKey, '%Lu');
  const named = checkConfigText(FILE, config(`  placement: dovecot\n  username_hash: "%Ln"\n${backends}`));
  assert.deepEqual(named.problems, []);
  assert.equal(named.config?.ring.hashKey, '%Ln');
  const ketama = checkConfigText(FILE, config(`  username_hash: "%Ld"\n${backends}`));
  assert.equal(ketama.config?.ring.hashKey, '%Ld');
});

test('bad placement, both hash key names, host names and weights over 1000 are reported at their keys', () => {
  const bad = checkConfigText(FILE, config('  placement: maglev\n  backends:\n    - { id: b1, host: 10.0.0.11 }\n'));
  const p = problemAt(bad.problems, 'ring.placement');
  assert.match(p.message, /ketama or dovecot/);
  assert.equal(p.line, 9);

  const both = checkConfigText(FILE, config('  hash_key: "%u"\n  username_hash: "%Lu"\n  backends:\n    - { id: b1, host: 10.0.0.11 }\n'));
  assert.match(problemAt(both.problems, 'ring.username_hash').message, /not both/);

  const unknown = checkConfigText(FILE, config('  placement: dovecot\n  username_hash: "%Lx"\n  backends:\n    - { id: b1, host: 10.0.0.11 }\n'));
  assert.match(problemAt(unknown.problems, 'ring.username_hash').message, /only %u, %n, %d/);

  const dovecot = checkConfigText(
    FILE,
    config('  placement: dovecot\n  backends:\n    - { id: b1, host: mail1.example.org }\n    - { id: b2, host: 10.0.0.12, weight: 1001 }\n'),
  );
  assert.match(problemAt(dovecot.problems, 'ring.backends[0].host').message, /must be an IP address/);
  assert.match(problemAt(dovecot.problems, 'ring.backends[1].weight').message, /vhost_count: at most 1000/);
  assert.equal(dovecot.config, undefined);
});
