// The fault relay (test/harness/fault-relay.ts) between a real client and a
// real TCP server on loopback: bytes pass both ways, each way can be stalled
// on its own and lets its bytes through in order once healed, delays hold
// every chunk, and a reset closes both ends.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFaultRelay, type FaultRelay } from '../../harness/fault-relay.js';

let server: Server;
let serverPort: number;
/** The server side of the latest connection, and everything it received. */
let accepted: Array<{ socket: Socket; received: string }> = [];

before(async () => {
  server = createServer((socket) => {
    const entry = { socket, received: '' };
    accepted.push(entry);
    socket.on('data', (b: Buffer) => (entry.received += b.toString()));
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const a = server.address();
  assert.ok(a !== null && typeof a !== 'string');
  serverPort = a.port;
});

after(() => {
  server.close();
});

async function connect(relay: FaultRelay): Promise<{ client: Socket; received: () => string; serverSide: () => { socket: Socket; received: string } }> {
  const before = accepted.length;
  const client = createConnection({ host: relay.host, port: relay.port });
  client.on('error', () => undefined);
  let received = '';
  client.on('data', (b: Buffer) => (received += b.toString()));
  await once(client, 'connect');
  for (let i = 0; i < 100 && accepted.length === before; i++) await sleep(10);
  const side = accepted[accepted.length - 1];
  assert.ok(side !== undefined && accepted.length > before, 'the relay connected to the server');
  return { client, received: () => received, serverSide: () => side };
}

async function until(what: string, check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(5);
  }
}

test('bytes pass both ways, the target may be set after the relay listens', async () => {
  const relay = await startFaultRelay();
  try {
    relay.setTarget('127.0.0.1', serverPort);
    const c = await connect(relay);
    c.client.write('hello');
    await until('server got hello', () => c.serverSide().received === 'hello');
    c.serverSide().socket.write('world');
    await until('client got world', () => c.received() === 'world');
    assert.equal(relay.stats().forwardBytes, 5);
    assert.equal(relay.stats().backwardBytes, 5);
    c.client.destroy();
  } finally {
    await relay.close();
  }
});

test('a stalled direction passes nothing while the other flows; healed, the held bytes arrive in order', async () => {
  const relay = await startFaultRelay({ target: { host: '127.0.0.1', port: serverPort } });
  try {
    const c = await connect(relay);
    relay.stall('forward');
    c.client.write('one,');
    c.client.write('two');
    c.serverSide().socket.write('back');
    await until('client still hears the server', () => c.received() === 'back');
    await sleep(200);
    assert.equal(c.serverSide().received, '', 'nothing passed client→server while stalled');
    assert.equal(c.client.destroyed, false, 'the connection stays open');
    relay.heal();
    await until('held bytes arrive', () => c.serverSide().received === 'one,two');

    relay.stall('backward');
    c.serverSide().socket.write('late');
    c.client.write('+fwd');
    await until('forward still flows', () => c.serverSide().received === 'one,two+fwd');
    await sleep(200);
    assert.equal(c.received(), 'back');
    relay.heal();
    await until('backward bytes arrive', () => c.received() === 'backlate');
    c.client.destroy();
  } finally {
    await relay.close();
  }
});

test('a cut (both ways stalled) holds new connections too', async () => {
  const relay = await startFaultRelay({ target: { host: '127.0.0.1', port: serverPort } });
  try {
    relay.stall('both');
    const c = await connect(relay);
    c.client.write('ping');
    c.serverSide().socket.write('pong');
    await sleep(200);
    assert.equal(c.serverSide().received, '');
    assert.equal(c.received(), '');
    relay.heal();
    await until('both ways after heal', () => c.serverSide().received === 'ping' && c.received() === 'pong');
    c.client.destroy();
  } finally {
    await relay.close();
  }
});

test('a delay holds every chunk that long, in order', async () => {
  const relay = await startFaultRelay({ target: { host: '127.0.0.1', port: serverPort } });
  try {
    const c = await connect(relay);
    relay.delay(150);
    const started = Date.now();
    c.client.write('a');
    await sleep(20);
    c.client.write('b');
    await until('delayed bytes', () => c.serverSide().received === 'ab');
    const took = Date.now() - started;
    assert.ok(took >= 150, `arrived after ${took} ms`);
    relay.heal();
    const t2 = Date.now();
    c.client.write('c');
    await until('undelayed', () => c.serverSide().received === 'abc');
    assert.ok(Date.now() - t2 < 150);
    c.client.destroy();
  } finally {
    await relay.close();
  }
});

test('reset closes both ends; either end closing closes the other', async () => {
  const relay = await startFaultRelay({ target: { host: '127.0.0.1', port: serverPort } });
  try {
    const c = await connect(relay);
    const serverClosed = once(c.serverSide().socket, 'close');
    const clientClosed = once(c.client, 'close');
    relay.reset();
    await Promise.all([serverClosed, clientClosed]);
    await until('relay dropped the connection', () => relay.stats().connections === 0);

    const d = await connect(relay);
    const dClosed = once(d.client, 'close');
    d.serverSide().socket.destroy();
    await dClosed;
  } finally {
    await relay.close();
  }
});
