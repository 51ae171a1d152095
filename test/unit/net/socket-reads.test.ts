import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { allocatedReadBufferCount, lentReadBufferCount, markSharedReads, ownReadBufferCount, readInto, sharedReadOptions, stopReading } from '../../../src/net/socket-reads.js';
import { Relay } from '../../../src/relay/relay.js';

async function listen(onConnection: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onConnection);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return { server, port: address.port };
}

/** A backend-side socket as connectBackend makes it with sharedReads. */
async function sharedReadSocket(port: number): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1', ...sharedReadOptions() });
  markSharedReads(socket);
  await once(socket, 'connect');
  return socket;
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

test('shared-read sockets relay several streams at once intact, through fast and stalling clients', async () => {
  const STREAMS = 4;
  // More than loopback's socket buffers hold, so writes to a stalled client stay queued.
  const SIZE = 24 << 20;
  const payloads = Array.from({ length: STREAMS }, () => randomBytes(SIZE));
  // The "backend": connection i sends payload i (the first byte it reads says which).
  const backend = await listen((socket) => {
    socket.once('data', (first: Buffer) => {
      socket.end(payloads[first[0] as number] as Buffer);
    });
  });
  // The relay's client side, one pair at a time so each accepted socket is known to be ours.
  const accepted: Socket[] = [];
  const front = await listen((socket) => accepted.push(socket));
  const pairs: { far: Socket; near: Socket }[] = [];
  for (let i = 0; i < STREAMS; i++) {
    const far = connect(front.port, '127.0.0.1');
    await once(far, 'connect');
    while (accepted.length <= i) await new Promise((r) => setTimeout(r, 5));
    pairs.push({ far, near: accepted[i] as Socket });
  }

  const received = await Promise.all(
    pairs.map(async ({ far, near }, i) => {
      const upstream = await sharedReadSocket(backend.port);
      const relay = new Relay(near, upstream, { clientPending: Buffer.alloc(0), backendPending: Buffer.alloc(0), idleTimeoutMs: 20_000 });
      upstream.write(Buffer.from([i]));
      const chunks: Buffer[] = [];
      far.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        // Odd streams stall now and then, so writes to them stay queued and
        // the relay's read buffers are held by those writes.
        if (i % 2 === 1 && chunks.length % 20 === 0) {
          far.pause();
          setTimeout(() => far.resume(), 15);
        }
      });
      await once(far, 'end');
      far.end();
      const result = await relay.done;
      return { data: Buffer.concat(chunks), result };
    }),
  );
  received.forEach(({ data, result }, i) => {
    assert.equal(data.length, SIZE, `stream ${i} length`);
    assert.equal(sha(data), sha(payloads[i] as Buffer), `stream ${i} content`);
    assert.equal(result.bytesFromBackend, SIZE, `stream ${i} byte count`);
  });
  // Every own buffer went back when its socket closed.
  assert.equal(ownReadBufferCount(), 0);

  backend.server.close();
  front.server.close();
});

test('bytes that arrive while no one reads are kept, in order, for the next reader', async () => {
  const backend = await listen((socket) => {
    socket.once('data', () => {
      socket.write('first line\r\n');
      setTimeout(() => socket.end('second part\r\n'), 30);
    });
  });
  const socket = await sharedReadSocket(backend.port);
  let text = '';
  const firstSink = {
    bytesRead(_s: Socket, chunk: Buffer): boolean {
      text += chunk.toString('latin1');
      // Hand over after the first line, as a backend login hands the socket to the relay.
      if (text.includes('\r\n')) stopReading(socket);
      return false;
    },
  };
  readInto(socket, firstSink);
  socket.write('go');
  while (!text.includes('\r\n')) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(text, 'first line\r\n', 'nothing is delivered while stopped');
  let rest = '';
  readInto(socket, {
    bytesRead(_s: Socket, chunk: Buffer): boolean {
      rest += chunk.toString('latin1');
      return false;
    },
  });
  await once(socket, 'end');
  assert.equal(rest, 'second part\r\n');
  socket.destroy();
  backend.server.close();
});

test('a quiet socket gives its own buffer back after a short read', async () => {
  let peer: Socket | undefined;
  const backend = await listen((socket) => (peer = socket));
  const socket = await sharedReadSocket(backend.port);
  while (peer === undefined) await new Promise((r) => setTimeout(r, 5));
  let got = 0;
  readInto(socket, {
    bytesRead(_s: Socket, chunk: Buffer): boolean {
      got += chunk.length;
      return false;
    },
  });
  const before = ownReadBufferCount();
  peer.write(randomBytes(2 << 20));
  while (got < 2 << 20) await new Promise((r) => setTimeout(r, 5));
  // A 2 MB burst is read in big reads: the socket took an own buffer (and may still hold it).
  peer.write('tail\r\n');
  while (got < (2 << 20) + 6) await new Promise((r) => setTimeout(r, 5));
  assert.equal(ownReadBufferCount(), before, 'an idle socket holds no own buffer after a short read');
  socket.destroy();
  peer.destroy();
  backend.server.close();
});

test('a bulk stream to a slow client reads into the same few buffers, not a new one per queued write', async () => {
  const SIZE = 16 << 20;
  const payload = randomBytes(SIZE);
  const backend = await listen((socket) => socket.end(payload));
  let near: Socket | undefined;
  const front = await listen((socket) => (near = socket));
  try {
    const far = connect(front.port, '127.0.0.1');
    await once(far, 'connect');
    while (near === undefined) await new Promise((r) => setTimeout(r, 5));
    const allocatedBefore = allocatedReadBufferCount();
    const lentBefore = lentReadBufferCount();
    const upstream = await sharedReadSocket(backend.port);
    const relay = new Relay(near, upstream, { clientPending: Buffer.alloc(0), backendPending: Buffer.alloc(0), idleTimeoutMs: 20_000 });
    const chunks: Buffer[] = [];
    far.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // Slower than the backend: the relay's writes to this client fill the socket and stay queued.
      if (chunks.length % 2 === 0) {
        far.pause();
        setTimeout(() => far.resume(), 5);
      }
    });
    await once(far, 'end');
    far.end();
    await relay.done;
    assert.equal(sha(Buffer.concat(chunks)), sha(payload));
    const lent = lentReadBufferCount() - lentBefore;
    const allocated = allocatedReadBufferCount() - allocatedBefore;
    assert.ok(lent >= 4, `only ${lent} reads were held by a queued write: the client was not slow enough to test reuse`);
    // Each held buffer comes back when the client's writes drain; without that, one new buffer per held read.
    assert.ok(allocated <= 3, `${allocated} read buffers allocated for one stream (${lent} held by queued writes)`);
  } finally {
    backend.server.close();
    front.server.close();
  }
});
