import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tlsConnect, createSecureContext, type SecureContext } from 'node:tls';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FrontendDriver } from '../../../src/session/frontend.js';
import type { BackendLoginParams } from '../../../src/session/backend-login.js';
import { imapDriver } from '../../../src/protocols/imap/driver.js';
import { createPop3Driver } from '../../../src/protocols/pop3/driver.js';
import { createSubmissionDriver } from '../../../src/protocols/submission/driver.js';
import { sieveDriver } from '../../../src/protocols/sieve/driver.js';
import { createCa, issueCert } from '../../harness/certs.js';
import { failure, fakeContext, LineReader, socketPair, success, type Fake, type FakeOptions } from './fake-context.js';

/**
 * One contract, every front end on the session kit: the same hostile and
 * ordinary clients, each protocol speaking its own words. A new protocol
 * adds a row to DRIVERS and passes these before anything else.
 */
interface DriverCase {
  readonly name: string;
  readonly driver: FrontendDriver;
  readonly protocol: FakeOptions['protocol'];
  /** The greeting's last line. */
  readonly greeting: RegExp;
  /** Lines sent before the greeting's last line and before tlsReady (ManageSieve's capabilities, RFC 5804 §1.7). */
  readonly capabilityLine?: RegExp;
  /** The server speaks first once STARTTLS's handshake is done (ManageSieve, RFC 5804 §2.2). */
  readonly tlsReady?: RegExp;
  /** A plaintext login command line (CRLF included) for user/password. */
  login(user: string, password: string): string;
  readonly loginOk: RegExp;
  readonly loginFailed: RegExp;
  readonly invalid: string;
  readonly invalidReply: RegExp;
  readonly tooManyInvalid: RegExp;
  readonly tooLong: RegExp;
  readonly inactivity: RegExp;
  readonly starttls: string;
  readonly starttlsOk: RegExp;
  /** SASL PLAIN with an initial response that is not base64. */
  readonly badSasl: string;
  readonly badSaslReply: RegExp;
  /** A harmless command that gets one reply line, to see the connection still answers. */
  readonly noop: string;
  readonly noopReply: RegExp;
  /** To a PROXY header on a port that takes none. */
  readonly proxyHeader: RegExp;
}

