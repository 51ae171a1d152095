import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import { startCluster, type Cluster, type ClusterUser } from '../../harness/cluster.js';
import { DIRECTOR_CLI_ARGS, REPO_ROOT, type DirectorHandle } from '../../harness/director.js';
import { freePort } from '../../harness/ports.js';
import { LineClient } from '../support/line-client.js';

// Config problems as an operator meets them: `config check`, `serve`, SIGHUP.

let dir: string;
let cluster: Cluster;
let director: DirectorHandle;
let goodYaml: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ops-config-'));
  cluster = await startCluster({ dir, backends: 1, directors: 1, users: 6 });
  director = cluster.directors[0] as DirectorHandle;
  goodYaml = await readFile(director.configFile, 'utf8');
});

after(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(args: readonly string[], timeoutMs = 20_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...DIRECTOR_CLI_ARGS, ...args], { cwd: REPO_ROOT, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Six problems on known lines; listen.pop3 itself is fine, so `serve` would open it if it went ahead. */
function brokenYaml(pop3Port: number): string {
  return [
    'director:', //                                   1
    '  id: d1', //                                    2
    '  trusted_networks: [10.0.0.0/33]', //           3
    '  shutdown_grace: 2 parsecs', //                 4
    'listen:', //                                     5
    `  pop3: 127.0.0.1:${pop3Port}`, //               6
    '  imap: 127.0.0.1:notaport', //                  7
    'passdb:', //                                     8
    '  driver: ldap', //                              9
    '  uris: [ldap://127.0.0.1:389]', //              10
    '  base: dc=example,dc=org', //                   11
    '  timout: 5s', //                                12
    'ring:', //                                       13
    '  backends:', //                                 14
    '    - { id: b1, host: 127.0.0.11, weight: -3 }', // 15
    '',
  ].join('\n');
}

/** [line, key] of every problem in brokenYaml. */
const EXPECTED: ReadonlyArray<readonly [number, string]> = [
  [3, 'director.trusted_networks[0]'],
  [4, 'director.shutdown_grace'],
  [7, 'listen.imap'],
  [8, 'passdb.filter'],
  [12, 'passdb.timout'],
  [15, 'ring.backends[0].weight'],
];

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function assertProblems(file: string, output: string): void {
  const lines = output.split('\n').filter((l) => l !== '');
  for (const [line, key] of EXPECTED) {
    const re = new RegExp(`^${escape(file)}:${line}:\\d+: ${escape(key)}: \\S.*$`);
    assert.ok(lines.some((l) => re.test(l)), `no problem line for ${key} at line ${line} in:\n${output}`);
  }
  assert.equal(lines.length, EXPECTED.length, `expected exactly the ${EXPECTED.length} problems:\n${output}`);
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function pop3Login(u: ClusterUser): Promise<string> {
  const c = await LineClient.connect('127.0.0.1', director.pop3 ?? 0);
  try {
    assert.match(await c.line(), /^\+OK/);
    const first = await (async () => {
      c.write(`USER ${u.name}\r\n`);
      return c.line();
    })();
    if (!first.startsWith('+OK')) return first;
    c.write(`PASS ${u.password}\r\n`);
    const reply = await c.line(8000);
    if (reply.startsWith('+OK')) {
      c.write('QUIT\r\n');
      await c.line();
    }
    return reply;
  } finally {
    c.close();
  }
}

async function waitForLog(pattern: RegExp, afterBytes: number, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = (await readFile(director.logFile)).subarray(afterBytes).toString('utf8');
    const line = text.split('\n').find((l) => pattern.test(l));
    if (line !== undefined) return line;
    if (Date.now() > deadline) throw new Error(`no log line matching ${pattern} in:\n${text}`);
    await sleep(50);
  }
}

async function logSize(): Promise<number> {
  return (await readFile(director.logFile)).length;
}

test('config check lists every problem as FILE:LINE:COL: KEY: message and exits non-zero', async () => {
  const file = join(dir, 'broken.yaml');
  await writeFile(file, brokenYaml(await freePort()));
  const run = await cli(['config', 'check', file]);
  assert.notEqual(run.code, 0);
  assertProblems(file, run.stderr + run.stdout);

  // And a good file passes.
  const ok = await cli(['config', 'check', director.configFile]);
  assert.equal(ok.code, 0, ok.stderr);
});

test('serve with a broken config exits non-zero with the same messages and does not listen', async () => {
  const file = join(dir, 'broken-serve.yaml');
  const port = await freePort();
  await writeFile(file, brokenYaml(port));
  const started = Date.now();
  const run = await cli(['serve', '--config', file, '--id', 'd1'], 15_000);
  assert.ok(Date.now() - started < 15_000, 'serve did not exit');
  assert.notEqual(run.code, 0);
  assert.ok(run.code > 0, `exit code ${run.code}: killed rather than exited`);
  assertProblems(file, run.stderr);
  assert.equal(await listening(port), false);
});

test('SIGHUP with a broken file keeps the running config', async () => {
  const u = cluster.usersOfKind('ring')[0];
  assert.ok(u !== undefined);
  const from = await logSize();
  await writeFile(director.configFile, `${goodYaml}\nbogus_section: {}\npassdb:\n  timeout: soon\n`);
  try {
    process.kill(director.pid, 'SIGHUP');
    await waitForLog(/reload refused/, from);
    assert.match(await pop3Login(u), /^\+OK Logged in\./);
  } finally {
    await writeFile(director.configFile, goodYaml);
  }
});

test('SIGHUP with a good changed file takes effect (trusted_networks)', async () => {
  const u = cluster.usersOfKind('ring')[1];
  assert.ok(u !== undefined);
  assert.match(await pop3Login(u), /^\+OK Logged in\./, 'loopback is trusted before the reload');
  const doc = parse(goodYaml) as { director: Record<string, unknown> };
  doc.director['trusted_networks'] = ['10.0.0.0/8'];
  const from = await logSize();
  await writeFile(director.configFile, stringify(doc));
  try {
    process.kill(director.pid, 'SIGHUP');
    await waitForLog(/configuration reloaded/, from);
    assert.equal(await pop3Login(u), '-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.');
  } finally {
    // Back to the original, so the file can be reused and the director trusts loopback again.
    await writeFile(director.configFile, goodYaml);
    const again = await logSize();
    process.kill(director.pid, 'SIGHUP');
    await waitForLog(/configuration reloaded/, again);
  }
  assert.match(await pop3Login(u), /^\+OK Logged in\./);
});
