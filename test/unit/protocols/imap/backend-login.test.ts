import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { imapBackendLogin } from '../../../../src/protocols/imap/backend-login.js';
import { LoginFailure } from '../../../../src/core/failure.js';
import { Secret } from '../../../../src/core/secret.js';
import type { BackendLoginParams } from '../../../../src/session/backend-login.js';

/** A scripted backend: for each received line, `reply` returns what to send back. */
async function fakeBackend(banner: string, reply: (line: string) => string): Promise<{ port: number; lines: string[]; close(): void }> {
  const lines: string[] = [];
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.write(banner);
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        lines.push(line);
        const out = reply(line);
        if (out.length > 0) s.write(out);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    lines,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

function params(port: number, overrides: Partial<BackendLoginParams> = {}): BackendLoginParams {
  return {
    host: '127.0.0.1',
    port,
    sourceIp: undefined,
    ssl: 'no',
    starttls: 'no',
    tls: { ca: undefined, clientCert: undefined, clientKey: undefined },
    user: '\u00e4lice',
    password: new Secret('pw'),
    master: undefined,
    proxyMech: undefined,
    timeoutMs: 2000,
    nopipelining: false,
    notTrusted: false,
    ttl: 4,
    sessionId: 'sid1',
    client: { remoteIp: '192.0.2.1', remotePort: 5, localIp: '127.0.0.1', localPort: 143 },
    forward: { a: 'b' },
    clientId: undefined,
    ...overrides,
  };
}

test('synchronizing literals for non-quotable LOGIN arguments, ID before login', async () => {
  const backend = await fakeBackend('* OK [CAPABILITY IMAP4rev1 ID] hi\r\n', (line) => {
    if (line.startsWith('I ID')) return 'I OK ID done\r\n';
    if (line.endsWith('}')) return '+ go\r\n';
    if (line === 'pw\u00e9') return 'L OK [CAPABILITY IMAP4rev1] ok\r\n';
    return '';
  });
  try {
    const ok = await imapBackendLogin(params(backend.port, { password: new Secret('pw\u00e9') }));
    assert.deepEqual(ok.capabilities, ['IMAP4rev1']);
    assert.match(backend.lines[0] ?? '', /^I ID \("x-session-id" "sid1" "x-originating-ip" "192\.0\.2\.1" .*"x-proxy-ttl" "4" "x-forward-a" "b"\)$/);
    assert.deepEqual(backend.lines.slice(1), ['L LOGIN {6}', '\u00e4lice {4}', 'pw\u00e9']);
    ok.socket.destroy();
  } finally {
    backend.close();
  }
});

test('AUTHENTICATE PLAIN with SASL-IR; capabilities and pending from the reply', async () => {
  const backend = await fakeBackend('* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] hi\r\n', (line) =>
    line.startsWith('L AUTHENTICATE PLAIN ') ? 'L OK [CAPABILITY IMAP4rev1 MOVE] Logged in\r\n* 3 EXISTS\r\n' : '',
  );
  try {
    const ok = await imapBackendLogin(params(backend.port, { user: 'u', password: new Secret('p') }));
    assert.deepEqual(ok.capabilities, ['IMAP4rev1', 'MOVE']);
    const sent = backend.lines.find((l) => l.startsWith('L AUTHENTICATE'));
    assert.equal(Buffer.from((sent ?? '').split(' ')[3] ?? '', 'base64').toString(), '\0u\0p');
    // Bytes after the tagged OK are handed over, either pulled already or still in the socket.
    const pending = ok.pending.toString();
    const rest = pending.length > 0 ? pending : await firstData(ok.socket);
    assert.equal(rest, '* 3 EXISTS\r\n');
    ok.socket.destroy();
  } finally {
    backend.close();
  }
});

test('NO [UNAVAILABLE] is temporary, plain NO is an auth failure', async () => {
  for (const [answer, kind] of [
    ['L NO [UNAVAILABLE] try later\r\n', 'backend_unavailable'],
    ['L NO [AUTHENTICATIONFAILED] Authentication failed.\r\n', 'backend_auth_failed'],
  ] as const) {
    const backend = await fakeBackend('* OK [CAPABILITY IMAP4rev1] hi\r\n', (line) => (line.startsWith('L ') ? answer : ''));
    try {
      await assert.rejects(imapBackendLogin(params(backend.port, { user: 'u', password: new Secret('p') })), (err: unknown) => {
        assert.ok(err instanceof LoginFailure);
        assert.equal(err.kind, kind);
        return true;
      });
    } finally {
      backend.close();
    }
  }
});

test('banner without capabilities: CAPABILITY is asked first', async () => {
  const backend = await fakeBackend('* OK hi\r\n', (line) => {
    if (line === 'C CAPABILITY') return '* CAPABILITY IMAP4rev1 LITERAL+\r\nC OK done\r\n';
    if (line.startsWith('L LOGIN')) return 'L OK [CAPABILITY IMAP4rev1 X] ok\r\n';
    return '';
  });
  try {
    const ok = await imapBackendLogin(params(backend.port, { user: 'u', password: new Secret('a"b') }));
    assert.deepEqual(ok.capabilities, ['IMAP4rev1', 'X']);
    assert.equal(backend.lines[1], 'L LOGIN "u" "a\\"b"');
    ok.socket.destroy();
  } finally {
    backend.close();
  }
});

function firstData(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    socket.once('data', (d: Buffer) => resolve(d.toString()));
    socket.resume();
  });
}

