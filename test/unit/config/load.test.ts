import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkConfig, checkConfigText, ConfigError, formatProblem, loadConfig, type ConfigProblem } from '../../../src/config/load.js';
import { Secret } from '../../../src/core/secret.js';

const EXAMPLE = new URL('../../../cluster-config/example.yaml', import.meta.url).pathname;
const FIXTURES = new URL('../../fixtures/config/', import.meta.url).pathname;

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'md-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const TLS_FIXTURES = new URL('../../fixtures/tls/', import.meta.url).pathname;

/** Real PEM material (test/fixtures/tls): the reader now parses what it loads. */
function pem(name: 'ca.crt' | 'leaf.crt' | 'leaf.key' | 'other.key'): string {
  return readFileSync(join(TLS_FIXTURES, name), 'utf8');
}

function keys(problems: readonly ConfigProblem[]): string[] {
  return problems.map((p) => p.key);
}

test('example.yaml: only its absent TLS files are reported', () => {
  const { config, problems } = checkConfig(EXAMPLE);
  assert.equal(config, undefined);
  assert.deepEqual(keys(problems).sort(), ['backend_tls.ca', 'grpc_tls.ca', 'grpc_tls.cert', 'grpc_tls.key', 'tls.cert', 'tls.key']);
  for (const p of problems) {
    assert.equal(p.file, EXAMPLE);
    assert.match(p.message, /cannot read .* \(ENOENT\)/);
  }
  assert.deepEqual(problems.map((p) => p.line), [37, 38, 41, 132, 133, 134]);
});

