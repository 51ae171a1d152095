import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distIsFresh, REPO_ROOT } from '../../harness/director.js';
import { freePort } from '../../harness/ports.js';
import { spawnLogged, waitForPort } from '../../harness/process.js';
import { LineClient } from '../../harness/lines.js';

// The one installable artefact: `npm pack`, then `npm install -g` of the
// tarball into a fresh prefix, and the installed command run from there.

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function exec(command: string, args: readonly string[], cwd: string, timeoutMs = 120_000): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(command, [...args], { cwd, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
const RING = ['ring:', '  backends:', '    - { id: b1, host: 127.0.0.11 }'];
let dir: string;
let tarball: string;
let entries: string[];
let command: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-packaging-'));
  // prepack runs scripts/build; a dist/ already built from these sources is what it would make.
  const pack = await exec('npm', ['pack', '--pack-destination', dir, ...(distIsFresh() ? ['--ignore-scripts'] : [])], REPO_ROOT, 180_000);
  assert.equal(pack.code, 0, pack.stderr);
  tarball = join(dir, `mail-director-${pkg.version}.tgz`);
  const list = await exec('tar', ['tzf', tarball], dir);
  entries = list.stdout.split('\n').filter((l) => l !== '');
  const prefix = join(dir, 'prefix');
  // The registry is reachable, but the dependencies are in npm's cache already: prefer it.
  const install = await exec('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], dir, 180_000);
  assert.equal(install.code, 0, install.stderr);
  command = join(prefix, 'bin', 'mail-director');
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('the tarball ships the compiled JavaScript, the proto files and the unit, and no TypeScript sources', () => {
  for (const file of ['package/bin/mail-director', 'package/dist/src/cli/main.js', 'package/dist/src/auth/crypt-worker.js', 'package/proto/maildirector/admin/v1/admin.proto', 'package/packaging/mail-director.service']) {
    assert.ok(entries.includes(file), `${file} in the tarball`);
  }
  assert.deepEqual(entries.filter((e) => e.endsWith('.ts') || e.startsWith('package/src/') || e.startsWith('package/test/')), []);
  assert.ok(!('tsx' in pkg.dependencies), 'tsx is a devDependency');
});

test('npm install -g gives a mail-director command that runs dist/ without tsx', () => {
  assert.ok(existsSync(command), command);
  const installed = join(dir, 'prefix/lib/node_modules/mail-director');
  assert.ok(existsSync(join(installed, 'dist/src/cli/main.js')));
  assert.ok(!existsSync(join(installed, 'node_modules/tsx')), 'tsx is not installed');
  assert.ok(!existsSync(join(installed, 'node_modules/typescript')), 'typescript is not installed');
});

test('mail-director --version prints the package version', async () => {
  const out = await exec(command, ['--version'], dir);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, `mail-director ${pkg.version}\n`);
});

test('config check from the installed copy: OK for a valid file, file:line:col: key for a broken one', async () => {
  await writeFile(join(dir, 'users.passwd'), 'user1:{PLAIN}secret1::::::host=127.0.0.11\n', { mode: 0o640 });
  const good = join(dir, 'good.yaml');
  await writeFile(good, ['director:', '  id: d1', 'listen:', '  imap: 127.0.0.1:10143', 'passdb:', '  driver: passwd-file', '  path: users.passwd', ...RING, ''].join('\n'), { mode: 0o640 });
  const ok = await exec(command, ['config', 'check', good], dir);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, `${good}: OK\n`);

  const bad = join(dir, 'bad.yaml');
  await writeFile(bad, ['director:', '  id: d1', 'listen:', '  imap: 127.0.0.1:99999', 'limits:', '  idle_timout: 5m', ''].join('\n'), { mode: 0o640 });
  const refused = await exec(command, ['config', 'check', bad], dir);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, new RegExp(`^${bad}:4:9: listen\\.imap: `, 'm'));
  assert.match(refused.stderr, new RegExp(`^${bad}:6:3: limits\\.idle_timout: unknown key; did you mean "idle_timeout"\\?`, 'm'));
});

test('the installed copy serves: an IMAP greeting, and SIGTERM ends it', async () => {
  const port = await freePort('127.0.0.1');
  const config = join(dir, 'serve.yaml');
  await writeFile(config, ['director:', '  id: d1', 'listen:', `  imap: 127.0.0.1:${port}`, 'passdb:', '  driver: passwd-file', '  path: users.passwd', ...RING, ''].join('\n'), { mode: 0o640 });
  const logFile = join(dir, 'serve.log');
  const proc = spawnLogged({ name: 'installed director', command, args: ['serve', '--config', config], logFile, cwd: dir });
  try {
    await waitForPort('127.0.0.1', port, 20_000, { alive: proc.alive, what: 'installed director', logFile });
    // bin/mail-director exec'd node on the compiled main.js: no tsx loader on the command line.
    const argv = readFileSync(`/proc/${proc.pid}/cmdline`, 'utf8').split('\0');
    assert.ok(argv.some((a) => a.endsWith('lib/node_modules/mail-director/dist/src/cli/main.js')), argv.join(' '));
    assert.ok(!argv.some((a) => a.includes('tsx')), argv.join(' '));
    const client = await LineClient.connect('127.0.0.1', port);
    try {
      assert.match((await client.readUntil((l) => l.startsWith('* '))).at(-1) ?? '', /^\* OK /);
    } finally {
      client.close();
    }
  } finally {
    await proc.stop(10_000);
  }
});