const DRIVERS: readonly DriverCase[] = [
  {
    name: 'imap',
    driver: imapDriver,
    protocol: 'imap',
    greeting: /^\* OK \[CAPABILITY [^\]]*\] mail-director ready\.$/,
    login: (u, p) => `a1 LOGIN "${u}" "${p}"\r\n`,
    loginOk: /^a1 OK /,
    loginFailed: /^a1 NO \[AUTHENTICATIONFAILED\] Authentication failed\.$/,
    invalid: 'x FOO\r\n',
    invalidReply: /^x BAD Error in IMAP command received by server\.$/,
    tooManyInvalid: /^\* BYE Too many invalid IMAP commands\.$/,
    tooLong: /^\* BYE Input buffer full, aborting$/,
    inactivity: /^\* BYE Disconnected for inactivity\.$/,
    starttls: 's STARTTLS\r\n',
    starttlsOk: /^s OK Begin TLS negotiation now\.$/,
    badSasl: 'b AUTHENTICATE PLAIN !!notbase64!!\r\n',
    badSaslReply: /^b BAD Invalid base64 data in continued response$/,
    noop: 'n NOOP\r\n',
    noopReply: /^n OK NOOP completed\.$/,
    proxyHeader: /^\* BYE Unexpected PROXY protocol header\.$/,
  },
  {
    name: 'pop3',
    driver: createPop3Driver(),
    protocol: 'pop3',
    greeting: /^\+OK mail-director ready\.$/,
    // USER and PASS: the login is the second line.
    login: (u, p) => `USER ${u}\r\nPASS ${p}\r\n`,
    loginOk: /^\+OK Logged in\.$/,
    loginFailed: /^-ERR \[AUTH\] Authentication failed\.$/,
    invalid: 'FOO\r\n',
    invalidReply: /^-ERR Unknown command\.$/,
    tooManyInvalid: /^-ERR Too many invalid bad commands\.$/,
    tooLong: /^-ERR Input buffer full, aborting$/,
    inactivity: /^-ERR Disconnected for inactivity\.$/,
    starttls: 'STLS\r\n',
    starttlsOk: /^\+OK Begin TLS negotiation now\.$/,
    badSasl: 'AUTH PLAIN !!notbase64!!\r\n',
    badSaslReply: /^-ERR \[AUTH\] Invalid base64 in response$/,
    noop: 'NOOP\r\n',
    noopReply: /^-ERR Unknown command\.$/,
    proxyHeader: /^-ERR Unexpected PROXY protocol header\.$/,
  },
  {
    name: 'submission',
    driver: createSubmissionDriver({ hostname: 'director.test' }),
    protocol: 'submission',
    greeting: /^220 director\.test ESMTP mail-director ready\.$/,
    // RFC 4954 AUTH PLAIN with an initial response: the whole login in one line.
    login: (u, p) => `AUTH PLAIN ${Buffer.from(`\0${u}\0${p}`).toString('base64')}\r\n`,
    loginOk: /^235 2\.7\.0 Logged in\.$/,
    loginFailed: /^535 5\.7\.8 Authentication failed\.$/,
    invalid: 'FOO\r\n',
    invalidReply: /^500 5\.5\.1 Unknown command$/,
    tooManyInvalid: /^421 4\.7\.0 director\.test Too many invalid commands\.$/,
    tooLong: /^500 5\.5\.2 Line too long$/,
    inactivity: /^421 4\.4\.2 director\.test Disconnected for inactivity$/,
    starttls: 'STARTTLS\r\n',
    starttlsOk: /^220 2\.0\.0 Begin TLS negotiation now\.$/,
    badSasl: 'AUTH PLAIN !!notbase64!!\r\n',
    badSaslReply: /^501 5\.5\.2 Invalid base64 data in initial response$/,
    noop: 'NOOP\r\n',
    noopReply: /^250 2\.0\.0 OK$/,
    proxyHeader: /^421 4\.7\.0 director\.test Unexpected PROXY protocol header\.$/,
  },
  {
    name: 'sieve',
    driver: sieveDriver,
    protocol: 'sieve',
    greeting: /^OK "mail-director ready\."$/,
    capabilityLine: /^"[A-Z]+"( ".*")?$/,
    tlsReady: /^OK "TLS negotiation successful\."$/,
    login: (u, p) => `AUTHENTICATE "PLAIN" "${Buffer.from(`\0${u}\0${p}`).toString('base64')}"\r\n`,
    loginOk: /^OK "Logged in\."$/,
    loginFailed: /^NO "Authentication failed\."$/,
    invalid: 'FOO\r\n',
    invalidReply: /^NO "Error in MANAGESIEVE command received by server\."$/,
    tooManyInvalid: /^BYE "Too many invalid MANAGESIEVE commands\."$/,
    tooLong: /^BYE "Input buffer full, aborting"$/,
    inactivity: /^BYE "Disconnected for inactivity\."$/,
    starttls: 'STARTTLS\r\n',
    starttlsOk: /^OK "Begin TLS negotiation now\."$/,
    badSasl: 'AUTHENTICATE "PLAIN" "!!notbase64!!"\r\n',
    badSaslReply: /^NO "Invalid base64 data in initial response"$/,
    noop: 'NOOP\r\n',
    noopReply: /^OK "NOOP Completed"$/,
    proxyHeader: /^BYE "Unexpected PROXY protocol header\."$/,
  },
];

let dir: string;
let secureContext: SecureContext;
let caPem: Buffer;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-contract-'));
  const ca = await createCa(dir, 'ca');
  const cert = await issueCert(ca, dir, 'director', { ips: ['127.0.0.1'], dns: ['localhost'] });
  secureContext = createSecureContext({ cert: await readFile(cert.cert), key: await readFile(cert.key) });
  caPem = await readFile(ca.cert);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Open {
  readonly fake: Fake;
  readonly reader: LineReader;
  write(s: string): void;
  readonly client: import('node:net').Socket;
  close(): void;
}

