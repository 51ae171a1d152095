import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import { startCluster, type Cluster, type ClusterUser } from '../../harness/cluster.js';
import { startDirector, type DirectorHandle } from '../../harness/director.js';
import { loginOnce } from './imap-support.js';

// log.file as logrotate meets it: created 0640, reopened by name on SIGUSR1
// (rename, signal, new lines in a new file), and log.level applied by SIGHUP.

let dir: string;
let cluster: Cluster;
let user: ClusterUser;

before(async () => {
  // The test runner's umask (022) would leave 0644 alone: the mode must come from the director.
  process.umask(0o022);
  dir = await mkdtemp(join(tmpdir(), 'ops-log-file-'));
  cluster = await startCluster({ dir, backends: 1, directors: 0, users: 4 });
  const ring = cluster.usersOfKind('ring')[0];
  assert.ok(ring);
  user = ring;
});

after(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

function start(id: string, extra: Record<string, unknown> = {}): Promise<DirectorHandle> {
  return startDirector({
    dir: join(dir, id),
    id,
    ca: cluster.ca,
    ldap: cluster.slapd,
    backends: cluster.backends,
    listen: ['imap'],
    overrides: { log: { file: join(dir, id, 'log', 'director.log'), level: 'info' }, ...extra },
  });
}

function readLines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  } catch {
    return [];
  }
}

async function waitFor(file: string, re: RegExp, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = readLines(file).find((l) => re.test(l));
    if (line !== undefined) return line;
    if (Date.now() > deadline) throw new Error(`no line matching ${re} in ${file}:\n${readLines(file).slice(-5).join('\n')}`);
    await sleep(50);
  }
}

test('log.file is created 0640 and SIGUSR1 reopens it by name after a rename', async () => {
  const d = await start('d1');
  const file = join(dir, 'd1', 'log', 'director.log');
  try {
    await waitFor(file, /"msg":"director started"/);
    assert.equal(statSync(file).mode & 0o777, 0o640);

    const rotated = `${file}.1`;
    await rename(file, rotated);
    process.kill(d.pid, 'SIGUSR1');
    await waitFor(file, /"msg":"log file reopened"/);
    assert.equal(statSync(file).mode & 0o777, 0o640);

    assert.match(await loginOnce(d, user.name, user.password), /^OK /);
    await waitFor(file, new RegExp(`"user":"${user.name}".*"msg":"proxied login"`));
    assert.ok(!readLines(rotated).some((l) => l.includes('proxied login')), 'nothing new in the renamed file');
    assert.ok(readLines(rotated).some((l) => l.includes('director started')), 'the renamed file keeps what it had');
  } finally {
    await d.stop();
  }
});

test('SIGHUP applies log.level: debug lines appear after the reload, and stop after the next', async () => {
  const d = await start('d2');
  const file = join(dir, 'd2', 'log', 'director.log');
  const setLevel = async (level: string): Promise<void> => {
    const config = parse(await readFile(d.configFile, 'utf8')) as { log: { level: string } };
    config.log.level = level;
    await writeFile(d.configFile, stringify(config), { mode: 0o600 });
    const before = readLines(file).filter((l) => l.includes('configuration reloaded')).length;
    process.kill(d.pid, 'SIGHUP');
    const deadline = Date.now() + 5000;
    while (readLines(file).filter((l) => l.includes('configuration reloaded')).length === before) {
      assert.ok(Date.now() < deadline, 'reloaded');
      await sleep(50);
    }
  };
  const debugLines = (): number => readLines(file).filter((l) => l.includes('"level":"debug"')).length;
  try {
    await waitFor(file, /"msg":"director started"/);
    assert.match(await loginOnce(d, user.name, user.password), /^OK /);
    await waitFor(file, /"msg":"session end"/);
    assert.equal(debugLines(), 0, 'none at info');

    await setLevel('debug');
    assert.match(await loginOnce(d, user.name, user.password), /^OK /);
    await waitFor(file, /"level":"debug"/);

    await setLevel('info');
    const atInfo = debugLines();
    assert.match(await loginOnce(d, user.name, user.password), /^OK /);
    await sleep(500);
    assert.equal(debugLines(), atInfo, 'no debug lines once back at info');
  } finally {
    await d.stop();
  }
});

test('with workers, SIGUSR1 to the main process reopens the workers\' log too', async () => {
  const d = await start('d3', { director: { workers: 2 } });
  const file = join(dir, 'd3', 'log', 'director.log');
  try {
    await waitFor(file, /"msg":"director started"/);
    await rename(file, `${file}.1`);
    process.kill(d.pid, 'SIGUSR1');
    await waitFor(file, /"msg":"log file reopened"/);
    // The kernel hands connections to either worker (not always evenly): log in until both have logged.
    const workers = new Set<number>();
    for (let i = 0; i < 20 && workers.size < 2; i++) {
      assert.match(await loginOnce(d, user.name, user.password), /^OK /);
      await sleep(250);
      for (const l of readLines(file)) {
        const m = /"worker":(\d+).*"msg":"proxied login"/.exec(l);
        if (m !== null) workers.add(Number(m[1]));
      }
    }
    assert.ok(workers.size >= 1, 'worker lines in the new file');
    assert.ok(!readLines(`${file}.1`).some((l) => l.includes('proxied login')), 'no login line in the renamed file');
  } finally {
    await d.stop();
  }
});
