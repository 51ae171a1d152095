import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, Socket } from 'node:net';
import type { Server } from 'node:net';
import { connect as tlsConnect, createSecureContext } from 'node:tls';
import type { SecureContext, TLSSocket } from 'node:tls';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { imapDriver } from '../../../../src/protocols/imap/driver.js';
import { LoginFailure } from '../../../../src/core/failure.js';
import type { FrontendContext, LoginOutcome, LoginRequest } from '../../../../src/session/frontend.js';
import type { LimitsConfig } from '../../../../src/config/types.js';
import { createCa, issueCert } from '../../../harness/certs.js';

const LIMITS: LimitsConfig = {
  maxLineLength: 2000,
  maxLiteralSize: 100,
  maxInvalidCommands: 3,
  preloginTimeoutMs: 5000,
  maxAuthAttempts: 2,
  authFailureDelayMs: 0,
  idleTimeoutMs: 60000,
  proxyTimeoutMs: 1000,
  maxLoginDelayMs: 1000,
  maxDisconnectDelayMs: 0,
  moveWaitMs: 30_000,
  maxPreloginConnections: 10_000,
  maxPreloginPerIp: 100,
};

interface Harness {
  readonly requests: LoginRequest[];
  readonly relayed: Array<{ pending: string; kickText: (reason: string) => string }>;
  readonly closed: string[];
  readonly logs: string[];
}

interface Options {
  readonly limits?: Partial<LimitsConfig>;
  readonly secure?: boolean;
  readonly plaintext?: (tls: boolean) => boolean;
  readonly backendCaps?: ReadonlySet<string>;
  readonly login?: (req: LoginRequest) => Promise<LoginOutcome> | LoginOutcome;
  readonly idRetain?: boolean;
}

let dir: string;
let secureContext: SecureContext;
let caPem: Buffer;
const servers: Server[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-imap-drv-'));
  const ca = await createCa(dir, 'ca');
  const cert = await issueCert(ca, dir, 'director', { ips: ['127.0.0.1'], dns: ['localhost'] });
  secureContext = createSecureContext({ cert: await readFile(cert.cert), key: await readFile(cert.key) });
  caPem = await readFile(ca.cert);
});

after(async () => {
  for (const s of servers) s.close();
  await rm(dir, { recursive: true, force: true });
});

function success(): LoginOutcome {
  return {
    ok: true,
    user: 'alice',
    destination: { host: '127.0.0.11', port: 143, backend: undefined },
    backend: { socket: new Socket(), capabilities: ['IMAP4rev1', 'IDLE', 'MOVE'], pending: Buffer.alloc(0) },
  };
}

async function startDriver(opts: Options = {}): Promise<{ port: number; h: Harness }> {
  const h: Harness = { requests: [], relayed: [], closed: [], logs: [] };
  const log = pino({ level: 'debug' }, { write: (line: string) => void h.logs.push(line) });
  const server = createServer((socket) => {
    const context: FrontendContext = {
      protocol: 'imap',
      sessionId: 'S1',
      client: { remoteIp: '127.0.0.1', remotePort: socket.remotePort ?? 0, localIp: '127.0.0.1', localPort: 143 },
      implicitTls: false,
      secureContext: opts.secure === true ? secureContext : undefined,
      plaintextAllowed: opts.plaintext ?? (() => true),
      tlsEstablished: () => undefined,
      limits: { ...LIMITS, ...opts.limits },
      imapIdRetain: opts.idRetain ?? true,
      oauth2: false,
      log,
      backendPreloginCapabilities: () => opts.backendCaps,
      login: async (request) => {
        h.requests.push(request);
        return (opts.login ?? (() => ({ ok: false, failure: new LoginFailure('auth_failed', 'nope') })))(request);
      },
      relay: async (client, _outcome, pending, kickText) => {
        h.relayed.push({ pending: pending.toString('latin1'), kickText });
        // Echo what else arrives so tests can see nothing was lost or parsed.
        client.on('data', (d: Buffer) => client.write(`RELAY<${d.toString('latin1')}>`));
        client.resume();
      },
      closed: (reason) => void h.closed.push(reason),
    };
    imapDriver.handle(socket, context);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, h };
}

/** A line-oriented test client. */
class Client {
  socket: Socket | TLSSocket;
  text = '';
  #waiters: Array<() => void> = [];

  constructor(socket: Socket | TLSSocket) {
    this.socket = socket;
    this.#listen();
  }

  #listen(): void {
    this.socket.on('data', (d: Buffer) => {
      this.text += d.toString('latin1');
      for (const w of this.#waiters.splice(0)) w();
    });
    this.socket.on('close', () => {
      this.text += '<CLOSED>';
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  static async open(port: number): Promise<Client> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise((r) => socket.once('connect', r));
    const c = new Client(socket);
    await c.until(/^\* OK .*\r\n/);
    return c;
  }

  send(data: string): void {
    this.socket.write(data);
  }

  /** Wait until the accumulated text (since the last take) matches; return and consume it. */
  async until(re: RegExp, timeoutMs = 2000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!re.test(this.text)) {
      if (Date.now() > deadline) throw new Error(`timeout waiting for ${re}; got ${JSON.stringify(this.text)}`);
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 50);
      });
    }
    const out = this.text;
    this.text = '';
    return out;
  }

  async startTls(): Promise<void> {
    const raw = this.socket as Socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    const tls = tlsConnect({ socket: raw, ca: caPem, servername: 'localhost' });
    await new Promise((r, j) => {
      tls.once('secureConnect', r);
      tls.once('error', j);
    });
    this.socket = tls;
    this.#listen();
  }
}