async function open(c: DriverCase, options: FakeOptions = {}): Promise<Open> {
  const fake = fakeContext({ protocol: c.protocol, ...options });
  const pair = await socketPair();
  const reader = new LineReader(pair.client);
  c.driver.handle(pair.server, fake.context);
  assert.match((await skipCapabilities(c, reader)) ?? '', c.greeting);
  return { fake, reader, write: (s) => pair.client.write(s), client: pair.client, close: pair.close };
}

/** The next line that is not a capability line. */
async function skipCapabilities(c: DriverCase, reader: LineReader): Promise<string | undefined> {
  for (;;) {
    const line = await reader.next();
    if (c.capabilityLine === undefined || line === undefined || !c.capabilityLine.test(line)) return line;
  }
}

/** The reply lines to a login command (POP3's USER gets its own +OK first). */
async function loginReply(c: DriverCase, o: Open): Promise<string | undefined> {
  if (c.name === 'pop3') assert.match((await o.reader.next()) ?? '', /^\+OK/);
  return o.reader.next();
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

for (const c of DRIVERS) {
  describe(`front-end contract: ${c.name}`, () => {
    test('a plaintext login reaches the core with the credentials and hands the client to the relay', async () => {
      const o = await open(c);
      o.write(c.login('alice', 's3cret'));
      assert.match((await loginReply(c, o)) ?? '', c.loginOk);
      await waitFor(() => o.fake.relays.length === 1, 'the relay');
      assert.equal(o.fake.logins[0]?.user, 'alice');
      assert.equal(o.fake.logins[0]?.password.reveal(), 's3cret');
      o.close();
    });

    test('every byte offset: a login split across two writes is read whole', async () => {
      const line = c.login('bob', 'pw');
      for (let cut = 1; cut < line.length; cut++) {
        const o = await open(c);
        o.write(line.slice(0, cut));
        await sleep(2);
        o.write(line.slice(cut));
        assert.match((await loginReply(c, o)) ?? '', c.loginOk, `cut at ${cut}`);
        assert.equal(o.fake.logins[0]?.user, 'bob', `cut at ${cut}`);
        assert.equal(o.fake.logins[0]?.password.reveal(), 'pw', `cut at ${cut}`);
        o.close();
      }
    });

    test('failed logins are answered; the last allowed one closes the connection', async () => {
      const o = await open(c, { login: () => failure('auth_failed') });
      for (let i = 0; i < 3; i++) {
        o.write(c.login('alice', `wrong${i}`));
        assert.match((await loginReply(c, o)) ?? '', c.loginFailed);
      }
      // A protocol may say goodbye on a line of its own; then the socket closes.
      let line = await o.reader.next();
      if (line !== undefined) line = await o.reader.next();
      assert.equal(line, undefined);
      assert.deepEqual(o.fake.closed, ['Disconnected: Too many failed authentication attempts']);
      o.close();
    });

    test('an invalid command is answered; a flood of them closes the connection', async () => {
      const o = await open(c);
      o.write(c.invalid);
      assert.match((await o.reader.next()) ?? '', c.invalidReply);
      o.write(c.invalid.repeat(5));
      const lines: string[] = [];
      for (;;) {
        const line = await o.reader.next();
        if (line === undefined) break;
        lines.push(line);
      }
      assert.match(lines[lines.length - 1] ?? '', c.tooManyInvalid);
      assert.deepEqual(o.fake.closed, ['Disconnected: Too many invalid commands']);
      o.close();
    });

    test('a PROXY header (v1 or v2) where none is taken is answered with the protocol\'s closing line and closed', async () => {
      const v2 = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2]);
      for (const header of [Buffer.from('PROXY TCP4 192.0.2.1 192.0.2.2 1000 143\r\n'), v2]) {
        const o = await open(c);
        o.client.write(header);
        assert.match((await o.reader.next()) ?? '', c.proxyHeader);
        assert.equal(await o.reader.next(), undefined);
        assert.deepEqual(o.fake.closed, ['Disconnected: Unexpected PROXY header']);
        assert.equal(o.fake.logins.length, 0);
        o.close();
      }
    });

    test('a line over limits.max_line_length ends the connection with the protocol\'s reply', async () => {
      const o = await open(c);
      o.write('A'.repeat(5000));
      assert.match((await o.reader.next()) ?? '', c.tooLong);
      assert.equal(await o.reader.next(), undefined);
      assert.deepEqual(o.fake.closed, ['Disconnected: Input buffer full']);
      o.close();
    });

    test('the pre-login timer runs once per connection: failed logins do not restart it', async () => {
      const o = await open(c, { limits: { preloginTimeoutMs: 300 }, login: () => failure('auth_failed') });
      await sleep(150);
      o.write(c.login('alice', 'wrong'));
      assert.match((await loginReply(c, o)) ?? '', c.loginFailed);
      const started = Date.now();
      assert.match((await o.reader.next()) ?? '', c.inactivity);
      assert.ok(Date.now() - started < 250, 'the timer restarted after the failed login');
      assert.deepEqual(o.fake.closed, ['Disconnected: Inactivity']);
      o.close();
    });

    test('bad SASL (not base64) is refused with the protocol\'s reply and the connection goes on', async () => {
      const o = await open(c);
      o.write(c.badSasl);
      assert.match((await o.reader.next()) ?? '', c.badSaslReply);
      o.write(c.noop);
      assert.match((await o.reader.next()) ?? '', c.noopReply);
      assert.equal(o.fake.logins.length, 0);
      o.close();
    });

    test('STARTTLS: input pipelined after it is dropped; a login inside TLS works', async () => {
      const o = await open(c, { secureContext, trusted: false });
      o.write(c.starttls + c.login('mallory', 'injected'));
      assert.match((await o.reader.next()) ?? '', c.starttlsOk);
      o.client.removeAllListeners('data');
      const tls = tlsConnect({ socket: o.client, ca: caPem, servername: 'localhost' });
      await new Promise<void>((resolve, reject) => {
        tls.once('secureConnect', resolve);
        tls.once('error', reject);
      });
      const reader = new LineReader(tls);
      if (c.tlsReady !== undefined) assert.match((await skipCapabilities(c, reader)) ?? '', c.tlsReady);
      tls.write(c.login('alice', 'inside'));
      if (c.name === 'pop3') assert.match((await reader.next()) ?? '', /^\+OK/);
      assert.match((await reader.next()) ?? '', c.loginOk);
      assert.deepEqual(o.fake.logins.map((l) => l.user), ['alice']);
      tls.destroy();
      o.close();
    });

    test('a TLS handshake that never comes is cut by the pre-login timer', async () => {
      const o = await open(c, { secureContext, limits: { preloginTimeoutMs: 200 } });
      o.write(c.starttls);
      assert.match((await o.reader.next()) ?? '', c.starttlsOk);
      await waitFor(() => o.fake.closed.length === 1, 'the close', 3000);
      assert.match(o.fake.closed[0] ?? '', /^Disconnected: TLS handshake failed$/);
      o.close();
    });

    test('a client that leaves while its login is pending gets no backend login and is closed once', async () => {
      let backendLoginError: unknown;
      const o = await open(c, {
        async login(_request, backendLogin) {
          await sleep(150);
          try {
            await backendLogin({} as unknown as BackendLoginParams);
          } catch (err: unknown) {
            backendLoginError = err;
          }
          return success();
        },
      });
      o.write(c.login('alice', 'pw'));
      if (c.name === 'pop3') assert.match((await o.reader.next()) ?? '', /^\+OK/);
      await sleep(20);
      o.client.end();
      await waitFor(() => backendLoginError !== undefined, 'the backend login attempt');
      assert.match(String(backendLoginError), /client disconnected before the backend login/);
      await sleep(50);
      assert.deepEqual(o.fake.closed, ['Disconnected']);
      assert.equal(o.fake.relays.length, 0);
      o.close();
    });
  });
}