test('example.yaml with real TLS files maps every key onto Config', (t) => {
  const dir = tempDir(t);
  for (const [name, fixture] of [['d.crt', 'leaf.crt'], ['d.key', 'leaf.key'], ['ca.crt', 'ca.crt']] as const) {
    writeFileSync(join(dir, name), pem(fixture));
  }
  const text = readFileSync(EXAMPLE, 'utf8')
    .replace('/etc/mail-director/tls/director.crt', join(dir, 'd.crt'))
    .replace('/etc/mail-director/tls/director.key', 'd.key') // relative: resolved next to the config file
    .replace('/etc/mail-director/tls/backend-ca.crt', join(dir, 'ca.crt'))
    .replace('/etc/mail-director/tls/ring-ca.crt', join(dir, 'ca.crt'))
    .replace('/etc/mail-director/tls/ring-d1.crt', join(dir, 'd.crt'))
    .replace('/etc/mail-director/tls/ring-d1.key', join(dir, 'd.key'));
  const file = join(dir, 'example.yaml');
  writeFileSync(file, text);
  const c = loadConfig(file);

  assert.equal(c.file, file);
  assert.deepEqual(c.director, {
    id: 'd1',
    selfAddresses: ['127.0.0.1'],
    localBackend: 'b1',
    trustedNetworks: ['127.0.0.0/8', '::1/128'],
    imapIdRetain: true,
    shutdownGraceMs: 10_000,
    workers: 1,
    haproxyTrustedNetworks: [],
    haproxyTimeoutMs: 3000,
    loginSourceIps: [],
  });
  assert.deepEqual(c.listen.imap, { host: '127.0.0.1', port: 10143 });
  assert.deepEqual(c.listen.imaps, { host: '127.0.0.1', port: 10993 });
  assert.deepEqual(c.listen.pop3, { host: '127.0.0.1', port: 10110 });
  assert.deepEqual(c.listen.pop3s, { host: '127.0.0.1', port: 10995 });
  assert.deepEqual(c.listen.sieve, { host: '127.0.0.1', port: 14190 });
  assert.deepEqual(c.listen.grpc, { host: '127.0.0.1', port: 17000 });
  assert.deepEqual(c.listen.http, { host: '127.0.0.1', port: 18080 });
  assert.deepEqual(c.listen.submission, { host: '127.0.0.1', port: 10587 });
  assert.deepEqual(c.listen.submissions, { host: '127.0.0.1', port: 10465 });
  assert.deepEqual(c.listen.lmtp, { host: '127.0.0.1', port: 10024 });
  assert.deepEqual(c.lmtpSocket, { path: '/run/mail-director/lmtp', mode: 0o660 });
  assert.equal(c.tls?.certFile, join(dir, 'd.crt'));
  assert.equal(c.tls?.keyFile, join(dir, 'd.key'));
  assert.equal(c.tls?.cert.toString(), pem('leaf.crt'));
  assert.equal(c.tls?.key.toString(), pem('leaf.key'));
  assert.equal(c.backendTls.caFile, join(dir, 'ca.crt'));
  assert.ok(Buffer.isBuffer(c.backendTls.ca));
  assert.equal(c.backendTls.clientCert, undefined);
  assert.deepEqual(c.limits, {
    maxLineLength: 65536,
    maxLiteralSize: 65536,
    maxInvalidCommands: 10,
    preloginTimeoutMs: 180_000,
    maxAuthAttempts: 3,
    authFailureDelayMs: 2000,
    idleTimeoutMs: 1_800_000,
    proxyTimeoutMs: 30_000,
    maxLoginDelayMs: 40_000,
    maxDisconnectDelayMs: 0,
    moveWaitMs: 30_000,
    maxPreloginConnections: 10_000,
    maxPreloginPerIp: 100,
  });
  assert.equal(c.passdb.driver, 'ldap');
  if (c.passdb.driver !== 'ldap') return;
  const p = c.passdb;
  assert.deepEqual(p.uris, ['ldap://127.0.0.1:10389', 'ldap://127.0.0.2:10389']);
  assert.equal(p.bindDn, 'cn=admin,dc=example,dc=org');
  assert.ok(p.bindPassword instanceof Secret);
  assert.equal(p.bindPassword.reveal(), 'secret');
  assert.equal(p.base, 'ou=people,dc=example,dc=org');
  assert.equal(p.scope, 'sub');
  assert.equal(p.filter, '(&(objectClass=inetOrgPerson)(uid=%u))');
  assert.equal(p.authBind, true);
  assert.equal(p.passwordAttribute, 'userPassword');
  assert.deepEqual(p.fields, [
    { field: 'user', attribute: 'uid', constant: undefined },
    { field: 'host', attribute: 'mailHost', constant: undefined },
    { field: 'proxy', attribute: 'mailProxy', constant: undefined },
    { field: 'destuser', attribute: 'mailDestUser', constant: undefined },
    { field: 'delay_until', attribute: 'mailDelayUntil', constant: undefined },
    { field: 'director_tag', attribute: 'mailDirectorTag', constant: undefined },
    { field: 'nologin', attribute: 'mailNoLogin', constant: undefined },
    { field: 'reason', attribute: 'mailNoLoginReason', constant: undefined },
  ]);
  assert.equal(p.timeoutMs, 5000);
  assert.equal(p.connectTimeoutMs, 2000);
  assert.equal(p.searchPoolSize, 2);
  assert.equal(p.bindPoolSize, 4);
  assert.equal(p.startTls, false);
  assert.equal(p.ca, undefined);
  assert.deepEqual(c.cache, { size: 10_000, ttlMs: 60_000, negativeTtlMs: 10_000 });
  assert.equal(c.ring.hashKey, '%u');
  assert.equal(c.ring.vnodes, 160);
  assert.deepEqual(c.ring.backends, [
    { id: 'b1', host: '127.0.0.11', weight: 100, tag: '', ports: { imap: 143, pop3: 110, submission: 587, sieve: 4190, lmtp: 24 } },
    { id: 'b2', host: '127.0.0.12', weight: 100, tag: '', ports: {} },
  ]);
  assert.deepEqual(c.ring.directors, [
    { id: 'd1', address: '127.0.0.1:17000' },
    { id: 'd2', address: '127.0.0.2:17000' },
    { id: 'd3', address: '127.0.0.3:17000' },
  ]);
  assert.equal(c.ring.stateFile, '/var/lib/mail-director/ring-state.json');
  assert.deepEqual(c.ring.probe, { intervalMs: 1000, timeoutMs: 1000, failures: 2, successes: 2 });
  assert.deepEqual(c.ring.gossip, { heartbeatMs: 500, deadAfterMs: 2000, presenceHoldMs: 30_000 });
  assert.equal(c.grpcTls?.caFile, join(dir, 'ca.crt'));
  assert.equal(c.grpcTls?.cert.toString(), pem('leaf.crt'));
  assert.equal(c.grpcTls?.key.toString(), pem('leaf.key'));
  assert.deepEqual(c.grpcTls?.admins, ['ops-admin']);
  assert.deepEqual(c.log, { level: 'info', file: undefined });
  assert.deepEqual(c.lmtp, { user: '%n', recipientDelimiter: '+' });
  assert.deepEqual(c.oauth2, {
    introspectionMode: 'post',
    introspectionUrl: 'https://idp.example.org/oauth2/introspect',
    localValidationJwks: undefined,
    jwksCacheTtlMs: 3_600_000,
    usernameAttribute: 'email',
    usernameFormat: '%Lu',
    activeAttribute: 'active',
    activeValue: 'true',
    issuers: ['https://idp.example.org'],
    clientId: 'mail',
    scope: ['mail'],
    timeoutMs: 5_000,
    tlsCaCert: undefined,
    tlsCaCertFile: undefined,
  });

  // Deeply frozen: a reload builds a new Config, nobody patches this one.
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.ring.backends) && Object.isFrozen(c.ring.backends[0]));
  assert.ok(Object.isFrozen(c.ring.backends[0]!.ports) && Object.isFrozen(c.passdb) && Object.isFrozen(c.limits));
  assert.throws(() => {
    (c.limits as { maxAuthAttempts: number }).maxAuthAttempts = 99;
  }, TypeError);
  // The password never shows up when the config is printed or serialised.
  assert.ok(!JSON.stringify(c).includes('"secret"'));
});

