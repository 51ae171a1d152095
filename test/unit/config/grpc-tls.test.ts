import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { configCheck } from '../../../src/cli/config-check.js';
import { checkConfigText, formatProblem, type ConfigProblem } from '../../../src/config/load.js';

// grpc_tls.admins and the loopback rule: who may run admin commands is the config's to say.

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

function tlsDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'md-grpc-admins-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Real PEM material: the config reader parses what it loads.
  const fixtures = new URL('../../fixtures/tls/', import.meta.url).pathname;
  for (const [f, fixture] of [['ca.crt', 'ca.crt'], ['d1.crt', 'leaf.crt'], ['d1.key', 'leaf.key']] as const) {
    writeFileSync(join(dir, f), readFileSync(join(fixtures, fixture)));
  }
  return dir;
}

function formatted(problems: readonly ConfigProblem[]): string[] {
  return problems.map(formatProblem);
}

/** `mail-director config check FILE` as an operator sees it: exit code and stderr. */
function configCheckOutput(file: string): { code: number; stderr: string } {
  let stderr = '';
  const sink = (write: (text: string) => void): Writable =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        write(chunk.toString());
        done();
      },
    });
  const code = configCheck(file, sink(() => undefined), sink((t) => (stderr += t)), false);
  return { code, stderr };
}

test('config check: listen.grpc off loopback (0.0.0.0, *, ::, a LAN address) without grpc_tls is FILE:LINE:COL: KEY: message', (t) => {
  const dir = tlsDir(t);
  for (const listen of ['0.0.0.0:17000', '"*:17000"', '"[::]:17000"', '10.0.0.1:17000']) {
    const file = join(dir, 'director.yaml');
    writeFileSync(file, BASE.replace('grpc: 127.0.0.1:17000', `grpc: ${listen}`));
    const { code, stderr } = configCheckOutput(file);
    assert.equal(code, 1, listen);
    assert.equal(
      stderr,
      `${file}:5:9: listen.grpc: gRPC off loopback needs a grpc_tls section (ca, cert, key, admins): plaintext would let any host run admin commands\n`,
      listen,
    );
  }
  for (const listen of ['127.0.0.1:17000', '127.0.0.2:17000', '"[::1]:17000"', 'localhost:17000']) {
    assert.deepEqual(formatted(checkConfigText('/x.yaml', BASE.replace('grpc: 127.0.0.1:17000', `grpc: ${listen}`)).problems), [], listen);
  }
});

test('grpc_tls without admins is a problem, so an upgraded config does not lock operators out silently', (t) => {
  const dir = tlsDir(t);
  const file = join(dir, 'd.yaml');
  const missing = checkConfigText(file, `${BASE}grpc_tls:\n  ca: ca.crt\n  cert: d1.crt\n  key: d1.key\n`);
  assert.equal(missing.config, undefined);
  assert.deepEqual(formatted(missing.problems), [`${file}:12:1: grpc_tls.admins: list the certificate names allowed to run admin commands`]);

  const empty = checkConfigText(file, `${BASE}grpc_tls:\n  ca: ca.crt\n  cert: d1.crt\n  key: d1.key\n  admins: []\n`);
  assert.deepEqual(formatted(empty.problems), [`${file}:16:3: grpc_tls.admins: list the certificate names allowed to run admin commands`]);
});

test('grpc_tls.admins entries must be non-empty certificate names', (t) => {
  const dir = tlsDir(t);
  const file = join(dir, 'd.yaml');
  const { config, problems } = checkConfigText(
    file,
    `${BASE}grpc_tls:\n  ca: ca.crt\n  cert: d1.crt\n  key: d1.key\n  admins:\n    - ""\n    - " ops "\n    - { cn: x }\n    - ops-admin\n`,
  );
  assert.equal(config, undefined);
  assert.deepEqual(formatted(problems), [
    `${file}:17:7: grpc_tls.admins[0]: must be a certificate name (CN or DNS SAN), not empty`,
    `${file}:18:7: grpc_tls.admins[1]: a certificate name has no spaces around it`,
    `${file}:19:7: grpc_tls.admins[2]: expected a string`,
  ]);
});

test('grpc_tls.admins without TLS files makes no sense and is reported', () => {
  const { config, problems } = checkConfigText('/x.yaml', `${BASE}grpc_tls:\n  admins: [ops-admin]\n`);
  assert.equal(config, undefined);
  const admins = problems.find((p) => p.key === 'grpc_tls.admins');
  assert.ok(admins, formatted(problems).join('\n'));
  assert.equal(formatProblem(admins), '/x.yaml:13:3: grpc_tls.admins: needs TLS: give grpc_tls ca, cert and key too (plaintext gRPC trusts every loopback client)');
  assert.deepEqual(problems.map((p) => p.key).sort(), ['grpc_tls.admins', 'grpc_tls.ca', 'grpc_tls.cert', 'grpc_tls.key']);
});

test('grpc_tls.admins is read as a list (a single name too) onto Config', (t) => {
  const dir = tlsDir(t);
  const on = checkConfigText(
    join(dir, 'd.yaml'),
    `${BASE.replace('grpc: 127.0.0.1:17000', 'grpc: 0.0.0.0:17000')}grpc_tls: { ca: ca.crt, cert: d1.crt, key: d1.key, admins: [ops-admin, laptop.example.org] }\n`,
  );
  assert.deepEqual(formatted(on.problems), []);
  assert.deepEqual(on.config?.grpcTls?.admins, ['ops-admin', 'laptop.example.org']);
  const one = checkConfigText(join(dir, 'd.yaml'), `${BASE}grpc_tls: { ca: ca.crt, cert: d1.crt, key: d1.key, admins: ops-admin }\n`);
  assert.deepEqual(one.config?.grpcTls?.admins, ['ops-admin']);
});
