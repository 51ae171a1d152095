import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCluster, type Cluster } from '../../harness/cluster.js';
import { REPO_ROOT, directorCommand, type DirectorHandle } from '../../harness/director.js';
import { killPid, waitForPort } from '../../harness/process.js';
import { LineClient } from '../support/line-client.js';

// SIGTERM: stop accepting, let relayed sessions run for shutdown_grace, then close them and exit 0.

const GRACE_MS = 2000;

let dir: string;
let cluster: Cluster;
/** Our own director process, so its exit code can be seen. */
let child: ChildProcess | undefined;
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;
let pop3Port: number;
let httpPort: number;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ops-drain-'));
  cluster = await startCluster({ dir, backends: 1, directors: 1, users: 6, directorOverrides: { director: { shutdown_grace: '2s' } } });
  const harnessDirector = cluster.directors[0] as DirectorHandle;
  // Same config and ports, but started here.
  await harnessDirector.stop();
  pop3Port = harnessDirector.pop3 ?? 0;
  httpPort = harnessDirector.http ?? 0;
  const { command, args } = directorCommand(harnessDirector.configFile, 'd1');
  const fd = openSync(join(dir, 'drain-director.log'), 'a');
  try {
    child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const proc = child;
  exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal, atMs: Date.now() })));
  await waitForPort('127.0.0.1', pop3Port, 20_000, { alive: () => proc.exitCode === null, what: 'drain director' });
});

after(async () => {
  if (child?.pid !== undefined && child.exitCode === null) await killPid(child.pid, 'SIGKILL', { group: false });
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

function connectOutcome(port: number): Promise<'refused' | 'closed' | 'greeted'> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    let data = '';
    s.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      if (data.includes('\n')) {
        s.destroy();
        resolve('greeted');
      }
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED' ? 'refused' : 'closed'));
    s.once('close', () => resolve('closed'));
    setTimeout(() => {
      s.destroy();
      resolve('greeted');
    }, 1000).unref();
  });
}

test('SIGTERM drains: the session works during the grace, new connections are refused, exit 0', async () => {
  const u = cluster.usersOfKind('ring')[0];
  assert.ok(u !== undefined && child?.pid !== undefined);
  const c = await LineClient.connect('127.0.0.1', pop3Port);
  assert.match(await c.line(), /^\+OK/);
  c.write(`USER ${u.name}\r\nPASS ${u.password}\r\n`);
  assert.equal(await c.line(), '+OK');
  assert.match(await c.line(), /^\+OK Logged in\./);

  const serving = await fetch(`http://127.0.0.1:${httpPort}/status`);
  assert.equal(serving.status, 200);
  assert.equal(((await serving.json()) as { draining: boolean }).draining, false);

  const signalledAt = Date.now();
  child.kill('SIGTERM');
  await sleep(300);
  assert.equal(await connectOutcome(pop3Port), 'refused');
  // A load balancer's health check must take the draining director out.
  const draining = await fetch(`http://127.0.0.1:${httpPort}/status`);
  assert.equal(draining.status, 503);
  assert.equal(((await draining.json()) as { draining: boolean }).draining, true);
  const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  assert.match(metrics, /^maildirector_draining 1$/m);
  assert.match(metrics, /^maildirector_sessions\{protocol="pop3",backend="b1"\} 1$/m);
  for (const at of [600, 1400]) {
    await sleep(Math.max(0, signalledAt + at - Date.now()));
    assert.ok(!c.closed, `session closed ${Date.now() - signalledAt} ms into the grace`);
    c.write('STAT\r\n');
    assert.match(await c.line(), /^\+OK \d+ \d+$/, 'relayed session stopped working during the grace');
  }

  const exit = await Promise.race([exited, sleep(GRACE_MS + 5000).then(() => undefined)]);
  assert.ok(exit !== undefined, 'director did not exit after the grace');
  assert.equal(exit.code, 0, `exit ${String(exit.code)} signal ${String(exit.signal)}`);
  assert.ok(exit.atMs - signalledAt >= GRACE_MS - 200, `exited ${exit.atMs - signalledAt} ms after SIGTERM, before the grace ended`);
  await c.waitClosed(2000);
});