test('greeting lists pre-login capabilities, limited by the backends', async () => {
  const { port } = await startDriver({ backendCaps: new Set(['IMAP4rev1', 'ID', 'IDLE', 'LITERAL+']) });
  const c = await Client.open(port);
  c.send('a CAPABILITY\r\n');
  const reply = await c.until(/a OK/);
  assert.match(reply, /^\* CAPABILITY IMAP4rev1 ID IDLE LITERAL\+ AUTH=PLAIN AUTH=LOGIN\r\na OK Pre-login capabilities listed, post-login capabilities have more\.\r\n$/);
  c.socket.destroy();
});

test('STARTTLS offered with a certificate; LOGINDISABLED when plaintext is not allowed', async () => {
  const { port } = await startDriver({ secure: true, plaintext: (tls) => tls });
  const c = await Client.open(port);
  c.send('a CAPABILITY\r\n');
  const reply = await c.until(/a OK/);
  assert.match(reply, /STARTTLS/);
  assert.match(reply, /LOGINDISABLED/);
  assert.doesNotMatch(reply, /AUTH=PLAIN/);
  c.send('b LOGIN alice secret\r\n');
  assert.match(await c.until(/b NO/), /^b NO \[PRIVACYREQUIRED\] Plaintext authentication disallowed on non-secure \(SSL\/TLS\) connections\.\r\n$/);
  c.socket.destroy();
});

test('starttls-injection: commands pipelined after STARTTLS are discarded', async () => {
  const { port, h } = await startDriver({ secure: true, plaintext: (tls) => tls });
  const c = await Client.open(port);
  c.send('a STARTTLS\r\nb LOGIN alice secret\r\n');
  assert.match(await c.until(/a OK/), /^a OK Begin TLS negotiation now\.\r\n$/);
  await c.startTls();
  c.send('c CAPABILITY\r\n');
  const caps = await c.until(/c OK/);
  assert.doesNotMatch(caps, /STARTTLS/);
  assert.match(caps, /AUTH=PLAIN/);
  assert.doesNotMatch(caps, /^b /m);
  assert.equal(h.requests.length, 0, 'the injected LOGIN must not run');
  c.send('d STARTTLS\r\n');
  assert.match(await c.until(/d BAD/), /d BAD TLS is already active\./);
  c.socket.destroy();
});

test('LOGIN success: capabilities in the tagged OK, pipelined bytes kept for the relay', async () => {
  const { port, h } = await startDriver({ login: () => success() });
  const c = await Client.open(port);
  c.send('a LOGIN alice "se cret"\r\nb SELECT INBOX\r\nc NOOP\r\n');
  const reply = await c.until(/a OK/);
  assert.equal(reply, 'a OK [CAPABILITY IMAP4rev1 IDLE MOVE] Logged in\r\n');
  await waitFor(() => h.relayed.length === 1);
  const relayed = h.relayed[0];
  assert.ok(relayed !== undefined);
  assert.equal(relayed.pending, 'b SELECT INBOX\r\nc NOOP\r\n');
  assert.equal(relayed.kickText('Kicked by admin'), '* BYE Disconnected for administrative reasons.\r\n');
  assert.equal(relayed.kickText('Mailbox maintenance, back at 14:00'), '* BYE Mailbox maintenance, back at 14:00\r\n');
  assert.equal(relayed.kickText('[ALERT] evil\r\na2 OK fake'), '* BYE ALERT] evil a2 OK fake\r\n');
  assert.equal(h.requests[0]?.user, 'alice');
  assert.equal(h.requests[0]?.password.reveal(), 'se cret');
  c.send('d LOGOUT\r\n');
  assert.equal(await c.until(/RELAY<[\s\S]*>/), 'RELAY<d LOGOUT\r\n>');
  assert.ok(!h.logs.join('').includes('se cret'), 'password must not be logged');
  c.socket.destroy();
});

