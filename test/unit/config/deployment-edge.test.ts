import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checkConfigText, type ConfigProblem } from '../../../src/config/load.js';

// The deployment edge's keys: listeners marked haproxy, haproxy_trusted_networks,
// haproxy_timeout and login_source_ips, as config check reads and refuses them.

const FIXTURES = new URL('../../fixtures/config/', import.meta.url).pathname;
const FILE = join(FIXTURES, 'edge.yaml');

function config(director: string, listen: string): string {
  return [
    'director:',
    '  id: d1',
    ...director.split('\n').filter((l) => l !== '').map((l) => `  ${l}`),
    'listen:',
    ...listen.split('\n').filter((l) => l !== '').map((l) => `  ${l}`),
    'passdb:',
    '  driver: passwd-file',
    '  path: users.passwd',
    'ring:',
    '  backends:',
    '    - { id: b1, host: 127.0.0.11 }',
    '',
  ].join('\n');
}

function problems(text: string): readonly ConfigProblem[] {
  return checkConfigText(FILE, text).problems;
}

test('a listener marked haproxy, with the networks and timeout of the load balancers; plain listeners keep their form', () => {
  const { config: loaded, problems: p } = checkConfigText(
    FILE,
    config(
      'haproxy_trusted_networks: [10.0.0.5]\nhaproxy_timeout: 5s\nlogin_source_ips: [10.0.2.1, "?sources.example.com"]',
      'imap: { address: "0.0.0.0:143", haproxy: true }\nlmtp: { address: "*:24", haproxy: true }\nsieve: { address: 127.0.0.1:4190, haproxy: false }\npop3: 127.0.0.1:110',
    ),
  );
  assert.deepEqual(p, []);
  assert.ok(loaded !== undefined);
  assert.deepEqual(loaded.listen.sieve, { host: '127.0.0.1', port: 4190 });
  assert.deepEqual(loaded.listen.imap, { host: '0.0.0.0', port: 143, haproxy: true });
  assert.deepEqual(loaded.listen.lmtp, { host: '0.0.0.0', port: 24, haproxy: true });
  assert.deepEqual(loaded.listen.pop3, { host: '127.0.0.1', port: 110 });
  assert.deepEqual(loaded.director.haproxyTrustedNetworks, ['10.0.0.5/32']);
  assert.equal(loaded.director.haproxyTimeoutMs, 5000);
  assert.deepEqual(loaded.director.loginSourceIps, ['10.0.2.1', '?sources.example.com']);
});

test('defaults: no trusted load balancers, Dovecot\'s 3 s, no source addresses', () => {
  const c = checkConfigText(FILE, config('', 'imap: 127.0.0.1:143')).config;
  assert.ok(c !== undefined);
  assert.deepEqual(c.director.haproxyTrustedNetworks, []);
  assert.equal(c.director.haproxyTimeoutMs, 3000);
  assert.deepEqual(c.director.loginSourceIps, []);
});

test('refusals name file, line and key', () => {
  const p = problems(
    config(
      'haproxy_trusted_networks: [10.0.0.0/33]\nhaproxy_timeout: 3\nlogin_source_ips: ["not an address", "?", 0.0.0.0]',
      'imap: { address: "0.0.0.0:143", haproxy: yes-please }\npop3: { haproxy: true }\ngrpc: { address: 127.0.0.1:17000, haproxy: true }\nsieve: { address: 127.0.0.1:4190, haproxi: true }',
    ),
  );
  const byKey = (key: string): ConfigProblem | undefined => p.find((x) => x.key === key);
  assert.match(byKey('director.haproxy_trusted_networks[0]')?.message ?? '', /prefix length/);
  assert.equal(byKey('director.haproxy_trusted_networks[0]')?.line, 3);
  assert.match(byKey('director.haproxy_timeout')?.message ?? '', /unit/);
  assert.match(byKey('director.login_source_ips[0]')?.message ?? '', /not an IP address or host name/);
  assert.match(byKey('director.login_source_ips[1]')?.message ?? '', /not an IP address or host name/);
  assert.match(byKey('director.login_source_ips[2]')?.message ?? '', /no source address/);
  assert.match(byKey('listen.imap.haproxy')?.message ?? '', /true or false|boolean/);
  assert.match(byKey('listen.pop3.address')?.message ?? '', /required/);
  assert.match(byKey('listen.grpc.haproxy')?.message ?? '', /unknown key/);
  assert.match(byKey('listen.sieve.haproxi')?.message ?? '', /unknown key; did you mean "haproxy"/);
  for (const x of p) assert.equal(x.file, FILE);
});

test('a haproxy listener without haproxy_trusted_networks is refused: nothing could connect to it', () => {
  const p = problems(config('', 'imap: { address: "0.0.0.0:143", haproxy: true }'));
  assert.equal(p.length, 1);
  assert.equal(p[0]?.key, 'listen.imap');
  assert.equal(p[0]?.line, 4);
  assert.match(p[0]?.message ?? '', /haproxy_trusted_networks/);
});
