import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext, type TLSSocket } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { Listener, type Endpoint, type HaproxyOptions } from '../../../src/net/listener.js';
import { sslTlv, tlv, v2Header } from './proxy-headers.js';

// A listener marked haproxy on real loopback sockets: the header is read
// however it is cut, before the protocol and before an implicit-TLS
// handshake, and the endpoint the protocol gets names the client it carries.

const TLS = new URL('../../fixtures/tls/', import.meta.url).pathname;

interface Started {
  readonly listener: Listener;
  readonly port: number;
  readonly connections: Array<{ socket: Socket; endpoint: Endpoint }>;
  readonly refusals: string[];
  next(): Promise<{ socket: Socket; endpoint: Endpoint }>;
}

async function start(haproxy: Partial<HaproxyOptions>, implicitTls = false): Promise<Started> {
  const connections: Array<{ socket: Socket; endpoint: Endpoint }> = [];
  const refusals: string[] = [];
  const waiters: Array<() => void> = [];
  const listener = new Listener({
    host: '127.0.0.1',
    port: 0,
    implicitTls: implicitTls ? createSecureContext({ cert: readFileSync(`${TLS}leaf.crt`), key: readFileSync(`${TLS}leaf.key`) }) : undefined,
    handshakeTimeoutMs: 5000,
    haproxy: {
      trusted: haproxy.trusted ?? (() => true),
      timeoutMs: haproxy.timeoutMs ?? (() => 3000),
      onRefused: (_endpoint, message, silent) => {
        refusals.push(silent ? `${message} (silent)` : message);
        waiters.splice(0).forEach((w) => w());
      },
    },
    onConnection: (socket, endpoint) => {
      connections.push({ socket, endpoint });
      waiters.splice(0).forEach((w) => w());
    },
    onError: (err) => assert.fail(err),
  });
  const port = await listener.listen();
  return {
    listener,
    port,
    connections,
    refusals,
    next: async () => {
      while (connections.length === 0) await new Promise<void>((resolve) => waiters.push(resolve));
      return connections.shift()!;
    },
  };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });
}

function readSome(socket: Socket): Promise<string> {
  return new Promise((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1'))));
}

async function stop(s: Started): Promise<void> {
  await s.listener.stopAccepting();
  s.listener.destroyAll();
}

test('a v1 header cut in three, then the client bytes: the endpoint names the client, the bytes reach the protocol', async () => {
  const s = await start({});
  try {
    const client = await open(s.port);
    const line = 'PROXY TCP4 192.0.2.7 198.51.100.2 40001 143\r\n';
    client.write(line.slice(0, 3));
    await sleep(20);
    client.write(line.slice(3, 20));
    await sleep(20);
    client.write(`${line.slice(20)}a1 NOOP\r\n`);
    const { socket, endpoint } = await s.next();
    assert.equal(endpoint.remoteIp, '192.0.2.7');
    assert.equal(endpoint.remotePort, 40001);
    assert.equal(endpoint.localIp, '198.51.100.2');
    assert.equal(endpoint.localPort, 143);
    assert.equal(endpoint.proxy?.realRemoteIp, '127.0.0.1');
    assert.equal(endpoint.proxy?.version, 1);
    assert.equal(await readSome(socket), 'a1 NOOP\r\n');
    client.destroy();
  } finally {
    await stop(s);
  }
});

test('implicit TLS behind a v2 header: the header comes first, the handshake after it, TLS facts from the TLVs kept', async () => {
  const s = await start({}, true);
  try {
    const raw = await open(s.port);
    raw.write(v2Header({ source: [203, 0, 113, 9], sourcePort: 5555, tlvs: [tlv(0x02, 'imap.example.org'), sslTlv(0, 0, [])] }));
    const tls: TLSSocket = tlsConnect({ socket: raw, ca: readFileSync(`${TLS}ca.crt`), checkServerIdentity: () => undefined });
    await new Promise<void>((resolve, reject) => {
      tls.once('secureConnect', resolve);
      tls.once('error', reject);
    });
    const { socket, endpoint } = await s.next();
    assert.equal(endpoint.remoteIp, '203.0.113.9');
    assert.equal(endpoint.remotePort, 5555);
    assert.equal(endpoint.proxy?.authority, 'imap.example.org');
    assert.equal(endpoint.proxy?.tls?.ssl, false);
    socket.write('* OK ready\r\n');
    assert.equal(await readSome(tls), '* OK ready\r\n');
    tls.destroy();
  } finally {
    await stop(s);
  }
});

test('header and ClientHello in one write: the TLS layer still gets every byte after the header', async () => {
  const s = await start({}, true);
  try {
    const header = v2Header({ source: [203, 0, 113, 10] });
    const raw = await open(s.port);
    // Hold the first write until the ClientHello is queued behind the header, so both leave in one segment.
    raw.cork();
    raw.write(header);
    const tls = tlsConnect({ socket: raw, ca: readFileSync(`${TLS}ca.crt`), checkServerIdentity: () => undefined });
    setImmediate(() => raw.uncork());
    await new Promise<void>((resolve, reject) => {
      tls.once('secureConnect', resolve);
      tls.once('error', reject);
    });
    const { endpoint } = await s.next();
    assert.equal(endpoint.remoteIp, '203.0.113.10');
    tls.destroy();
  } finally {
    await stop(s);
  }
});

test('a peer outside haproxy_trusted_networks is closed before anything is read or written', async () => {
  const s = await start({ trusted: () => false });
  try {
    const client = await open(s.port);
    client.write('PROXY TCP4 192.0.2.7 198.51.100.2 40001 143\r\n');
    await closed(client);
    assert.deepEqual(s.refusals, ['Client not trusted']);
    assert.equal(s.connections.length, 0);
  } finally {
    await stop(s);
  }
});

test('no header within haproxy_timeout, garbage, or a truncated header then EOF: closed, with Dovecot\'s reason', async () => {
  const s = await start({ timeoutMs: () => 150 });
  try {
    const silent = await open(s.port);
    await closed(silent);
    const garbage = await open(s.port);
    garbage.write('a1 LOGIN user pass\r\n');
    await closed(garbage);
    const truncated = await open(s.port);
    truncated.end(v2Header().subarray(0, 20));
    await closed(truncated);
    // A balancer's TCP health check: connect, close. Refused too, but quietly.
    const check = await open(s.port);
    check.end();
    await closed(check);
    while (s.refusals.length < 4) await sleep(10);
    assert.deepEqual(s.refusals, ['Client timed out', 'Failed to read valid HAproxy data', 'Client disconnected: Failed to read full header', 'Client disconnected (silent)']);
    assert.equal(s.connections.length, 0);
  } finally {
    await stop(s);
  }
});
