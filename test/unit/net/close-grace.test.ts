import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { CLOSE_GRACE_MS, destroyAfterGrace, socketsInGrace } from '../../../src/net/close-grace.js';

async function pair(): Promise<{ near: Socket; far: Socket; close: () => void }> {
  let near: Socket | undefined;
  const server = createServer((s) => (near = s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  const far = connect(address.port, '127.0.0.1');
  await once(far, 'connect');
  while (near === undefined) await new Promise((r) => setTimeout(r, 5));
  return { near, far, close: () => server.close() };
}

/** Resolves when `socket` closes; rejects after `ms` (so a socket left open fails the test instead of hanging it). */
function closed(socket: Socket, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

test('an ended socket whose peer never closes is destroyed after the grace, one that closes in time is left alone', async () => {
  const stuck = await pair();
  const polite = await pair();
  // The polite peer closes as soon as it sees our end; the stuck one never does.
  polite.far.on('end', () => polite.far.end());
  polite.far.resume();
  stuck.far.pause();
  const started = Date.now();
  for (const p of [stuck, polite]) {
    p.near.on('error', () => undefined);
    p.near.end('* BYE\r\n');
    destroyAfterGrace(p.near);
  }
  assert.equal(socketsInGrace(), 2);
  await closed(polite.near, CLOSE_GRACE_MS);
  assert.ok(Date.now() - started < CLOSE_GRACE_MS, 'the polite pair closed by itself');
  assert.equal(stuck.near.destroyed, false, 'the stuck socket waits out its grace');
  await closed(stuck.near, CLOSE_GRACE_MS * 2);
  const waited = Date.now() - started;
  assert.ok(waited >= CLOSE_GRACE_MS - 50 && waited < CLOSE_GRACE_MS + 1500, `destroyed after ${waited} ms`);
  // Both entries are gone and the shared timer with them (it would keep no process alive anyway: unref).
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(socketsInGrace(), 0);
  stuck.far.destroy();
  polite.far.destroy();
  stuck.close();
  polite.close();
});
