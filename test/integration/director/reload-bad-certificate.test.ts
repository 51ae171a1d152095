import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import { createCa, issueCert } from '../../harness/certs.js';
import { startCluster, type Cluster } from '../../harness/cluster.js';
import { DIRECTOR_CLI_ARGS, REPO_ROOT, type DirectorHandle } from '../../harness/director.js';
import type { LineClient } from '../support/line-client.js';
import { command, lastLine, login, openImap } from './imap-support.js';

// Regression: a SIGHUP with a broken certificate or key killed the director
// (an OpenSSL exception escaped the signal handler) and every session with it.

let dir: string;
let cluster: Cluster;
let director: DirectorHandle;
let goodYaml: string;
let junk: string;
let strayKey: string;
let idle: LineClient;

type Yaml = Record<string, Record<string, unknown>>;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reload-cert-'));
  cluster = await startCluster({ dir, backends: 1, directors: 1, users: 4 });
  director = cluster.directors[0] as DirectorHandle;
  goodYaml = await readFile(director.configFile, 'utf8');
  junk = join(dir, 'junk.pem');
  await writeFile(junk, 'not a certificate\n');
  // A real key of a real certificate, from another CA: right format, wrong pair.
  const otherCa = await createCa(join(dir, 'other-ca'), 'other-ca');
  strayKey = (await issueCert(otherCa, join(dir, 'other'), 'other', { ips: ['127.0.0.1'], dns: [] })).key;

  const u = cluster.usersOfKind('ring')[0];
  assert.ok(u !== undefined);
  idle = (await openImap(director)).client;
  assert.match(await login(idle, u.name, u.password), /^a1 OK/);
  assert.match(lastLine(await command(idle, 'a2', 'SELECT INBOX')), /^a2 OK/);
  idle.write('a3 IDLE\r\n');
  assert.match(await idle.line(), /^\+ idling/);
});

after(async () => {
  idle?.close();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

function withConfig(edit: (doc: Yaml) => void): string {
  const doc = parse(goodYaml) as Yaml;
  edit(doc);
  return stringify(doc);
}

/** Each broken file an operator can put under SIGHUP, and the key the refusal must name. */
function brokenConfigs(): ReadonlyArray<{ name: string; key: string; yaml: string }> {
  const good = parse(goodYaml) as Yaml;
  const tls = good['tls'] as { cert: string; key: string };
  return [
    { name: 'client certificate not PEM', key: 'tls.cert', yaml: withConfig((d) => void (d['tls']!['cert'] = junk)) },
    { name: 'client key not PEM', key: 'tls.key', yaml: withConfig((d) => void (d['tls']!['key'] = junk)) },
    { name: 'client key of another certificate', key: 'tls.key', yaml: withConfig((d) => void (d['tls']!['key'] = strayKey)) },
    { name: 'backend CA not PEM', key: 'backend_tls.ca', yaml: withConfig((d) => void (d['backend_tls']!['ca'] = junk)) },
    {
      name: 'backend client key of another certificate',
      key: 'backend_tls.client_key',
      yaml: withConfig((d) => void Object.assign(d['backend_tls']!, { client_cert: tls.cert, client_key: strayKey })),
    },
    {
      name: 'gRPC certificate not PEM',
      key: 'grpc_tls.cert',
      yaml: withConfig((d) => void (d['grpc_tls'] = { ca: cluster.ca.cert, cert: junk, key: tls.key })),
    },
  ];
}

async function logSize(): Promise<number> {
  return (await readFile(director.logFile)).length;
}

async function waitForLog(pattern: RegExp, afterBytes: number, timeoutMs = 8000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = (await readFile(director.logFile)).subarray(afterBytes).toString('utf8');
    const line = text.split('\n').find((l) => pattern.test(l));
    if (line !== undefined) return line;
    if (Date.now() > deadline) throw new Error(`no log line matching ${pattern} in:\n${text}`);
    await sleep(50);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function cli(args: readonly string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...DIRECTOR_CLI_ARGS, ...args], { cwd: REPO_ROOT, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, out: stdout + stderr });
    });
  });
}

test('SIGHUP with each kind of broken certificate or key: refused with file, line and key; the IDLE session survives', async () => {
  try {
    for (const broken of brokenConfigs()) {
      const from = await logSize();
      await writeFile(director.configFile, broken.yaml);
      process.kill(director.pid, 'SIGHUP');
      const refused = await waitForLog(/reload refused/, from);
      assert.ok(refused.includes(`${director.configFile}:`) && refused.includes(`: ${broken.key}: `), `${broken.name}: ${refused}`);
      assert.ok(alive(director.pid), `${broken.name}: the director died`);
    }
  } finally {
    await writeFile(director.configFile, goodYaml);
  }
  // Nothing was sent to the client meanwhile: no BYE, no EOF.
  await assert.rejects(idle.line(300), /timed out/);
  idle.write('DONE\r\n');
  assert.match(await idle.line(), /^a3 OK/);
  assert.match(lastLine(await command(idle, 'a4', 'NOOP')), /^a4 OK/);

  // TLS still served with the running certificate, and a good reload still works.
  const tlsClient = await openImap(director, { tls: true, ca: await readFile(cluster.ca.cert) });
  assert.match(tlsClient.greeting, /^\* OK/);
  tlsClient.client.close();
  const from = await logSize();
  process.kill(director.pid, 'SIGHUP');
  await waitForLog(/configuration reloaded/, from);
});

test('config check and serve name the broken certificate with file, line and key (exit 78 for serve)', async () => {
  const file = join(dir, 'bad-cert.yaml');
  await writeFile(file, withConfig((d) => void (d['tls']!['cert'] = junk)));
  const check = await cli(['config', 'check', file]);
  assert.notEqual(check.code, 0);
  assert.match(check.out, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: tls\\.cert: .*is not a PEM certificate`));

  const mismatch = join(dir, 'bad-key.yaml');
  await writeFile(mismatch, withConfig((d) => void (d['tls']!['key'] = strayKey)));
  const serve = await cli(['serve', '--config', mismatch, '--id', director.id]);
  assert.equal(serve.code, 78, serve.out);
  assert.match(serve.out, /:\d+:\d+: tls\.key: .*is not the key of the certificate in tls\.cert/);
});