test('minimal config takes Dovecot-like defaults', () => {
  const c = loadConfig(join(FIXTURES, 'minimal.yaml'));
  assert.equal(c.director.id, 'd1');
  assert.deepEqual(c.director.trustedNetworks, ['127.0.0.0/8', '::1/128']);
  assert.equal(c.director.imapIdRetain, false);
  assert.equal(c.director.localBackend, undefined);
  assert.equal(c.tls, undefined);
  assert.equal(c.limits.authFailureDelayMs, 2000);
  assert.equal(c.limits.preloginTimeoutMs, 180_000);
  assert.equal(c.limits.maxInvalidCommands, 10);
  assert.equal(c.limits.maxAuthAttempts, 3);
  assert.equal(c.limits.proxyTimeoutMs, 30_000);
  assert.equal(c.limits.idleTimeoutMs, 1_800_000);
  assert.equal(c.limits.maxLineLength, 64 * 1024);
  assert.equal(c.cache.size, 0);
  assert.deepEqual(c.passdb, { driver: 'passwd-file', path: join(FIXTURES, 'users.passwd') });
  assert.deepEqual(c.ring.backends, [{ id: 'b1', host: '127.0.0.11', weight: 100, tag: '', ports: {} }]);
  assert.equal(c.ring.hashKey, '%u');
  assert.equal(c.log.level, 'info');
});

