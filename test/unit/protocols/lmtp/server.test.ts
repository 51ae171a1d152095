import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import pino from 'pino';
import { checkConfigText } from '../../../../src/config/load.js';
import type { Config } from '../../../../src/config/types.js';
import { parseUserFields } from '../../../../src/auth/parse-fields.js';
import type { Passdb } from '../../../../src/auth/passdb.js';
import { BackendRing } from '../../../../src/ring/hash-ring.js';
import { endpointOf } from '../../../../src/net/listener.js';
import { serveLmtp } from '../../../../src/protocols/lmtp/driver.js';
import type { LoginPlacement } from '../../../../src/session/login-core.js';
import { LoginFailure } from '../../../../src/core/failure.js';
import { LineClient } from '../../../integration/support/line-client.js';
import { startFakeLmtp, type FakeLmtpBackend } from './fake-backend.js';

let b1: FakeLmtpBackend;
let b2: FakeLmtpBackend;
let config: Config;
let server: Server;
let port: number;
const claims: string[] = [];
const released: string[] = [];
let moving = new Set<string>();

/** user → raw passdb fields; the passdb is a fake: this tests the LMTP front end alone. */
let users: Record<string, Record<string, string>> = {};

const passdb: Passdb = {
  authenticate: async () => ({ kind: 'fail', detail: 'not used' }),
  lookup: async (user) => {
    if (user === 'ldapdown') return { kind: 'tempfail', detail: 'LDAP down' };
    const raw = users[user];
    if (raw === undefined) return { kind: 'not_found' };
    const parsed = parseUserFields(user, new Map(Object.entries(raw)));
    if ('error' in parsed) return { kind: 'tempfail', detail: parsed.error };
    return { kind: 'ok', fields: parsed.fields };
  },
  flushCache: () => 0,
  close: async () => undefined,
};

const placement: LoginPlacement = {
  sticky: () => undefined,
  awaitExclusive: async (user, _destination, _log, sessionId) => {
    if (moving.has(user)) throw new LoginFailure('backend_unavailable', 'move_wait');
    claims.push(sessionId);
    return 0;
  },
  release: (sessionId) => {
    released.push(sessionId);
  },
};

