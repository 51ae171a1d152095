import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Relay } from '../../../src/relay/relay.js';

/** A connected socket pair over loopback: [the side the relay holds, the far end]. */
async function pair(): Promise<[Socket, Socket]> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const far = connect(address.port, '127.0.0.1');
  const [near] = await accepted;
  await once(far, 'connect');
  server.close();
  return [near, far];
}

function collect(socket: Socket): { data: () => Buffer; ended: Promise<unknown> } {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  return { data: () => Buffer.concat(chunks), ended: once(socket, 'close') };
}

test('pending bytes go first, then 8 MB each way arrive intact, and counts add up', async () => {
  const [clientNear, clientFar] = await pair();
  const [backendNear, backendFar] = await pair();
  const atClient = collect(clientFar);
  const atBackend = collect(backendFar);
  const relay = new Relay(clientNear, backendNear, {
    clientPending: Buffer.from('C-PENDING'),
    backendPending: Buffer.from('B-PENDING'),
    idleTimeoutMs: 10_000,
  });
  const up = randomBytes(8 << 20);
  const down = randomBytes(8 << 20);
  clientFar.write(up);
  backendFar.write(down);
  const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
  const deadline = Date.now() + 10_000;
  while ((atClient.data().length < down.length + 9 || atBackend.data().length < up.length + 9) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(sha(atClient.data()), sha(Buffer.concat([Buffer.from('B-PENDING'), down])));
  assert.equal(sha(atBackend.data()), sha(Buffer.concat([Buffer.from('C-PENDING'), up])));
  clientFar.end();
  const result = await relay.done;
  assert.equal(result.end, 'client_closed');
  assert.equal(result.bytesFromClient, up.length + 9);
  assert.equal(result.bytesFromBackend, down.length + 9);
  await atBackend.ended;
});

test('the backend closing closes the client after its last bytes', async () => {
  const [clientNear, clientFar] = await pair();
  const [backendNear, backendFar] = await pair();
  const atClient = collect(clientFar);
  const relay = new Relay(clientNear, backendNear, { clientPending: Buffer.alloc(0), backendPending: Buffer.alloc(0), idleTimeoutMs: 10_000 });
  backendFar.end('* BYE bye\r\n');
  await atClient.ended;
  assert.equal(atClient.data().toString(), '* BYE bye\r\n');
  assert.equal((await relay.done).end, 'backend_closed');
});

test('a kick tells the client why and closes both sides', async () => {
  const [clientNear, clientFar] = await pair();
  const [backendNear, backendFar] = await pair();
  const atClient = collect(clientFar);
  const atBackend = collect(backendFar);
  const relay = new Relay(clientNear, backendNear, { clientPending: Buffer.alloc(0), backendPending: Buffer.alloc(0), idleTimeoutMs: 10_000 });
  relay.kick('* BYE Kicked\r\n');
  await Promise.all([atClient.ended, atBackend.ended]);
  assert.equal(atClient.data().toString(), '* BYE Kicked\r\n');
  assert.equal((await relay.done).end, 'kicked');
});

test('no bytes either way for the idle timeout closes both sides; traffic keeps it open', async () => {
  const [clientNear, clientFar] = await pair();
  const [backendNear, backendFar] = await pair();
  const atClient = collect(clientFar);
  collect(backendFar);
  const relay = new Relay(clientNear, backendNear, { clientPending: Buffer.alloc(0), backendPending: Buffer.alloc(0), idleTimeoutMs: 300 });
  // Backend-only traffic (an IDLE session's untagged updates) counts as activity.
  for (let i = 0; i < 5; i++) {
    backendFar.write('* 1 EXISTS\r\n');
    await new Promise((r) => setTimeout(r, 150));
  }
  assert.equal(clientFar.destroyed, false);
  await atClient.ended;
  assert.equal((await relay.done).end, 'idle_timeout');
});

test('regression: a client gone before the relay starts closes the backend at once (no session left logged in)', async () => {
  const [clientNear, clientFar] = await pair();
  const [backendNear, backendFar] = await pair();
  const atBackend = collect(backendFar);
  clientFar.destroy();
  await once(clientNear, 'close');
  const relay = new Relay(clientNear, backendNear, { clientPending: Buffer.alloc(0), backendPending: Buffer.alloc(0), idleTimeoutMs: 60_000 });
  await atBackend.ended;
  assert.equal((await relay.done).end, 'client_closed');
});

test('regression: a client that sent FIN before the relay starts closes the backend', async () => {
  const [clientNear, clientFar] = await pair();
  const [backendNear, backendFar] = await pair();
  const atBackend = collect(backendFar);
  clientNear.resume();
  clientFar.end();
  await once(clientNear, 'end');
  const relay = new Relay(clientNear, backendNear, { clientPending: Buffer.alloc(0), backendPending: Buffer.alloc(0), idleTimeoutMs: 60_000 });
  await atBackend.ended;
  assert.equal((await relay.done).end, 'client_closed');
});