test('a broken file reports every problem with file, line and key', () => {
  const file = join(FIXTURES, 'broken-many.yaml');
  const { config, problems } = checkConfig(file);
  assert.equal(config, undefined);
  const byKey = new Map(problems.map((p) => [p.key, p]));
  const expect: Array<[string, number, RegExp]> = [
    ['director.idd', 2, /unknown key; did you mean "id"/],
    ['director.id', 1, /required/],
    ['director.local_backend', 3, /no backend .*b9/],
    ['director.trusted_networks[0]', 4, /prefix length/],
    ['listen.imap', 6, /out of range/],
    ['listen.pop3', 7, /host:port/],
    ['listen.imaps', 8, /tls/],
    ['limits.prelogin_timeout', 10, /unit/],
    ['limits.max_line_length', 11, /KiB/],
    ['limits.idle_timeout', 12, /unit/],
    ['passdb.base', 13, /required/],
    ['passdb.filter', 13, /required/],
    ['passdb.uris[1]', 15, /ldap:\/\//],
    ['passdb.fields.hots', 20, /did you mean "host"/],
    ['passdb.fields.nologin', 21, /LDAP attribute/],
    ['ring.backends[0].weight', 25, /whole number/],
    ['ring.backends[1].id', 26, /duplicate backend id/],
    ['ring.backends[1].host', 26, /duplicate backend host/],
    ['ring.backends[1].weight', 26, /whole number/],
    ['ring.backends[2].ports.imapp', 27, /did you mean "imap"/],
    ['log.level', 29, /one of/],
  ];
  for (const [key, line, message] of expect) {
    const p = byKey.get(key);
    assert.ok(p !== undefined, `expected a problem at ${key}; got ${keys(problems).join(', ')}`);
    assert.equal(p.file, file);
    assert.equal(p.line, line, key);
    assert.ok(p.column >= 1);
    assert.match(p.message, message, key);
  }
  assert.equal(problems.length, expect.length);
  // Reported in file order.
  assert.deepEqual(problems.map((p) => p.line), [...problems.map((p) => p.line)].sort((a, b) => a - b));
  assert.equal(formatProblem(byKey.get('listen.imap')!), `${file}:6:9: listen.imap: port 99999 is out of range`);
});

test('YAML syntax errors carry a line', () => {
  const { config, problems } = checkConfig(join(FIXTURES, 'broken-syntax.yaml'));
  assert.equal(config, undefined);
  assert.ok(problems.length >= 1);
  assert.match(problems[0]!.message, /^YAML: /);
  assert.ok(problems[0]!.line >= 4);
});

test('duplicate keys are a YAML problem', () => {
  const { problems } = checkConfigText('/tmp/x.yaml', 'director:\n  id: a\n  id: b\n');
  assert.equal(problems.length, 1);
  assert.equal(problems[0]!.line, 3);
});

test('--id overrides director.id; IPv6, mapped IPv4, ports 0, split URIs, constants, tags', () => {
  const c = loadConfig(join(FIXTURES, 'ldap-no-tls.yaml'), { id: 'd7' });
  assert.equal(c.director.id, 'd7');
  assert.deepEqual(c.director.selfAddresses, ['127.0.0.1', '127.0.0.2']);
  assert.equal(c.director.localBackend, 'b2', 'local_backend may name a backend by host');
  assert.deepEqual(c.listen.imap, { host: '::1', port: 10143 });
  assert.equal(c.listen.pop3, undefined);
  assert.equal(c.listen.grpc, undefined);
  assert.equal(c.passdb.driver, 'ldap');
  if (c.passdb.driver !== 'ldap') return;
  assert.deepEqual(c.passdb.uris, ['ldap://127.0.0.1:10389', 'ldaps://127.0.0.2:10636']);
  assert.equal(c.passdb.bindPassword?.reveal(), '12345');
  assert.equal(c.passdb.scope, 'sub');
  assert.deepEqual(c.passdb.fields, [
    { field: 'host', attribute: 'mailHost', constant: undefined },
    { field: 'proxy_maybe', attribute: undefined, constant: 'y' },
    { field: 'forward_team', attribute: 'departmentNumber', constant: undefined },
  ]);
  assert.equal(c.ring.hashKey, '%Ld');
  assert.deepEqual(c.ring.backends, [
    { id: 'b1', host: '127.0.0.11', weight: 50, tag: 'eu', ports: {} },
    { id: 'b2', host: '127.0.0.12', weight: 100, tag: '', ports: { imap: 10143, pop3: 10110 } },
  ]);

  const withFileId = checkConfigText('/tmp/c.yaml', readFileSync(join(FIXTURES, 'minimal.yaml'), 'utf8'), { id: 'other' });
  assert.equal(withFileId.config?.director.id, 'other');
  const badId = checkConfigText('/tmp/c.yaml', readFileSync(join(FIXTURES, 'minimal.yaml'), 'utf8'), { id: 'no spaces' });
  assert.deepEqual(keys(badId.problems), ['director.id']);
});

test('loadConfig throws ConfigError with the problems, never the password', () => {
  const text = [
    'director: { id: d1 }',
    'passdb:',
    '  driver: ldap',
    '  uris: [ldap://127.0.0.1]',
    '  bind_dn: cn=admin',
    '  bind_password: hunter2secret',
    '  base: dc=x',
    '  filter: (uid=%u',
    'ring: { backends: [] }',
  ].join('\n');
  const dir = mkdtempSync(join(tmpdir(), 'md-config-'));
  try {
    const file = join(dir, 'c.yaml');
    writeFileSync(file, text);
    assert.throws(
      () => loadConfig(file),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.deepEqual(keys(err.problems), ['passdb.filter', 'ring.backends']);
        assert.match(err.message, /c\.yaml:8:11: passdb\.filter: /);
        assert.ok(!err.message.includes('hunter2secret'));
        assert.ok(!JSON.stringify(err.problems).includes('hunter2secret'));
        return true;
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unreadable config file is one problem', () => {
  const { config, problems } = checkConfig('/nonexistent/mail-director.yaml');
  assert.equal(config, undefined);
  assert.equal(problems.length, 1);
  assert.match(problems[0]!.message, /ENOENT/);
});

test('TLS: implicit-TLS listeners need a tls section; unreadable files name their key', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'ok.crt'), pem('leaf.crt'));
  const base = 'director: { id: d1 }\npassdb: { driver: passwd-file, path: /x }\nring: { backends: [{ id: b1, host: 10.0.0.1 }] }\n';
  const noTls = checkConfigText(join(dir, 'a.yaml'), `${base}listen: { imaps: 127.0.0.1:993, pop3s: 127.0.0.1:995, submissions: "127.0.0.1:0" }\n`);
  assert.deepEqual(keys(noTls.problems), ['listen.imaps', 'listen.pop3s']);
  const badKey = checkConfigText(join(dir, 'b.yaml'), `${base}listen: { imaps: 127.0.0.1:993 }\ntls: { cert: ok.crt, key: missing.key }\n`);
  assert.deepEqual(keys(badKey.problems), ['tls.key']);
  assert.match(badKey.problems[0]!.message, /missing\.key \(ENOENT\)/);
  const noKey = checkConfigText(join(dir, 'c.yaml'), `${base}tls: { cert: ok.crt }\n`);
  assert.deepEqual(keys(noKey.problems), ['tls.key']);
  const halfClient = checkConfigText(join(dir, 'd.yaml'), `${base}backend_tls: { client_cert: ok.crt }\n`);
  assert.deepEqual(keys(halfClient.problems), ['backend_tls.client_cert']);
});