test('CAPABILITY before login: backend capabilities as an untagged reply', async () => {
  const { port } = await startDriver({ login: () => success() });
  const c = await Client.open(port);
  c.send('a CAPABILITY\r\n');
  await c.until(/a OK/);
  c.send('b LOGIN alice secret\r\n');
  assert.equal(await c.until(/b OK/), '* CAPABILITY IMAP4rev1 IDLE MOVE\r\nb OK Logged in\r\n');
  c.socket.destroy();
});

test('no commands are parsed while login is pending', async () => {
  let release: (o: LoginOutcome) => void = () => undefined;
  const { port, h } = await startDriver({ login: () => new Promise<LoginOutcome>((r) => (release = r)) });
  const c = await Client.open(port);
  c.send('a LOGIN alice secret\r\n');
  await waitFor(() => h.requests.length === 1);
  c.send('b NOOP\r\n');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(c.text, '', 'NOOP must not be answered before login completes');
  release(success());
  await c.until(/a OK/);
  await waitFor(() => h.relayed.length === 1);
  // The NOOP reaches the relay unparsed: either handed over as pending or read by the relay itself.
  const pending = h.relayed[0]?.pending ?? '';
  if (pending === '') assert.match(await c.until(/RELAY</), /^RELAY<b NOOP\r\n>$/);
  else assert.equal(pending, 'b NOOP\r\n');
  assert.doesNotMatch(c.text, /b OK/);
  c.socket.destroy();
});

test('failure kinds are rendered with Dovecot texts; too many failures close', async () => {
  const kinds: LoginFailure[] = [new LoginFailure('auth_temp', 'ldap down'), new LoginFailure('backend_unavailable', 'x')];
  const { port, h } = await startDriver({ login: () => ({ ok: false, failure: kinds.shift() as LoginFailure }) });
  const c = await Client.open(port);
  c.send('a LOGIN alice secret\r\n');
  assert.equal(await c.until(/a NO/), 'a NO [UNAVAILABLE] Temporary authentication failure.\r\n');
  c.send('b LOGIN alice secret\r\n');
  assert.equal(await c.until(/CLOSED/), 'b NO [UNAVAILABLE] Account is temporarily unavailable.\r\n* BYE Too many invalid commands.\r\n<CLOSED>');
  assert.equal(h.closed.length, 1);
});

test('empty user or password fails without a lookup', async () => {
  const { port, h } = await startDriver({ limits: { maxAuthAttempts: 5 } });
  const c = await Client.open(port);
  c.send('a LOGIN "" secret\r\n');
  assert.equal(await c.until(/a NO/), 'a NO [AUTHENTICATIONFAILED] Authentication failed.\r\n');
  assert.equal(h.requests.length, 0);
  c.socket.destroy();
});

test('AUTHENTICATE PLAIN with SASL-IR and with continuation; * aborts', async () => {
  const { port, h } = await startDriver({ limits: { maxAuthAttempts: 5 } });
  const c = await Client.open(port);
  const b64 = Buffer.from('\0alice\0pw one').toString('base64');
  c.send(`a AUTHENTICATE PLAIN ${b64}\r\n`);
  await c.until(/a NO/);
  assert.equal(h.requests[0]?.user, 'alice');
  assert.equal(h.requests[0]?.password.reveal(), 'pw one');
  assert.equal(h.requests[0]?.mechanism, 'PLAIN');
  c.send('b AUTHENTICATE PLAIN\r\n');
  assert.equal(await c.until(/\+ /), '+ \r\n');
  c.send(`${Buffer.from('bob\0bob\0pw2').toString('base64')}\r\n`);
  assert.equal(await c.until(/b NO/), 'b NO [AUTHENTICATIONFAILED] Authentication failed.\r\n');
  assert.equal(h.requests[1]?.authzid, 'bob');
  c.send('c AUTHENTICATE PLAIN\r\n');
  await c.until(/\+ /);
  c.send('*\r\n');
  assert.equal(await c.until(/c BAD/), 'c BAD Authentication aborted by client.\r\n');
  c.socket.destroy();
});

