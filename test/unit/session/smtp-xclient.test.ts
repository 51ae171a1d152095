import { test } from 'node:test';
import assert from 'node:assert/strict';
import { xclientLines, type XclientParams } from '../../../src/session/smtp-xclient.js';

const OFFERED = ['ADDR', 'PORT', 'PROTO', 'HELO', 'LOGIN', 'TTL', 'SESSION'];

function params(client: XclientParams['client']): XclientParams {
  return { clientHelo: 'mta.test', user: '', ttl: 4, client, sessionId: 'abc', forward: {} };
}

test('XCLIENT carries the client address and port of a TCP client', () => {
  const lines = xclientLines(params({ remoteIp: '192.0.2.7', remotePort: 40000, localIp: '127.0.0.1', localPort: 24 }), { offered: OFFERED, login: false, proto: 'LMTP' });
  assert.deepEqual(lines, ['XCLIENT HELO=mta.test TTL=4 PORT=40000 ADDR=192.0.2.7 SESSION=abc PROTO=LMTP']);
});

test('a client on a unix socket has no address: ADDR and PORT are left out', () => {
  const lines = xclientLines(params({ remoteIp: '', remotePort: 0, localIp: '', localPort: 0 }), { offered: OFFERED, login: false, proto: 'LMTP' });
  assert.deepEqual(lines, ['XCLIENT HELO=mta.test TTL=4 SESSION=abc PROTO=LMTP']);
});