test('driver-specific keys, required keys, unknown sections, wrong types', () => {
  const r = checkConfigText(
    '/tmp/c.yaml',
    [
      'lisen: { imap: 127.0.0.1:143 }',
      'director: { id: d1, imap_id_retain: yes, shutdown_grace: 10 }',
      'passdb: { driver: passwd-file, path: /etc/u, base: dc=x }',
      'cache: { size: -1 }',
      'ring: { vnodes: many, hash_key: "%x", backends: [{ id: "bad id", host: "not a host!" }] }',
    ].join('\n'),
  );
  assert.deepEqual(
    r.problems.map((p) => `${p.line}:${p.key}`),
    [
      '1:lisen',
      '2:director.imap_id_retain',
      '2:director.shutdown_grace',
      '3:passdb.base',
      '4:cache.size',
      '5:ring.vnodes',
      '5:ring.hash_key',
      '5:ring.backends[0].id',
      '5:ring.backends[0].host',
    ],
  );
  assert.match(r.problems[0]!.message, /did you mean "listen"/);
  assert.match(r.problems[3]!.message, /only used with driver ldap/);
  const missing = checkConfigText('/tmp/c.yaml', 'director: { id: d1 }\npassdb: { driver: ldap }\n');
  assert.deepEqual(keys(missing.problems).sort(), ['passdb.base', 'passdb.filter', 'passdb.uris', 'ring']);
  const empty = checkConfigText('/tmp/c.yaml', '');
  assert.ok(keys(empty.problems).includes(''));
  assert.ok(keys(empty.problems).includes('director.id'));
});

test('without a passdb section the quick-start passwd-file beside the config is used', () => {
  const c = checkConfigText('/etc/md/director.yaml', 'director: { id: d1 }\nring:\n  backends: [{ id: b1, host: 127.0.0.11 }]\n', {});
  assert.deepEqual(c.problems, []);
  assert.deepEqual(c.config?.passdb, { driver: 'passwd-file', path: '/etc/md/users' });
});

