import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULTS } from '../../../src/config/sections.js';
import { REPO_ROOT } from '../../harness/director.js';

// packaging/mail-director.service checked by systemd's own tools (no systemd
// runs as PID 1 here: verify and security --offline read the file alone).

const UNIT = join(REPO_ROOT, 'packaging/mail-director.service');

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function exec(command: string, args: readonly string[], cwd: string): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(command, [...args], { cwd, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

/** The unit's Key=Value lines (last one wins, as for systemd's single-value keys). */
function directives(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m !== null) out.set(m[1] ?? '', m[2] ?? '');
  }
  return out;
}

let dir: string;
let unitCopy: string;
const unit = directives(readFileSync(UNIT, 'utf8'));

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-systemd-'));
  // verify wants ExecStart's program to exist: this checkout's command stands in for /usr/local/bin's.
  const text = (await readFile(UNIT, 'utf8')).replace('/usr/local/bin/mail-director', join(REPO_ROOT, 'bin/mail-director'));
  assert.notEqual(text, await readFile(UNIT, 'utf8'), 'ExecStart names /usr/local/bin/mail-director');
  unitCopy = join(dir, 'mail-director.service');
  await writeFile(unitCopy, text);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('systemd-analyze verify accepts the unit', async () => {
  const out = await exec('systemd-analyze', ['verify', unitCopy], dir);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stderr.trim(), '', 'no warnings');
});

test('it runs as its own user with CAP_NET_BIND_SERVICE and no other capability', () => {
  assert.equal(unit.get('User'), 'mail-director');
  assert.equal(unit.get('Group'), 'mail-director');
  assert.equal(unit.get('AmbientCapabilities'), 'CAP_NET_BIND_SERVICE');
  assert.equal(unit.get('CapabilityBoundingSet'), 'CAP_NET_BIND_SERVICE');
  assert.equal(unit.get('NoNewPrivileges'), 'yes');
});

test('reload is SIGHUP; stop is SIGTERM to the main process with time for the drain', () => {
  assert.equal(unit.get('ExecReload'), '/bin/kill -HUP $MAINPID');
  assert.equal(unit.get('KillSignal'), 'SIGTERM');
  assert.equal(unit.get('KillMode'), 'mixed');
  const stop = /^(\d+)s$/.exec(unit.get('TimeoutStopSec') ?? '');
  assert.ok(stop !== null, 'TimeoutStopSec in seconds');
  // The drain is shutdown_grace, then the workers' own exit (hub.ts gives them 5 s more).
  assert.ok(Number(stop[1]) * 1000 >= DEFAULTS.shutdownGraceMs + 10_000, `TimeoutStopSec ${stop[1]}s`);
  assert.ok(Number(unit.get('LimitNOFILE')) >= 65_536, 'a raised file limit');
});

test('hardened: a read-only system with the state, log and runtime folders writable', async () => {
  assert.equal(unit.get('ProtectSystem'), 'strict');
  assert.equal(unit.get('StateDirectory'), 'mail-director');
  assert.equal(unit.get('LogsDirectory'), 'mail-director');
  assert.equal(unit.get('RuntimeDirectory'), 'mail-director');
  assert.equal(unit.get('ConfigurationDirectory'), 'mail-director');
  const out = await exec('systemd-analyze', ['security', '--offline=true', '--no-pager', unitCopy], dir);
  const level = /Overall exposure level for \S+: ([\d.]+)/.exec(out.stdout);
  assert.ok(level !== null, out.stdout + out.stderr);
  // systemd rates 0-2 "OK"; a default unit is 9.6 "UNSAFE".
  assert.ok(Number(level[1]) <= 2.0, `exposure ${level[1]}`);
});

test('systemd-sysusers makes the mail-director user and group from the shipped snippet', async () => {
  const root = join(dir, 'root');
  await mkdir(join(root, 'etc'), { recursive: true });
  const out = await exec('systemd-sysusers', [`--root=${root}`, join(REPO_ROOT, 'packaging/mail-director.sysusers')], dir);
  assert.equal(out.code, 0, out.stderr);
  assert.match(await readFile(join(root, 'etc/passwd'), 'utf8'), /^mail-director:x:\d+:\d+:[^:]*:\/var\/lib\/mail-director:\/usr\/sbin\/nologin$/m);
  assert.match(await readFile(join(root, 'etc/group'), 'utf8'), /^mail-director:x:\d+:/m);
});
