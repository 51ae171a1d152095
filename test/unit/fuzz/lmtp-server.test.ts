import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { pino } from 'pino';
import { checkConfigText } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/types.js';
import { parseUserFields } from '../../../src/auth/parse-fields.js';
import type { Passdb } from '../../../src/auth/passdb.js';
import { BackendRing } from '../../../src/ring/hash-ring.js';
import { endpointOf } from '../../../src/net/listener.js';
import { serveLmtp } from '../../../src/protocols/lmtp/driver.js';
import type { LoginPlacement } from '../../../src/session/login-core.js';
import { startFakeLmtp, type FakeLmtpBackend } from '../protocols/lmtp/fake-backend.js';
import { escaped, watchEscapes } from './escapes.js';
import { checkSmtpReplies } from './frontend-harness.js';
import { clientInput, fuzzParameters, splitAt, splitOffsets } from './inputs.js';

/**
 * The LMTP server (an MTA's connection: commands, PIPELINING, DATA to the
 * backends) under fuzzed input, in front of a fake LMTP backend: nothing
 * escapes, nothing is logged as an error, every reply is an SMTP reply
 * line, and a line over limits.max_line_length ends the connection.
 */

watchEscapes();

const MAX_LINE = 512;
let backend: FakeLmtpBackend;
let server: Server;
let port: number;
let config: Config;
const errorLogs: string[] = [];
let serverSocket: Socket | undefined;
/** The server side of the newest connection (set by the listener, so read through a call). */
const accepted = (): Socket | undefined => serverSocket;

const passdb: Passdb = {
  authenticate: async () => ({ kind: 'fail', detail: 'not used' }),
  lookup: async (user) => {
    if (user === 'tempfail') return { kind: 'tempfail', detail: 'LDAP down' };
    if (!user.startsWith('user')) return { kind: 'not_found' };
    const parsed = parseUserFields(user, new Map());
    if ('error' in parsed) return { kind: 'tempfail', detail: parsed.error };
    return { kind: 'ok', fields: parsed.fields };
  },
  flushCache: () => 0,
  close: async () => undefined,
};

const placement: LoginPlacement = {
  sticky: () => undefined,
  awaitExclusive: async () => 0,
  release: () => undefined,
};

before(async () => {
  backend = await startFakeLmtp({ keywords: ['SIZE 1000000'] });
  const yaml = `director: { id: d1 }
limits: { max_invalid_commands: 20, max_line_length: ${MAX_LINE}B, proxy_timeout: 2s }
passdb: { driver: passwd-file, path: /nonexistent }
ring:
  backends: [{ id: b1, host: 127.0.0.1, ports: { lmtp: ${backend.port} } }]
`;
  const checked = checkConfigText('/tmp/fuzz.yaml', yaml, {});
  if (checked.config === undefined) throw new Error(JSON.stringify(checked.problems));
  config = checked.config;
  const ring = BackendRing.fromConfig(config.ring);
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      const entry = JSON.parse(chunk.toString()) as { level?: number };
      if ((entry.level ?? 0) >= 50) errorLogs.push(chunk.toString());
      done();
    },
  });
  server = createServer((socket) => {
    serverSocket = socket;
    serveLmtp(socket, endpointOf(socket), {
      config: () => config,
      passdb: () => passdb,
      ring: () => ring,
      selfAddresses: () => new Set(['127.0.0.99']),
      placement,
      hostname: 'director.test',
      capabilities: () => new Set(['8BITMIME', 'SIZE 1000000']),
      log: pino({ level: 'info' }, sink),
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  port = typeof address === 'object' && address !== null ? address.port : 0;
});

after(async () => {
  server?.close();
  await backend?.close();
});

interface Run {
  readonly output: Buffer;
  readonly ended: boolean;
  readonly problems: string[];
}

async function runLmtp(pieces: readonly Buffer[]): Promise<Run> {
  serverSocket = undefined;
  const client = connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  let outputBytes = 0;
  let seenBytes = 0;
  let quietRounds = 0;
  let ended = false;
  client.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    outputBytes += chunk.length;
  });
  client.on('end', () => {
    ended = true;
  });
  client.on('error', () => undefined);
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  try {
    for (const piece of pieces) {
      if (ended || client.destroyed) break;
      client.write(piece);
      await nextTurn();
    }
    const written = pieces.reduce((n, p) => n + p.length, 0);
    const deadline = Date.now() + 4_000;
    const problems: string[] = [];
    for (;;) {
      await sleep(5);
      await nextTurn();
      if (ended) break;
      if (Date.now() > deadline) {
        problems.push(`no progress within 4 s: server read ${accepted()?.bytesRead ?? 0} of ${written} bytes`);
        break;
      }
      // Counted in event-loop rounds, not wall time (see frontend-harness.ts).
      const consumed = (accepted()?.bytesRead ?? 0) >= written;
      quietRounds = consumed && outputBytes === seenBytes ? quietRounds + 1 : 0;
      seenBytes = outputBytes;
      if (quietRounds >= 5) break;
    }
    problems.push(...escaped(), ...errorLogs.splice(0, errorLogs.length).map((l) => `error logged: ${l.trim()}`));
    const output = Buffer.concat(chunks);
    const malformed = checkSmtpReplies(output);
    if (malformed !== undefined) problems.push(malformed);
    return { output, ended, problems };
  } finally {
    client.destroy();
  }
}

