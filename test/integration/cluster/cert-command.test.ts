import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster } from '../../harness/cluster.js';
import { DIRECTOR_CLI_ARGS, REPO_ROOT, type DirectorHandle } from '../../harness/director.js';
import { until, type StatusJson } from './ring-support.js';

// `mail-director cert`: the files it makes are all a ring needs for mTLS: two
// directors gossip with them, and the admin certificate runs the CLI.

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...DIRECTOR_CLI_ARGS, ...args], { cwd: REPO_ROOT, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

let dir: string;
let pki: string;
let cluster: Cluster;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-cert-command-'));
  pki = join(dir, 'pki');
  for (const args of [['ca'], ['director', 'd1', '--hosts', '127.0.0.1'], ['director', 'd2', '--hosts', '127.0.0.1,localhost'], ['admin', 'ops']]) {
    const r = await cli(['cert', ...args, '--dir', pki]);
    assert.equal(r.code, 0, `cert ${args.join(' ')}: ${r.stderr}`);
  }
  cluster = await startCluster({
    dir,
    directors: 2,
    backends: 1,
    users: 4,
    directorOverrides: (self, all) => ({
      ring: { directors: all.map((d) => ({ id: d.id, grpc: `${d.host}:${d.grpc}` })) },
      grpc_tls: { ca: join(pki, 'ring-ca.crt'), cert: join(pki, `director-${self.id}.crt`), key: join(pki, `director-${self.id}.key`), admins: ['ops'] },
    }),
  });
});

after(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

function adminArgs(d: DirectorHandle): string[] {
  const address = d.address('grpc');
  assert.ok(address !== null);
  return ['--director', address, '--ca', join(pki, 'ring-ca.crt'), '--cert', join(pki, 'admin-ops.crt'), '--key', join(pki, 'admin-ops.key')];
}

test('the files: keys 0600, a CA, directors for server and client with their hosts, an admin for client only', () => {
  for (const key of ['ring-ca.key', 'director-d1.key', 'director-d2.key', 'admin-ops.key']) assert.equal(statSync(join(pki, key)).mode & 0o777, 0o600, key);
  const ca = new X509Certificate(readFileSync(join(pki, 'ring-ca.crt')));
  assert.ok(ca.ca);
  const d2 = new X509Certificate(readFileSync(join(pki, 'director-d2.crt')));
  assert.equal(d2.subject, 'CN=d2');
  assert.equal(d2.subjectAltName, 'IP Address:127.0.0.1, DNS:localhost');
  assert.deepEqual(d2.keyUsage?.sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  assert.ok(d2.verify(ca.publicKey) && d2.checkIssued(ca));
  const admin = new X509Certificate(readFileSync(join(pki, 'admin-ops.crt')));
  assert.equal(admin.subject, 'CN=ops');
  assert.deepEqual(admin.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  assert.ok(admin.verify(ca.publicKey));
});

test('two directors with these certificates form a ring over mTLS, and the admin certificate runs status', async () => {
  for (const d of cluster.directors) {
    const status = await until(`${d.id} sees both directors live`, 10_000, async () => {
      const r = await cli([...adminArgs(d), 'status', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const s = JSON.parse(r.stdout) as StatusJson;
      return s.ring.directors_live === 2 ? s : undefined;
    });
    assert.equal(status.director_id, d.id);
    assert.equal(status.ring.directors_total, 2);
  }
});

test('a director\'s certificate is not an admin one; nothing is overwritten; without a CA it says what to run', async () => {
  const [d1] = cluster.directors;
  assert.ok(d1);
  const asDirector = adminArgs(d1).map((a) => a.replace('admin-ops', 'director-d2'));
  const refused = await cli([...asDirector, 'status']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /permission denied: certificate "d2" \(also named localhost\) is not in grpc_tls\.admins/);

  const before = readFileSync(join(pki, 'admin-ops.key'));
  const again = await cli(['cert', 'admin', 'ops', '--dir', pki]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /admin-ops\.crt and .*admin-ops\.key already exist; move them away first/);
  assert.deepEqual(readFileSync(join(pki, 'admin-ops.key')), before);

  const noCa = await cli(['cert', 'director', 'd3', '--hosts', '127.0.0.1', '--dir', join(dir, 'empty')]);
  assert.equal(noCa.code, 1);
  assert.match(noCa.stderr, /ring-ca\.crt and .*ring-ca\.key not found: run `mail-director cert ca --dir /);
  const badHost = await cli(['cert', 'director', 'd3', '--hosts', 'not a host', '--dir', pki]);
  assert.equal(badHost.code, 64);
  assert.match(badHost.stderr, /--hosts: "not a host" is not an IP address or host name/);
});