test('TLS files are parsed at load: not PEM, a key of another certificate, an encrypted key, a bad CA name file, line and key', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'leaf.crt'), pem('leaf.crt'));
  writeFileSync(join(dir, 'leaf.key'), pem('leaf.key'));
  writeFileSync(join(dir, 'other.key'), pem('other.key'));
  writeFileSync(join(dir, 'ca.crt'), pem('ca.crt'));
  writeFileSync(join(dir, 'junk.pem'), 'this is not PEM at all\n');
  writeFileSync(join(dir, 'cut.crt'), pem('leaf.crt').slice(0, 200) + '\n-----END CERTIFICATE-----\n');
  writeFileSync(join(dir, 'enc.key'), '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n');
  const base = 'director: { id: d1 }\npassdb: { driver: passwd-file, path: /x }\nring: { backends: [{ id: b1, host: 10.0.0.1 }] }\n';
  const check = (name: string, tail: string): readonly ConfigProblem[] => checkConfigText(join(dir, name), base + tail).problems;

  assert.deepEqual(check('good.yaml', 'tls: { cert: leaf.crt, key: leaf.key }\nbackend_tls: { ca: ca.crt, client_cert: leaf.crt, client_key: leaf.key }\n'), []);

  const notPem = check('a.yaml', 'tls: { cert: junk.pem, key: leaf.key }\n');
  assert.deepEqual(notPem.map((p) => [p.key, p.line]), [['tls.cert', 4]]);
  assert.match(formatProblem(notPem[0]!), new RegExp(`^${join(dir, 'a.yaml')}:4:\\d+: tls\\.cert: .*junk\\.pem is not a PEM certificate`));

  const mismatch = check('b.yaml', 'tls: { cert: leaf.crt, key: other.key }\n');
  assert.deepEqual(keys(mismatch), ['tls.key']);
  assert.match(mismatch[0]!.message, /other\.key is not the key of the certificate in tls\.cert/);

  const truncated = check('c.yaml', 'tls: { cert: cut.crt, key: leaf.key }\n');
  assert.deepEqual(keys(truncated), ['tls.cert']);
  assert.match(truncated[0]!.message, /does not parse/);

  const encrypted = check('d.yaml', 'tls: { cert: leaf.crt, key: enc.key }\n');
  assert.deepEqual(keys(encrypted), ['tls.key']);
  assert.match(encrypted[0]!.message, /encrypted/);

  const keyAsKey = check('e.yaml', 'tls: { cert: leaf.crt, key: junk.pem }\n');
  assert.match(problemOf(keyAsKey, 'tls.key').message, /not a PEM private key/);

  const badCa = check('f.yaml', 'backend_tls: { ca: junk.pem }\n');
  assert.deepEqual(keys(badCa), ['backend_tls.ca']);
  const badClient = check('g.yaml', 'backend_tls: { client_cert: leaf.crt, client_key: other.key }\n');
  assert.deepEqual(keys(badClient), ['backend_tls.client_key']);
  const badLdapCa = checkConfigText(join(dir, 'h.yaml'), 'director: { id: d1 }\npassdb: { driver: ldap, uris: [ldap://127.0.0.1], base: dc=x, filter: "(uid=%u)", ca: junk.pem }\nring: { backends: [{ id: b1, host: 10.0.0.1 }] }\n').problems;
  assert.deepEqual(keys(badLdapCa), ['passdb.ca']);

  // A key's content never appears in a message.
  const secret = pem('other.key').split('\n')[1]!;
  for (const p of [...notPem, ...mismatch, ...truncated, ...encrypted, ...keyAsKey, ...badClient]) assert.ok(!p.message.includes(secret));
});

function problemOf(problems: readonly ConfigProblem[], key: string): ConfigProblem {
  const p = problems.find((x) => x.key === key);
  assert.ok(p !== undefined, `no problem for ${key} in ${JSON.stringify(problems)}`);
  return p;
}