before(async () => {
  [b1, b2] = await Promise.all([startFakeLmtp({ keywords: ['XCLIENT ADDR PORT HELO PROTO TTL SESSION', 'SIZE 1000000'] }), startFakeLmtp()]);
  const yaml = `director: { id: d1 }
limits: { max_invalid_commands: 3, proxy_timeout: 2s }
passdb: { driver: passwd-file, path: /nonexistent }
ring:
  backends: [{ id: b1, host: 127.0.0.1, ports: { lmtp: ${b1.port} } }]
`;
  const checked = checkConfigText('/tmp/d.yaml', yaml, {});
  if (checked.config === undefined) throw new Error(JSON.stringify(checked.problems));
  config = checked.config;
  const ring = BackendRing.fromConfig(config.ring);
  server = createServer((socket) =>
    serveLmtp(socket, endpointOf(socket), {
      config: () => config,
      passdb: () => passdb,
      ring: () => ring,
      selfAddresses: () => new Set(['127.0.0.99']),
      placement,
      hostname: 'director.test',
      capabilities: () => new Set(['8BITMIME', 'SIZE 1000000', 'CHUNKING']),
      log: pino({ level: 'silent' }),
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  port = typeof address === 'object' && address !== null ? address.port : 0;
});

after(async () => {
  server?.close();
  await Promise.all([b1?.close(), b2?.close()]);
});

async function open(): Promise<LineClient> {
  const client = await LineClient.connect('127.0.0.1', port);
  assert.match(await client.line(), /^220 director\.test /);
  return client;
}

/** Send lines (pipelined, in one write) and read `replies` whole replies. */
async function send(client: LineClient, lines: readonly string[], replies: number): Promise<string[]> {
  client.write(lines.map((l) => `${l}\r\n`).join(''));
  const out: string[] = [];
  let current = '';
  while (out.length < replies) {
    const line = await client.line(5000);
    current += current === '' ? line : `\n${line}`;
    if (/^\d{3}( |$)/.test(line)) {
      out.push(current);
      current = '';
    }
  }
  return out;
}

test('LHLO lists only what the backends offer, never CHUNKING, with PIPELINING and ENHANCEDSTATUSCODES', async () => {
  const client = await open();
  const [lhlo] = await send(client, ['LHLO mta.test'], 1);
  assert.equal(lhlo, '250-director.test\n250-8BITMIME\n250-ENHANCEDSTATUSCODES\n250-PIPELINING\n250 SIZE 1000000');
  client.close();
});

test('one message to recipients on two backends: each backend gets its recipients, the bytes exactly, and one reply per recipient in RCPT order', async () => {
  users = {
    user0001: {},
    user0002: { host: '127.0.0.1', port: String(b2.port), proxy: 'y' },
    alias0001: { host: '127.0.0.1', port: String(b2.port), proxy: 'y', destuser: 'user0003' },
    user0004: { nologin: 'y', reason: 'suspended' },
  };
  const client = await open();
  const body = 'Subject: t\r\n\r\n..stuffed line\r\n\xe9 8-bit\r\n' + 'x'.repeat(5000) + '\r\n';
  const replies = await send(
    client,
    [
      'LHLO mta.test',
      'MAIL FROM:<sender@example.org> SIZE=100 BODY=8BITMIME',
      'RCPT TO:<user0001@example.org> NOTIFY=NEVER',
      'RCPT TO:<user0002+box@example.org>',
      'RCPT TO:<nobody@example.org>',
      'RCPT TO:<alias0001@example.org>',
      'RCPT TO:<user0004@example.org>',
      'DATA',
    ],
    8,
  );
  assert.equal(replies[1], '250 2.1.0 OK');
  assert.equal(replies[2], '250 2.1.5 OK');
  assert.equal(replies[3], '250 2.1.5 OK');
  assert.equal(replies[4], "550 5.1.1 <nobody@example.org> User doesn't exist");
  assert.equal(replies[5], '250 2.1.5 OK');
  assert.equal(replies[6], '250 2.1.5 OK', 'nologin does not stop mail');
  assert.equal(replies[7], '354 OK');
  client.write(Buffer.from(`${body}.\r\nQUIT\r\n`, 'latin1'));
  const after = await send(client, [], 5);
  assert.match(after[0] ?? '', /^250 2\.0\.0 <user0001@example\.org> \S+ Saved$/);
  assert.match(after[1] ?? '', /^250 2\.0\.0 <user0002\+box@example\.org> \S+ Saved$/);
  assert.match(after[2] ?? '', /^250 2\.0\.0 <alias0001@example\.org> \S+ Saved$/);
  assert.match(after[3] ?? '', /^250 2\.0\.0 <user0004@example\.org> \S+ Saved$/);
  assert.equal(after[4], '221 2.0.0 Bye');
  await client.waitClosed();

  const expected = Buffer.from(`${body}.\r\n`, 'latin1');
  assert.deepEqual(b1.messages.at(-1), expected);
  assert.deepEqual(b2.messages.at(-1), expected);
  assert.ok(b1.commands.some((c) => /^XCLIENT .*PROTO=LMTP/.test(c) && c.includes('HELO=mta.test') && c.includes('TTL=4')), b1.commands.join('\n'));
  assert.ok(b1.commands.includes('MAIL FROM:<sender@example.org> SIZE=100 BODY=8BITMIME'));
  assert.ok(b1.commands.includes('RCPT TO:<user0001@example.org> NOTIFY=NEVER'));
  assert.ok(b2.commands.includes('RCPT TO:<user0002+box@example.org>'));
  assert.ok(b2.commands.includes('RCPT TO:<user0003@example.org> ORCPT=rfc822;alias0001@example.org'), b2.commands.join('\n'));
  // The fakes offer PIPELINING: MAIL FROM went with the first RCPT, whose reply was still read as that recipient's.
  const mailAt = b2.commands.lastIndexOf('MAIL FROM:<sender@example.org> SIZE=100 BODY=8BITMIME');
  assert.deepEqual(b2.commands.slice(mailAt + 1, mailAt + 3), ['RCPT TO:<user0002+box@example.org>', 'RCPT TO:<user0003@example.org> ORCPT=rfc822;alias0001@example.org']);
  assert.ok(!b2.commands.some((c) => c.startsWith('XCLIENT')), 'no XCLIENT to a backend that does not offer it');
  // Every claim made for a recipient is released when the transaction ends.
  assert.deepEqual([...released].sort(), [...claims].sort());
});

test('sequence and syntax errors get Dovecot\'s replies; too many end the connection', async () => {
  users = {};
  const client = await open();
  const replies = await send(client, ['RCPT TO:<a@b>', 'DATA', 'MAIL FROM:<>', 'DATA', 'MAIL FROM:<>', 'BDAT 10 LAST'], 6);
  assert.deepEqual(replies, [
    '503 5.5.0 MAIL needed first',
    '503 5.5.0 MAIL needed first',
    '250 2.1.0 OK',
    '503 5.5.0 No valid recipients',
    '503 5.5.0 MAIL already given',
    '502 5.5.1 Unsupported command',
  ]);
  const more = await send(client, ['RSET', 'HELO x', 'MAIL FROM:<> FOO=1', 'RCPT TO:bad', 'junk'], 6);
  assert.deepEqual(more, [
    '250 2.0.0 OK',
    '500 5.5.1 Unknown command',
    '555 5.5.4 Unsupported MAIL parameter: FOO',
    '503 5.5.0 MAIL needed first',
    '500 5.5.1 Unknown command',
    '421 4.7.0 director.test Too many invalid commands.',
  ]);
  await client.waitClosed();
});

test('a PROXY header on the LMTP port (which takes none here) gets 421 and the connection closes', async () => {
  users = {};
  const client = await open();
  client.write('PROXY TCP4 192.0.2.1 192.0.2.2 1000 24\r\nLHLO mta.test\r\n');
  assert.equal(await client.line(), '421 4.7.0 director.test Unexpected PROXY protocol header.');
  await client.waitClosed();
});

test('lookup failure, loop, move: the temporary and permanent recipient replies', async () => {
  users = { loopy: { host: '127.0.0.99', proxy: 'y' }, mover: {} };
  moving = new Set(['mover']);
  const client = await open();
  const replies = await send(client, ['LHLO x', 'MAIL FROM:<>', 'RCPT TO:<ldapdown@example.org>', 'RCPT TO:<loopy@example.org>', 'RCPT TO:<mover@example.org>', 'DATA'], 6);
  assert.equal(replies[2], '451 4.3.0 <ldapdown@example.org> Temporary user lookup failure');
  assert.equal(replies[3], '554 5.4.6 <loopy@example.org> Proxying loops to itself');
  assert.match(replies[4] ?? '', /^451 4\.\d\.\d <mover@example\.org> /);
  assert.equal(replies[5], '503 5.5.0 No valid recipients');
  moving = new Set();
  client.close();
});

test('a backend that is down: 451 4.4.0 (connect) for its recipients only', async () => {
  const dead = await startFakeLmtp();
  const deadPort = dead.port;
  await dead.close();
  users = { user0001: {}, gone: { host: '127.0.0.1', port: String(deadPort), proxy: 'y' } };
  const client = await open();
  const replies = await send(client, ['LHLO x', 'MAIL FROM:<>', 'RCPT TO:<gone@example.org>', 'RCPT TO:<user0001@example.org>'], 4);
  assert.equal(replies[2], '451 4.4.0 Remote server not answering (connect)');
  assert.equal(replies[3], '250 2.1.5 OK');
  client.close();
});

test('a backend that dies during DATA: its recipients get 451 (connection lost), the others their backend\'s reply', async () => {
  const dying = await startFakeLmtp({ dieAfterBytes: 10_000 });
  users = { user0001: {}, doomed: { host: '127.0.0.1', port: String(dying.port), proxy: 'y' } };
  const client = await open();
  const replies = await send(client, ['LHLO x', 'MAIL FROM:<>', 'RCPT TO:<doomed@example.org>', 'RCPT TO:<user0001@example.org>', 'DATA'], 5);
  assert.equal(replies[4], '354 OK');
  const line = `${'y'.repeat(998)}\r\n`;
  for (let i = 0; i < 200; i++) client.write(line);
  client.write('.\r\n');
  const after = await send(client, [], 2);
  assert.equal(after[0], '451 4.4.0 Remote server not answering (connection lost)');
  assert.match(after[1] ?? '', /^250 2\.0\.0 <user0001@example\.org> /);
  assert.equal(b1.messages.at(-1)?.length, 200 * 1000 + 3);
  client.close();
  await dying.close();
});
