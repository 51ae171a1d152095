import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { claimSocketPath, ownSocketFile, removeSocketFile } from '../../../src/net/unix-socket.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'md-unix-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function listen(path: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((s) => s.destroy());
    server.once('error', reject);
    server.listen({ path }, () => resolve(server));
  });
}

test('a socket file left by a crashed process is replaced; a live one, a plain file and a missing directory are refused', async (t) => {
  const dir = tempDir(t);
  const stale = join(dir, 'stale');
  // A process that binds and is then killed leaves its socket file behind.
  const crashed = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`]);
  assert.equal(crashed.signal, 'SIGKILL');
  assert.ok(statSync(stale).isSocket());
  await claimSocketPath(stale);
  assert.equal(existsSync(stale), false);
  const server = await listen(stale);
  t.after(() => server.close());

  await assert.rejects(claimSocketPath(stale), /another process listens there/);
  const plain = join(dir, 'plain');
  writeFileSync(plain, 'keep me');
  await assert.rejects(claimSocketPath(plain), /exists and is not a socket/);
  assert.ok(existsSync(plain));
  await assert.rejects(claimSocketPath(join(dir, 'nowhere', 'lmtp')), /is not a directory/);
  await claimSocketPath(join(dir, 'free'));
});

test('the mode is applied; removal leaves a socket file that another process bound since', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'lmtp');
  const first = await listen(path);
  const owned = await ownSocketFile(path, 0o666);
  assert.equal(statSync(path).mode & 0o777, 0o666);
  // A listener closed by the process itself takes its file with it; a successor binds anew.
  await new Promise((resolve) => first.close(resolve));
  const second = await listen(path);
  t.after(() => second.close());
  await removeSocketFile(owned);
  assert.ok(existsSync(path), "the successor's socket stays");
  const mine = await ownSocketFile(path, 0o660);
  await removeSocketFile(mine);
  assert.equal(existsSync(path), false);
});