test('listen.lmtp_socket: a path (relative to the config file) or { path, mode }; problems name file:line:key', (t) => {
  const dir = tempDir(t);
  const base = 'director: { id: d1 }\npassdb: { driver: passwd-file, path: /x }\nring: { backends: [{ id: b1, host: 10.0.0.1 }] }\n';
  const plain = checkConfigText(join(dir, 'a.yaml'), `${base}listen: { lmtp_socket: run/lmtp }\n`);
  assert.deepEqual(plain.problems, []);
  assert.deepEqual(plain.config?.lmtpSocket, { path: join(dir, 'run/lmtp'), mode: 0o660 });
  // An unquoted 0666 is read as written (octal), not as YAML 1.2's decimal 666.
  for (const mode of ['"0666"', '0666', '"666"', '0o666']) {
    const r = checkConfigText(join(dir, 'b.yaml'), `${base}listen:\n  lmtp_socket: { path: /run/md/lmtp, mode: ${mode} }\n`);
    assert.deepEqual(r.problems, [], mode);
    assert.deepEqual(r.config?.lmtpSocket, { path: '/run/md/lmtp', mode: 0o666 }, mode);
  }
  assert.equal(checkConfigText(join(dir, 'c.yaml'), `${base}listen: { lmtp_socket: 0 }\n`).config?.lmtpSocket, undefined);
  assert.equal(checkConfigText(join(dir, 'c.yaml'), `${base}listen: { imap: 127.0.0.1:143 }\n`).config?.lmtpSocket, undefined);

  writeFileSync(join(dir, 'not-a-socket'), 'x');
  const bad = checkConfigText(
    join(dir, 'd.yaml'),
    [
      base.trimEnd(),
      'listen:',
      '  lmtp_socket:',
      '    path: not-a-socket',
      '    mode: "0999"',
      '    owner: postfix',
    ].join('\n'),
  );
  assert.deepEqual(bad.problems.map((p) => `${p.line}:${p.key}`).sort(), ['6:listen.lmtp_socket.path', '7:listen.lmtp_socket.mode', '8:listen.lmtp_socket.owner'].sort());
  assert.match(bad.problems.find((p) => p.key.endsWith('.path'))!.message, /exists and is not a socket/);
  assert.match(bad.problems.find((p) => p.key.endsWith('.mode'))!.message, /octal permission bits/);
  assert.match(formatProblem(bad.problems.find((p) => p.key.endsWith('.mode'))!), /d\.yaml:7:\d+: listen\.lmtp_socket\.mode: /);

  const readOnly = checkConfigText(join(dir, 'e.yaml'), `${base}listen: { lmtp_socket: { path: /run/md/lmtp, mode: "0444" } }\n`);
  assert.deepEqual(keys(readOnly.problems), ['listen.lmtp_socket.mode']);
  assert.match(readOnly.problems[0]!.message, /nobody write permission/);
  const noPath = checkConfigText(join(dir, 'f.yaml'), `${base}listen: { lmtp_socket: { mode: "0660" } }\n`);
  assert.deepEqual(keys(noPath.problems), ['listen.lmtp_socket.path']);
  const tooLong = checkConfigText(join(dir, 'g.yaml'), `${base}listen: { lmtp_socket: /${'x'.repeat(120)} }\n`);
  assert.deepEqual(keys(tooLong.problems), ['listen.lmtp_socket']);
  assert.match(tooLong.problems[0]!.message, /107 at most/);
});

test('problems after a quoted scalar left open across lines still name their own line', () => {
  // Found by test/unit/fuzz/config-check.test.ts: yaml's LineCounter missed the newline after
  // line 3 here, so the error on line 5 was reported as 3:24 (past the end of line 3).
  const text = '"\na: 1\nb: [1]   # "q" x\n\ntls: x: y\n';
  const nested = checkConfigText('/x.yaml', text).problems.find((p) => /Nested mappings/.test(p.message));
  assert.deepEqual([nested?.line, nested?.column], [5, 6]);
});

test('http.users_token_file: read at load, a short token is a problem at its line, the token never printed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'md-http-token-'));
  try {
    const minimal = readFileSync(join(FIXTURES, 'minimal.yaml'), 'utf8').replaceAll('users.passwd', join(FIXTURES, 'users.passwd'));
    writeFileSync(join(dir, 'good.token'), 'a-long-enough-ring-page-token\n', { mode: 0o600 });
    writeFileSync(join(dir, 'short.token'), 'short-secret\n', { mode: 0o600 });
    const good = join(dir, 'good.yaml');
    writeFileSync(good, `${minimal}\nhttp:\n  users_token_file: good.token\n`);
    assert.equal(loadConfig(good).http.usersToken?.reveal(), 'a-long-enough-ring-page-token');
    assert.equal(loadConfig(join(FIXTURES, 'minimal.yaml')).http.usersToken, undefined);

    const bad = join(dir, 'bad.yaml');
    const text = `${minimal}\nhttp:\n  users_token_file: short.token\n`;
    writeFileSync(bad, text);
    const { problems } = checkConfig(bad);
    assert.equal(problems.length, 1, JSON.stringify(problems));
    const p = problems[0]!;
    assert.equal(p.line, text.split('\n').indexOf('  users_token_file: short.token') + 1);
    assert.match(formatProblem(p), /http\.users_token_file: .*at least 16 characters/);
    assert.ok(!formatProblem(p).includes('short-secret'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
