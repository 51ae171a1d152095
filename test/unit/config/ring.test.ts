import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkConfigText, type ConfigProblem } from '../../../src/config/load.js';

const BASE = `director:
  id: d1
listen:
  imap: 127.0.0.1:10143
  grpc: 127.0.0.1:17000
passdb:
  driver: passwd-file
  path: users
ring:
  backends:
    - { id: b1, host: 127.0.0.11 }
`;

function check(extra: string, file = '/etc/md/director.yaml'): { problems: readonly ConfigProblem[]; config: ReturnType<typeof checkConfigText>['config'] } {
  return checkConfigText(file, BASE + extra);
}

function problem(problems: readonly ConfigProblem[], key: string): ConfigProblem {
  const p = problems.find((x) => x.key === key);
  assert.ok(p !== undefined, `a problem at ${key}; got ${problems.map((x) => `${x.key}: ${x.message}`).join('; ')}`);
  return p;
}

test('no ring keys: a ring of one with default probes and gossip, plaintext gRPC on loopback', () => {
  const { config, problems } = check('');
  assert.deepEqual(problems, []);
  assert.ok(config);
  assert.deepEqual(config.ring.directors, []);
  assert.equal(config.ring.stateFile, undefined);
  assert.deepEqual(config.ring.probe, { intervalMs: 1000, timeoutMs: 1000, failures: 2, successes: 2 });
  assert.deepEqual(config.ring.gossip, { heartbeatMs: 500, deadAfterMs: 2000, presenceHoldMs: 30_000 });
  assert.equal(config.grpcTls, undefined);
});

test('ring directors, state file (relative to the config), probe and gossip are read', () => {
  const { config, problems } = check(`  directors:
    - { id: d1, grpc: 127.0.0.1:17000 }
    - { id: d2, grpc: "[::1]:17001", dial: 127.0.0.5:18001 }
  state_file: state/ring.json
  probe: { interval: 500ms, timeout: 300ms, failures: 3, successes: 1 }
  gossip: { heartbeat: 200ms, dead_after: 1s, presence_hold: 10s }
`);
  assert.deepEqual(problems, []);
  assert.ok(config);
  assert.deepEqual(config.ring.directors, [
    { id: 'd1', address: '127.0.0.1:17000' },
    { id: 'd2', address: '[::1]:17001', dial: '127.0.0.5:18001' },
  ]);
  assert.equal(config.ring.stateFile, '/etc/md/state/ring.json');
  assert.deepEqual(config.ring.probe, { intervalMs: 500, timeoutMs: 300, failures: 3, successes: 1 });
  assert.deepEqual(config.ring.gossip, { heartbeatMs: 200, deadAfterMs: 1000, presenceHoldMs: 10_000 });
});

test('bad ring members are reported with file, line and key', () => {
  const { config, problems } = check(`  directors:
    - { id: d1, grpc: 127.0.0.1:17000 }
    - { id: d1, grpc: 127.0.0.1:17001 }
    - { id: d3, grpc: 127.0.0.1:0 }
    - { id: d4, grpc: nonsense }
    - { id: d5, grpc: 127.0.0.1:17000 }
    - { id: d6, grp: 127.0.0.1:17006 }
    - { id: d7, grpc: 127.0.0.1:17007, dial: 127.0.0.1:0 }
  probe: { interval: 5ms, failures: 0 }
  gossip: { heartbeat: 1s, dead_after: 1s, presence_hold: soon }
`);
  assert.equal(config, undefined);
  const dup = problem(problems, 'ring.directors[1].id');
  assert.match(dup.message, /duplicate director id/);
  assert.equal(dup.line, 14);
  assert.equal(dup.file, '/etc/md/director.yaml');
  assert.match(problem(problems, 'ring.directors[2].grpc').message, /needs a port/);
  assert.match(problem(problems, 'ring.directors[3].grpc').message, /host:port/);
  assert.match(problem(problems, 'ring.directors[4].grpc').message, /duplicate director address/);
  assert.match(problem(problems, 'ring.directors[5].grp').message, /did you mean "grpc"/);
  assert.match(problem(problems, 'ring.probe.interval').message, /at least 100/);
  assert.match(problem(problems, 'ring.probe.failures').message, /at least 1/);
  assert.match(problem(problems, 'ring.gossip.dead_after').message, /twice heartbeat/);
  assert.match(problem(problems, 'ring.directors[6].dial').message, /address and port/);
  assert.ok(problem(problems, 'ring.gossip.presence_hold').message.length > 0);
});

test('a ring must list this director and have a gRPC port', () => {
  const missing = check(`  directors:
    - { id: d2, grpc: 127.0.0.1:17002 }
    - { id: d11, grpc: 127.0.0.1:17011 }
`);
  assert.match(problem(missing.problems, 'ring.directors').message, /this director \("d1"\) is not listed; did you mean "d[12]+"/);
  const noGrpc = checkConfigText('/x.yaml', BASE.replace('  grpc: 127.0.0.1:17000\n', '') + `  directors:
    - { id: d1, grpc: 127.0.0.1:17000 }
`);
  assert.match(problem(noGrpc.problems, 'ring.directors').message, /needs listen.grpc/);
});

test('gRPC off loopback needs grpc_tls; grpc_tls files are read', (t) => {
  const off = checkConfigText('/x.yaml', BASE.replace('grpc: 127.0.0.1:17000', 'grpc: 10.0.0.1:17000') + `  directors:
    - { id: d1, grpc: 10.0.0.1:17000 }
`);
  assert.match(problem(off.problems, 'listen.grpc').message, /grpc_tls/);
  assert.match(problem(off.problems, 'ring.directors').message, /off loopback/);

  const dir = mkdtempSync(join(tmpdir(), 'md-grpc-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const fixtures = new URL('../../fixtures/tls/', import.meta.url).pathname;
  for (const [f, fixture] of [['ca.crt', 'ca.crt'], ['d1.crt', 'leaf.crt'], ['d1.key', 'leaf.key']] as const) {
    writeFileSync(join(dir, f), readFileSync(join(fixtures, fixture)));
  }
  const on = checkConfigText(
    join(dir, 'd.yaml'),
    BASE.replace('grpc: 127.0.0.1:17000', 'grpc: 10.0.0.1:17000') + `  directors:
    - { id: d1, grpc: 10.0.0.1:17000 }
grpc_tls: { ca: ca.crt, cert: d1.crt, key: d1.key, admins: [ops-admin] }
`,
  );
  assert.deepEqual(on.problems, []);
  assert.equal(on.config?.grpcTls?.caFile, join(dir, 'ca.crt'));
  assert.match(on.config?.grpcTls?.key.toString() ?? '', /BEGIN PRIVATE KEY/);

  const absent = check('grpc_tls: { ca: /nope/ca.crt }\n');
  assert.match(problem(absent.problems, 'grpc_tls.ca').message, /cannot read/);
  assert.match(problem(absent.problems, 'grpc_tls.cert').message, /required/);
});

test('a backend host that is not an IP address or a host name is refused at config load (syntax only, no DNS)', () => {
  const { problems } = checkConfigText(
    '/etc/md/director.yaml',
    BASE.replace('- { id: b1, host: 127.0.0.11 }', "- { id: b1, host: 'not_a_host!!' }\n    - { id: b2, host: mail2.example }"),
  );
  const p = problem(problems, 'ring.backends[0].host');
  assert.match(p.message, /"not_a_host!!" is not an IP address or host name/);
  assert.ok(!problems.some((x) => x.key.startsWith('ring.backends[1]')), 'a name is taken without resolving it');
});
