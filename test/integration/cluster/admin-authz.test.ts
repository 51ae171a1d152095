// Regression: any certificate of the ring's CA could run admin commands (a
// backend's certificate set a backend's weight). Real directors over mTLS;
// only a certificate named in grpc_tls.admins may call, and each mutating
// call leaves one audit line in the director's log.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main as cliMain } from '../../../src/cli/run.js';
import type { CertFiles } from '../../harness/certs.js';
import { startCluster } from '../../harness/cluster.js';
import type { DirectorHandle } from '../../harness/director.js';
import { ADMIN_CERT_NAME, adminCert, ringOverrides } from '../../harness/ring.js';
import { directorAt, until, type CliResult, type Ring, type StatusJson } from './ring-support.js';

let dir: string;
let ring: Ring;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-admin-authz-'));
  const cluster = await startCluster({ dir, directors: 2, backends: 2, users: 4, directorOverrides: ringOverrides(dir) });
  ring = { cluster, admin: await adminCert(cluster) };
});

after(async () => {
  await ring?.cluster.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Where the harness put a process's own certificate (test/harness/dovecot.ts, director.ts). */
function ownCert(processDir: string, name: string): CertFiles {
  return { cert: join(processDir, 'tls', `${name}.crt`), key: join(processDir, 'tls', `${name}.key`) };
}

async function cliAs(cert: CertFiles, director: DirectorHandle, ...args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const address = director.address('grpc');
  assert.ok(address !== null, `${director.id} has no gRPC port`);
  const code = await cliMain([...args, '--director', address, '--ca', ring.cluster.ca.cert, '--cert', cert.cert, '--key', cert.key], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: {},
  });
  return { code, stdout, stderr };
}

async function weightOf(d: DirectorHandle, backend: string): Promise<number | undefined> {
  const r = await cliAs(ring.admin, d, 'status', '--json');
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as StatusJson).backends.find((b) => b.id === backend)?.weight;
}

/** The director's audit lines (JSON log lines with "audit": true) for one command. */
async function auditLines(d: DirectorHandle, command: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(d.logFile, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line['audit'] === true && line['command'] === command);
}

test("a backend's or another director's certificate from the ring's CA is refused; the listed admin's is not; both are audited", async () => {
  const d1 = directorAt(ring, 0);
  const backend = ring.cluster.backends[1];
  assert.ok(backend !== undefined);
  assert.equal(await weightOf(d1, backend.id), 100);

  const backendCert = ownCert(backend.dir, `backend-${backend.id}`);
  const asBackend = await cliAs(backendCert, d1, 'backend', 'weight', backend.id, '37');
  assert.equal(asBackend.code, 1, `exit ${asBackend.code}: ${asBackend.stdout}${asBackend.stderr}`);
  assert.equal(asBackend.stdout, '');
  assert.match(asBackend.stderr, new RegExp(`refused: permission denied: certificate "backend-${backend.id}"( \\(also named [^)]*\\))? is not in grpc_tls\\.admins\\n$`));

  const d2 = directorAt(ring, 1);
  const asDirector = await cliAs(ownCert(d2.dir, `director-${d2.id}`), d1, 'backend', 'weight', backend.id, '37');
  assert.equal(asDirector.code, 1, asDirector.stdout + asDirector.stderr);
  assert.match(asDirector.stderr, /permission denied: certificate "director-d2".* is not in grpc_tls\.admins/);
  // Read-only commands need an admin too.
  const statusAsDirector = await cliAs(ownCert(d2.dir, `director-${d2.id}`), d1, 'status');
  assert.equal(statusAsDirector.code, 1, statusAsDirector.stderr);
  assert.match(statusAsDirector.stderr, /permission denied/);

  assert.equal(await weightOf(d1, backend.id), 100, 'the refused calls changed nothing');
  assert.equal(await weightOf(d2, backend.id), 100);

  const asAdmin = await cliAs(ring.admin, d1, 'backend', 'weight', backend.id, '37');
  assert.equal(asAdmin.code, 0, asAdmin.stderr);
  assert.equal(await weightOf(d1, backend.id), 37);
  await until('d2 has the new weight', 5000, async () => ((await weightOf(d2, backend.id)) === 37 ? true : undefined));

  // pino writes asynchronously: wait for the three lines.
  const lines = await until('three SetBackendWeight audit lines in d1\'s log', 5000, async () => {
    const found = await auditLines(d1, 'SetBackendWeight');
    return found.length >= 3 ? found : undefined;
  });
  assert.equal(lines.length, 3, JSON.stringify(lines));
  const [byBackend, byDirector, byAdmin] = lines;
  assert.equal(byBackend?.['who'], `backend-${backend.id}`);
  assert.deepEqual(byBackend?.['args'], { id: backend.id, weight: 37 });
  assert.match(String(byBackend?.['peer']), /^127\.0\.0\.1:\d+$/);
  assert.equal(byBackend?.['result'], 'error');
  assert.match(String(byBackend?.['detail']), /^PERMISSION_DENIED: permission denied: certificate "backend-b2"/);
  assert.equal(byDirector?.['who'], 'director-d2');
  assert.equal(byDirector?.['result'], 'error');
  assert.equal(byAdmin?.['who'], ADMIN_CERT_NAME);
  assert.deepEqual(byAdmin?.['args'], { id: backend.id, weight: 37 });
  assert.match(String(byAdmin?.['peer']), /^127\.0\.0\.1:\d+$/);
  assert.equal(byAdmin?.['result'], 'ok');
  assert.equal(byAdmin?.['detail'], undefined);
  assert.equal(byAdmin?.['director'], 'd1');
  // Only the director that answered the call audits it.
  assert.deepEqual(await auditLines(d2, 'SetBackendWeight'), []);
});