test('AUTHENTICATE LOGIN asks for user and password', async () => {
  const { port, h } = await startDriver();
  const c = await Client.open(port);
  c.send('a AUTHENTICATE LOGIN\r\n');
  assert.equal(await c.until(/\+ /), '+ VXNlcm5hbWU6\r\n');
  c.send(`${Buffer.from('carol').toString('base64')}\r\n`);
  assert.equal(await c.until(/\+ /), '+ UGFzc3dvcmQ6\r\n');
  c.send(`${Buffer.from('pw').toString('base64')}\r\n`);
  await c.until(/a NO/);
  assert.equal(h.requests[0]?.user, 'carol');
  assert.equal(h.requests[0]?.mechanism, 'LOGIN');
  c.socket.destroy();
});

test('AUTHENTICATE: an empty authcid or a PLAIN message without two NULs fails without a login; bad base64 is BAD', async () => {
  const { port, h } = await startDriver({ limits: { maxAuthAttempts: 5 } });
  const c = await Client.open(port);
  c.send(`a AUTHENTICATE PLAIN ${Buffer.from('\0\0pw').toString('base64')}\r\n`);
  assert.equal(await c.until(/a NO/), 'a NO [AUTHENTICATIONFAILED] Authentication failed.\r\n');
  c.send(`b AUTHENTICATE PLAIN ${Buffer.from('alice').toString('base64')}\r\n`);
  assert.equal(await c.until(/b NO/), 'b NO [AUTHENTICATIONFAILED] Authentication failed.\r\n');
  c.send('c AUTHENTICATE PLAIN AGFsaWNlAHB3!\r\n');
  assert.equal(await c.until(/c BAD/), 'c BAD Invalid base64 data in continued response\r\n');
  assert.equal(h.requests.length, 0);
  c.socket.destroy();
});

test('ID is answered and kept for the login request', async () => {
  const { port, h } = await startDriver();
  const c = await Client.open(port);
  c.send('a ID ("name" "Thunderbird" "version" NIL)\r\n');
  assert.equal(await c.until(/a OK/), '* ID ("name" "mail-director")\r\na OK ID completed.\r\n');
  c.send('b LOGIN alice pw\r\n');
  await c.until(/b NO/);
  assert.deepEqual(h.requests[0]?.clientId, [
    ['name', 'Thunderbird'],
    ['version', null],
  ]);
  c.socket.destroy();
});

test('NOOP, ENABLE, LOGOUT', async () => {
  const { port, h } = await startDriver();
  const c = await Client.open(port);
  c.send('a NOOP\r\nb ENABLE UTF8=ACCEPT\r\nc LOGOUT\r\n');
  assert.equal(
    await c.until(/CLOSED/),
    'a OK NOOP completed.\r\n* ENABLED\r\nb OK ENABLE ignored in non-authenticated state.\r\n* BYE Logging out\r\nc OK Logout completed.\r\n<CLOSED>',
  );
  assert.deepEqual(h.closed, ['Aborted login']);
});

test('unknown commands are BAD; too many invalid commands close', async () => {
  const { port } = await startDriver();
  const c = await Client.open(port);
  c.send('a SELECT INBOX\r\nb FOO\r\n');
  assert.equal(await c.until(/b BAD.*\r\n/), 'a BAD Error in IMAP command received by server.\r\nb BAD Error in IMAP command received by server.\r\n');
  c.send('c BAR\r\n');
  assert.equal(await c.until(/CLOSED/), '* BYE Too many invalid IMAP commands.\r\n<CLOSED>');
});

test('a too-big literal is refused before "+" and the connection closed', async () => {
  const { port } = await startDriver();
  const c = await Client.open(port);
  c.send('a LOGIN {101}\r\n');
  assert.equal(await c.until(/CLOSED/), '* BYE Literal size too large\r\n<CLOSED>');
  const c2 = await Client.open(port);
  c2.send('a LOGIN {5}\r\n');
  assert.equal(await c2.until(/\+ OK/), '+ OK\r\n');
  c2.socket.destroy();
});

test('pre-login timeout', async () => {
  const { port, h } = await startDriver({ limits: { preloginTimeoutMs: 150 } });
  const c = await Client.open(port);
  assert.equal(await c.until(/CLOSED/), '* BYE Disconnected for inactivity.\r\n<CLOSED>');
  assert.equal(h.closed.length, 1);
});

async function waitFor(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 10));
  }
}
