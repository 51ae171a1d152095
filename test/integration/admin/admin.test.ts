import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GrpcServerError } from '../../../src/adapters/grpc/errors.js';
import { createAdminService, startAdminServer } from '../../../src/admin/service.js';
import type { AdminServerHandle } from '../../../src/admin/service.js';
import { adminCommands, findAdminCommand } from '../../../src/cli/commands/index.js';
import type { CliIo } from '../../../src/cli/commands/index.js';
import { LocalSessionRegistry } from '../../../src/session/registry.js';
import { makeTestPki } from './certs.js';
import type { TestPki } from './certs.js';
import { FakePassdbCache, FakeRing, FakeSession } from './fakes.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const STARTED_AT = Date.now() - 3_723_000;

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(argv: readonly string[], env: Record<string, string | undefined> = {}): Promise<Captured> {
  const found = findAdminCommand(argv);
  assert.ok(found, `no command for ${argv.join(' ')}`);
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env };
  const code = await found.command.run(found.args, io);
  return { code, stdout, stderr };
}

/** A port nothing listens on: bind 0, note it, close. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

let registry: LocalSessionRegistry;
let passdb: FakePassdbCache;
let alice1: FakeSession;
let alice2: FakeSession;
let bob: FakeSession;
let server: AdminServerHandle;
let director: string;
let tmp: string;
let pki: TestPki;
let tlsServer: AdminServerHandle;

before(async () => {
  registry = new LocalSessionRegistry();
  passdb = new FakePassdbCache();
  alice1 = new FakeSession({ sessionId: 'sess-a1', user: 'alice@example.org' });
  alice2 = new FakeSession({
    sessionId: 'sess-a2',
    user: 'alice@example.org',
    protocol: 'pop3',
    backendId: undefined,
    backendHost: '127.0.0.12',
    backendPort: 110,
  });
  bob = new FakeSession({ sessionId: 'sess-b', user: 'bob@example.org' });
  for (const s of [alice1, alice2, bob]) registry.add(s);
  const ring = new FakeRing([
    { id: 'b2', host: '127.0.0.12', ports: {}, weight: 50, tag: 'eu' },
    { id: 'b1', host: '127.0.0.11', ports: { imap: 143, pop3: 110 }, weight: 100, tag: '' },
  ]);
  const serviceDeps = {
    directorId: 'd1',
    startedAt: STARTED_AT,
    registry,
    passdb,
    ring: () => ring,
    isBackendDown: (id: string) => id === 'b2',
    audit: { info: () => undefined, warn: () => undefined },
  };
  const service = createAdminService({ ...serviceDeps, access: { tls: false, admins: () => [] } });
  server = await startAdminServer({ host: '127.0.0.1', port: 0 }, service, undefined);
  director = `127.0.0.1:${server.port}`;

  tmp = mkdtempSync(join(tmpdir(), 'md-admin-'));
  pki = makeTestPki(tmp);
  const tlsService = createAdminService({ ...serviceDeps, access: { tls: true, admins: () => ['admin'] } });
  tlsServer = await startAdminServer({ host: '127.0.0.1', port: 0 }, tlsService, pki.server);
});

after(async () => {
  await server.close();
  await tlsServer.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('status --json gives director id, uptime, session count and backends with state', async () => {
  const r = await cli(['status', '--json', '--director', director]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const status = JSON.parse(r.stdout);
  assert.equal(status.director_id, 'd1');
  assert.equal(status.started_at_ms, STARTED_AT);
  assert.ok(status.uptime_ms >= 3_723_000 && status.uptime_ms < 3_723_000 + 60_000, String(status.uptime_ms));
  assert.equal(status.session_count, 3);
  assert.deepEqual(status.backends, [
    // Without a ring, sessions and users count this director's own sessions.
    { id: 'b1', host: '127.0.0.11', ports: { imap: 143, pop3: 110 }, weight: 100, tag: '', state: 'up', admin: 'none', voters: 0, down_votes: 0, sessions: 2, users: 2 },
    { id: 'b2', host: '127.0.0.12', ports: {}, weight: 50, tag: 'eu', state: 'down', admin: 'none', voters: 0, down_votes: 0, sessions: 0, users: 0 },
  ]);
});

test('status without --json prints a table', async () => {
  const r = await cli(['status', '--director', director]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^director\s+uptime\s+sessions\s+ring directors live\nd1\s+1h 2m \d+s\s+3\s+0\/0\n/);
  assert.match(r.stdout, /\nb1\s+127\.0\.0\.11\s+imap=143,pop3=110\s+100\s+-\s+up\s+-\s+0\/0\s+2\s+2\n/);
  assert.match(r.stdout, /\nb2\s+127\.0\.0\.12\s+-\s+50\s+eu\s+down\s+-\s+0\/0\s+0\s+0\n/);
});

test('MAIL_DIRECTOR_ADDR is used when --director is absent', async () => {
  const r = await cli(['status', '--json'], { MAIL_DIRECTOR_ADDR: director });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).director_id, 'd1');
});

test('who --json lists every live session with stable snake_case fields', async () => {
  const r = await cli(['who', '--json', '--director', director]);
  assert.equal(r.code, 0, r.stderr);
  const { sessions } = JSON.parse(r.stdout);
  assert.deepEqual(
    sessions.map((s: { session_id: string }) => s.session_id).sort(),
    ['sess-a1', 'sess-a2', 'sess-b'],
  );
  const a2 = sessions.find((s: { session_id: string }) => s.session_id === 'sess-a2');
  assert.deepEqual(a2, {
    session_id: 'sess-a2',
    user: 'alice@example.org',
    protocol: 'pop3',
    client_ip: '127.0.0.5',
    client_port: 50_000,
    backend_id: null,
    backend_host: '127.0.0.12',
    backend_port: 110,
    started_at_ms: Date.UTC(2024, 0, 2, 3, 4, 5),
    bytes_from_client: 10,
    bytes_from_backend: 2_000,
    director_id: 'd1',
  });
});

test('who USER_MASK filters, and the table shows one row per session', async () => {
  const r = await cli(['who', 'b*', '--director', director]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0] ?? '', /^username\s+proto\s+client\s+backend\s+director\s+since \(UTC\)\s+session$/);
  assert.match(lines[1] ?? '', /^bob@example\.org\s+imap\s+127\.0\.0\.5:50000\s+b1 127\.0\.0\.11:143\s+d1\s+2024-01-02 03:04:05\s+sess-b$/);
});

test('user kick kicks the user through the registry and reports the count', async () => {
  const before = bob.kicks.length;
  const r = await cli(['user', 'kick', 'bob@example.org', '--json', '--director', director]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { user: 'bob@example.org', kicked: 1, directors: [{ director: 'd1', kicked: 1 }], unreachable: [] });
  assert.deepEqual(bob.kicks.slice(before), ['Kicked by admin']);
  assert.equal(alice1.kicks.length, 0);
});

test('user kick --reason --backend-host only kicks sessions on that backend', async () => {
  const r = await cli([
    'user', 'kick', 'alice@example.org', '--reason', 'moving you', '--backend-host', '127.0.0.12', '--director', director,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'alice@example.org: kicked 1 session\n');
  assert.deepEqual(alice2.kicks, ['moving you']);
  assert.deepEqual(alice1.kicks, []);
});

test('user kick of a user without sessions succeeds with 0', async () => {
  const r = await cli(['user', 'kick', 'nobody', '--json', '--director', director]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { user: 'nobody', kicked: 0, directors: [{ director: 'd1', kicked: 0 }], unreachable: [] });
});

test('auth cache flush USER flushes that user; without USER flushes all', async () => {
  passdb.calls.length = 0;
  const one = await cli(['auth', 'cache', 'flush', 'alice@example.org', '--json', '--director', director]);
  assert.equal(one.code, 0, one.stderr);
  assert.deepEqual(JSON.parse(one.stdout), { user: 'alice@example.org', flushed: 1 });
  const all = await cli(['auth', 'cache', 'flush', '--director', director]);
  assert.equal(all.code, 0, all.stderr);
  assert.equal(all.stdout, '7 cache entries flushed\n');
  assert.deepEqual(passdb.calls, ['alice@example.org', undefined]);
});

test('a failure inside the director exits 1 with its message', async () => {
  passdb.fail = true;
  try {
    const r = await cli(['auth', 'cache', 'flush', '--json', '--director', director]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `mail-director auth cache flush: director at ${director} refused: FlushAuthCache failed: cache is wedged\n`);
  } finally {
    passdb.fail = false;
  }
});

test('an unreachable director exits 2 with one line and no stack trace', async () => {
  const port = await deadPort();
  const r = await cli(['who', '--json', '--director', `127.0.0.1:${port}`]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, new RegExp(`^mail-director who: cannot reach director at 127\\.0\\.0\\.1:${port}: [^\\n]+\\n$`));
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.doesNotMatch(r.stderr, /Resolution note/);
});

test('usage errors exit 64 with the usage text', async () => {
  const missing = await cli(['user', 'kick', '--director', director]);
  assert.equal(missing.code, 64);
  assert.match(missing.stderr, /^mail-director user kick: missing argument USER\nusage: mail-director user kick \[options\] USER\n/);
  const badAddress = await cli(['status', '--director', 'nonsense']);
  assert.equal(badAddress.code, 64);
  assert.match(badAddress.stderr, /--director must be HOST:PORT/);
  const halfTls = await cli(['status', '--director', director, '--ca', pki.clientFiles.ca]);
  assert.equal(halfTls.code, 64);
  assert.match(halfTls.stderr, /mTLS needs all of --ca, --cert and --key/);
  const notPem = await cli(['status', '--director', director, '--ca', join(REPO, 'package.json'), '--cert', pki.clientFiles.cert, '--key', pki.clientFiles.key]);
  assert.equal(notPem.code, 64);
  assert.match(notPem.stderr, /^mail-director status: --ca .*package\.json is not a PEM file\n/);
  const keyIsCert = await cli(['status', '--director', director, '--ca', pki.clientFiles.ca, '--cert', pki.clientFiles.cert, '--key', pki.clientFiles.cert]);
  assert.equal(keyIsCert.code, 64, keyIsCert.stderr);
  assert.match(keyIsCert.stderr, /^mail-director status: unusable TLS files: [^\n]+\n$/);
  const missingFile = await cli(['status', '--director', director, '--ca', join(tmp, 'nope.crt'), '--cert', pki.clientFiles.cert, '--key', pki.clientFiles.key]);
  assert.equal(missingFile.code, 64);
  assert.match(missingFile.stderr, /cannot read --ca .*nope\.crt: ENOENT/);
});

test('--help prints usage with the JSON fields and exits 0', async () => {
  const r = await cli(['who', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^usage: mail-director who \[options\] \[USER_MASK\]/);
  assert.match(r.stdout, /--json prints \{"sessions"/);
});

test('mTLS: a client certificate from the CA named in the admins is served', async () => {
  const { ca, cert, key } = pki.clientFiles;
  const r = await cli(['status', '--json', '--director', `127.0.0.1:${tlsServer.port}`, '--ca', ca, '--cert', cert, '--key', key]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).director_id, 'd1');
  const viaEnv = await cli(['status', '--json'], {
    MAIL_DIRECTOR_ADDR: `127.0.0.1:${tlsServer.port}`,
    MAIL_DIRECTOR_CA: ca,
    MAIL_DIRECTOR_CERT: cert,
    MAIL_DIRECTOR_KEY: key,
  });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
});

test('mTLS: plaintext clients and clients with an unknown CA are refused', async () => {
  const target = `127.0.0.1:${tlsServer.port}`;
  const plain = await cli(['status', '--director', target]);
  assert.equal(plain.code, 2);
  const { ca, cert, key } = pki.strangerFiles;
  const stranger = await cli(['status', '--director', target, '--ca', ca, '--cert', cert, '--key', key]);
  assert.equal(stranger.code, 2, stranger.stderr);
  assert.equal(stranger.stdout, '');
});

test('mTLS: a certificate from the CA that is not an admin is refused with exit 1, read-only calls too', async () => {
  const { ca, cert, key } = pki.memberFiles;
  const r = await cli(['status', '--director', `127.0.0.1:${tlsServer.port}`, '--ca', ca, '--cert', cert, '--key', key]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, `mail-director status: director at 127.0.0.1:${tlsServer.port} refused: permission denied: certificate "member" is not in grpc_tls.admins\n`);
});

test('a plaintext admin server refuses a non-loopback address', async () => {
  const service = createAdminService({
    directorId: 'd1',
    startedAt: STARTED_AT,
    registry,
    passdb,
    ring: () => new FakeRing([]),
    access: { tls: false, admins: () => [] },
    audit: { info: () => undefined, warn: () => undefined },
  });
  await assert.rejects(
    startAdminServer({ host: '0.0.0.0', port: 0 }, service, undefined),
    (err: unknown) => err instanceof GrpcServerError && err.kind === 'insecure_non_loopback',
  );
});

test('every admin command is exported once and found by its full name', () => {
  const names = adminCommands.map((c) => c.name.join(' '));
  assert.deepEqual(names, [
    'status', 'ring', 'ring add', 'ring remove', 'ring plan', 'backend add', 'backend remove', 'backend weight', 'backend up', 'backend down', 'backend flush',
    'who', 'user where', 'user kick', 'user move', 'auth cache flush',
  ]);
  assert.equal(findAdminCommand(['auth', 'cache', 'flush', 'u'])?.args[0], 'u');
  assert.equal(findAdminCommand(['user', 'where', 'u'])?.command.name.join(' '), 'user where');
  assert.equal(findAdminCommand(['user', 'frobnicate', 'u']), undefined);
});

// A child process proves the commands exit by themselves (no gRPC handle left
// open) and print no stack trace. src/cli/main.ts is the lead's; until it
// exists this drives the exported registry the way main.ts will.
const RUNNER = `
import { findAdminCommand } from './src/cli/commands/index.ts';
const found = findAdminCommand(process.argv.slice(1));
process.exitCode = await found.command.run(found.args, {
  stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), env: process.env,
});
`;

async function childCli(argv: readonly string[]): Promise<Captured> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', RUNNER, '--', ...argv],
      { cwd: REPO, timeout: 20_000, env: { ...process.env, MAIL_DIRECTOR_ADDR: '' } },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

test('as a child process: who --json works and unreachable exits 2 with one line', async () => {
  const [ok, dead] = await Promise.all([
    childCli(['who', 'alice*', '--json', '--director', director]),
    deadPort().then((port) => childCli(['status', '--director', `127.0.0.1:${port}`])),
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).sessions.length, 2);
  assert.equal(dead.code, 2);
  assert.equal(dead.stdout, '');
  assert.equal(dead.stderr.split('\n').filter(Boolean).length, 1, dead.stderr);
  assert.match(dead.stderr, /^mail-director status: cannot reach director at /);
});