const TRANSCRIPT = [
  'LHLO mta.test\r\n',
  'MAIL FROM:<sender@example.org>\r\n',
  'MAIL FROM:<> SIZE=100 BODY=8BITMIME\r\n',
  'RCPT TO:<user0001@example.org>\r\n',
  'RCPT TO:<user0002>\r\n',
  'RCPT TO:<nobody@example.org>\r\n',
  'RCPT TO:<tempfail> NOTIFY=NEVER\r\n',
  'RCPT TO:<"quoted>local"@example.org> ORCPT=rfc822;x@example.org\r\n',
  'DATA\r\nSubject: t\r\n\r\nbody\r\n..dot\r\n.\r\n',
  'DATA\r\n',
  '.\r\n',
  'RSET\r\n',
  'NOOP\r\n',
  'VRFY user0001\r\n',
  'BDAT 10 LAST\r\n',
  'QUIT\r\n',
];

test('lmtp: fuzzed input never breaks the connection rules or the reply syntax', async () => {
  await fc.assert(
    fc.asyncProperty(
      clientInput(TRANSCRIPT, ['MAIL FROM:', 'RCPT TO:<', '>', '<', 'DATA\r\n', '\r\n.\r\n', ' SIZE=', '\r']),
      splitOffsets,
      async (input, offsets) => {
        const { output, problems } = await runLmtp(splitAt(input, offsets));
        assert.deepEqual(problems, [], `output: ${JSON.stringify(output.toString('latin1').slice(0, 2000))}`);
      },
    ),
    fuzzParameters(50),
  );
});

test('lmtp: a command line over max_line_length ends the connection', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.constantFrom('LHLO mta.test\r\n', 'NOOP\r\n', 'MAIL FROM:<a@b>\r\n', 'RSET\r\n'), { maxLength: 3 }),
      fc.integer({ min: MAX_LINE + 2, max: MAX_LINE * 10 }),
      fc.constantFrom(0x41, 0x20, 0x0d, 0x00, 0xff),
      splitOffsets,
      async (prefix, length, byte, offsets) => {
        const input = Buffer.concat([Buffer.from(prefix.join('')), Buffer.alloc(length, byte)]);
        const { output, ended, problems } = await runLmtp(splitAt(input, offsets));
        assert.deepEqual(problems, []);
        const lines = output.toString('latin1').split('\r\n').filter((l) => l !== '');
        assert.match(lines[lines.length - 1] ?? '', /^500 5\.5\.2 Line too long$/);
        assert.ok(ended, 'the connection stays open');
      },
    ),
    fuzzParameters(12),
  );
});

test('lmtp: MAIL and RCPT paths and parameters with any characters get well-formed replies (no CR or NUL echoed)', async () => {
  // Found by the reply-syntax property: `RCPT TO:<a\rb>` was echoed in `550 5.1.1 <a\rb> ...`, bare CR and all.
  const text = fc.string({ maxLength: 30, unit: 'binary' }).map((s) => s.replace(/\n/g, ''));
  await fc.assert(
    fc.asyncProperty(text, text, fc.boolean(), splitOffsets, async (path, param, rcpt, offsets) => {
      const command = rcpt ? `RCPT TO:<${path}> ${param}` : `MAIL FROM:<${path}> ${param}`;
      const input = Buffer.from(`LHLO mta.test\r\n${rcpt ? 'MAIL FROM:<>\r\n' : ''}${command}\r\nNOOP\r\n`, 'latin1');
      const { output, problems } = await runLmtp(splitAt(input, offsets));
      assert.deepEqual(problems, [], `output: ${JSON.stringify(output.toString('latin1'))}`);
    }),
    fuzzParameters(25),
  );
});
