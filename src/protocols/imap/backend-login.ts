import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { encodePlain } from '../../auth/sasl.js';
import { encodeOAuth2, isOAuth2Mechanism, oauth2FailureAck } from '../../auth/sasl-oauth2.js';
import { LoginFailure } from '../../core/failure.js';
import { upgradeClientSocket } from '../../net/backend-connect.js';
import { connectForLogin } from '../../session/backend-login-run.js';
import { backendLoginFailure } from '../../net/backend-failure.js';
import { BackendLines } from '../../net/backend-lines.js';
import { Deadline } from '../../net/deadline.js';
import type { BackendLoginParams, BackendLoginSuccess } from '../../session/backend-login.js';
import { capabilityCode, NO_CAPABILITIES, untaggedCapability, type CapabilitySet } from './capabilities.js';
import { imapString, quoteNString, quoteString } from './quote.js';
import { ignoreSocketError } from '../../net/ignore-error.js';

export interface ImapBackendLoginOptions {
  readonly log?: Logger | undefined;
  /** Reconnects after a failed connect(), within the budget (net/backend-connect.ts). */
  readonly connectRetries?: number;
  /** Pause before a reconnect; LOGIN_RECONNECT_DELAY_MS unless given. */
  readonly retryDelayMs?: number;
}

/** State names as Dovecot's imap-proxy logs them (sent/received), for debug logs and timeout details. */
export type BackendLoginState =
  | 'connect'
  | 'banner'
  | 'capability'
  | 'starttls'
  | 'tls'
  | 'id'
  | 'login'
  | 'auth-continue'
  | 'post-login-capability'
  | 'done';

/** Log in to an IMAP backend on the user's behalf. Throws LoginFailure (backend_unavailable / backend_auth_failed). */
export function imapBackendLogin(params: BackendLoginParams, options: ImapBackendLoginOptions = {}): Promise<BackendLoginSuccess> {
  return new ImapBackendLoginMachine(params, options).run();
}

class ImapBackendLoginMachine {
  readonly #params: BackendLoginParams;
  readonly #options: ImapBackendLoginOptions;
  readonly #started = Date.now();
  #state: BackendLoginState = 'connect';
  #socket: Socket | undefined;
  #reader: BackendLines | undefined;
  /** Asked once: a login enters five states or more. */
  readonly #debug: boolean;

  constructor(params: BackendLoginParams, options: ImapBackendLoginOptions) {
    this.#params = params;
    this.#options = options;
    this.#debug = options.log?.isLevelEnabled('debug') === true;
  }

  async run(): Promise<BackendLoginSuccess> {
    const deadline = new Deadline(this.#params.timeoutMs);
    try {
      return await this.#login(deadline);
    } catch (err: unknown) {
      this.#reader?.detach();
      this.#socket?.on('error', ignoreSocketError);
      this.#socket?.destroy();
      throw backendLoginFailure(err, {
        backend: `${this.#params.host}:${this.#params.port}`,
        state: this.#state,
        elapsedMs: Date.now() - this.#started,
        timedOut: deadline.expired,
      });
    } finally {
      deadline.clear();
    }
  }

  #enter(state: BackendLoginState): void {
    this.#state = state;
    if (this.#debug) this.#options.log?.debug({ backend_host: this.#params.host, backend_port: this.#params.port, state }, 'imap backend login state');
  }

  async #login(deadline: Deadline): Promise<BackendLoginSuccess> {
    const p = this.#params;
    const starttls = p.starttls !== 'no';
    this.#enter('connect');
    this.#socket = await connectForLogin(p, deadline, {
      protocol: 'imap',
      log: this.#options.log,
      maxReconnects: this.#options.connectRetries,
      delayMs: this.#options.retryDelayMs,
    });
    this.#reader = new BackendLines(this.#socket, deadline);

    this.#enter('banner');
    const banner = await this.#reader.next();
    if (!banner.startsWith('* OK')) {
      throw new LoginFailure('backend_unavailable', `Remote returned invalid banner: ${printable(banner)}`);
    }
    let caps = capabilityCode(banner.slice(4).trimStart());
    if (caps === undefined) {
      this.#enter('capability');
      this.#write('C CAPABILITY\r\n');
      caps = await this.#untilTagged('C');
    }

    if (starttls) {
      if (!caps.has('STARTTLS')) throw new LoginFailure('backend_unavailable', "Remote doesn't support STARTTLS");
      this.#enter('starttls');
      this.#write('S STARTTLS\r\n');
      await this.#untilTagged('S');
      const leftover = this.#reader.detach();
      if (leftover.length > 0) throw new LoginFailure('backend_unavailable', 'Remote sent data after STARTTLS reply');
      this.#enter('tls');
      this.#socket = await upgradeClientSocket(this.#socket, {
        mode: p.starttls === 'any-cert' ? 'any-cert' : 'yes',
        host: p.host,
        ca: p.tls.ca,
        cert: p.tls.clientCert,
        key: p.tls.clientKey,
        deadline,
      });
      this.#reader = new BackendLines(this.#socket, deadline);
    } else if (caps.has('LOGINDISABLED') && p.ssl === 'no') {
      throw new LoginFailure('backend_unavailable', 'Remote advertised LOGINDISABLED and SSL/TLS not enabled');
    }

    const idCommand = caps.has('ID') && !p.notTrusted ? this.#idCommand() : undefined;
    const login = this.#loginCommand(caps);
    if (idCommand !== undefined && p.nopipelining) {
      this.#enter('id');
      this.#write(idCommand);
      await this.#untilTagged('I', true);
      this.#enter('login');
      this.#write(login.first);
    } else {
      this.#enter(idCommand !== undefined ? 'id' : 'login');
      this.#write(idCommand === undefined ? login.first : idCommand + login.first);
    }
    let postLoginCaps = await this.#awaitLogin(login);

    if (postLoginCaps === undefined) {
      this.#enter('post-login-capability');
      this.#write('C CAPABILITY\r\n');
      postLoginCaps = await this.#untilTagged('C');
    }
    this.#enter('done');
    const pending = this.#reader.detach();
    return { socket: this.#socket, capabilities: postLoginCaps.original, pending };
  }

  #write(data: string | Buffer): void {
    (this.#socket as Socket).write(data);
  }

  /** Read until the tagged reply for `tag`; returns capabilities seen on the way (or in the reply's code). */
  async #untilTagged(tag: string, anyStatus = false): Promise<CapabilitySet> {
    const reader = this.#reader as BackendLines;
    let caps: CapabilitySet | undefined;
    for (;;) {
      const line = reader.buffered() ?? (await reader.next());
      const untaggedCaps = untaggedCapability(line);
      if (untaggedCaps !== undefined) {
        caps = untaggedCaps;
        continue;
      }
      if (line.startsWith('* BYE')) throw new LoginFailure('backend_unavailable', `Remote disconnected: ${printable(line)}`);
      if (!line.startsWith(`${tag} `)) continue;
      const rest = line.slice(tag.length + 1);
      if (!anyStatus && !OK_STATUS.test(rest)) {
        throw new LoginFailure('backend_unavailable', `Remote ${tag === 'S' ? 'STARTTLS' : 'command'} failed: ${printable(rest)}`);
      }
      return capabilityCode(rest.replace(FIRST_WORD, '')) ?? caps ?? NO_CAPABILITIES;
    }
  }

  /** Read replies to ID and login; answers `+` continuations. Returns post-login capabilities if seen. */
  async #awaitLogin(login: LoginCommand): Promise<CapabilitySet | undefined> {
    const reader = this.#reader as BackendLines;
    let answered = 0;
    let caps: CapabilitySet | undefined;
    for (;;) {
      const line = reader.buffered() ?? (await reader.next());
      if (line.startsWith('+')) {
        const next = login.continuations[answered++];
        if (next === undefined) throw new LoginFailure('backend_unavailable', 'Remote sent an unexpected continuation');
        if (login.sasl) this.#enter('auth-continue');
        this.#write(next);
        continue;
      }
      if (line.startsWith('I ')) {
        this.#enter('login');
        continue;
      }
      const untaggedCaps = untaggedCapability(line);
      if (untaggedCaps !== undefined) {
        caps = untaggedCaps;
        continue;
      }
      if (line.startsWith('* BYE')) throw new LoginFailure('backend_unavailable', `Remote disconnected: ${printable(line)}`);
      if (!line.startsWith('L ')) continue;
      const rest = line.slice(2);
      if (OK_STATUS.test(rest)) return capabilityCode(rest.slice(2).trimStart()) ?? caps;
      // Never relay the backend's text; a temporary failure is not a wrong password.
      const code = REFUSAL_CODE.exec(rest)?.[1]?.toUpperCase();
      const kind = code !== undefined && TEMPORARY_CODES.has(code) ? 'backend_unavailable' : 'backend_auth_failed';
      throw new LoginFailure(kind, `Remote refused login: ${printable(rest)}`);
    }
  }

  #idCommand(): string {
    const p = this.#params;
    let body = '';
    for (const [key, value] of p.clientId ?? []) {
      // The client's own x-* keys could claim another origin: only ours are sent.
      if (!key.toLowerCase().startsWith('x-')) body += `${idKey(key)} ${quoteNString(value)} `;
    }
    body +=
      `${ID_SESSION} ${quoteNString(p.sessionId)} ${ID_ORIGINATING_IP} ${quoteNString(p.client.remoteIp)}` +
      ` ${ID_ORIGINATING_PORT} ${quoteNString(String(p.client.remotePort))} ${ID_CONNECTED_IP} ${quoteNString(p.client.localIp)}` +
      ` ${ID_CONNECTED_PORT} ${quoteNString(String(p.client.localPort))} ${ID_PROXY_TTL} ${quoteNString(String(Math.max(0, p.ttl)))}`;
    for (const [name, value] of Object.entries(p.forward)) body += ` ${idKey(`x-forward-${name}`)} ${quoteNString(value)}`;
    return `I ID (${body})\r\n`;
  }

  #loginCommand(caps: CapabilitySet): LoginCommand {
    const p = this.#params;
    const mech = p.proxyMech?.toUpperCase();
    const oauth2 = mech !== undefined && isOAuth2Mechanism(mech);
    if (mech !== undefined && mech !== 'PLAIN' && mech !== 'LOGIN' && !oauth2) {
      throw new LoginFailure('backend_unavailable', `Unsupported proxy_mech ${mech}`);
    }
    if (oauth2 && p.master === undefined) {
      // proxy_mech=%m after XOAUTH2/OAUTHBEARER: the client's token, with the client's mechanism.
      // A refused token gets the JSON status as a `+` challenge; its answer brings the tagged NO.
      const encoded = encodeOAuth2(mech, p.user, p.password);
      const ack = `${oauth2FailureAck(mech)}\r\n`;
      if (caps.has('SASL-IR')) return { first: `L AUTHENTICATE ${mech} ${encoded}\r\n`, continuations: [ack], sasl: true };
      return { first: `L AUTHENTICATE ${mech}\r\n`, continuations: [`${encoded}\r\n`, ack], sasl: true };
    }
    const usePlain = p.master !== undefined || mech === 'PLAIN' || (mech === undefined && caps.has('SASL-IR') && caps.has('AUTH=PLAIN'));
    if (usePlain) {
      // RFC 4616: authzid NUL authcid NUL password; a master logs in as authcid on behalf of authzid.
      const encoded = encodePlain(p.master !== undefined ? p.user : '', p.master ?? p.user, p.password);
      if (caps.has('SASL-IR')) return { first: `L AUTHENTICATE PLAIN ${encoded}\r\n`, continuations: [], sasl: true };
      return { first: 'L AUTHENTICATE PLAIN\r\n', continuations: [`${encoded}\r\n`], sasl: true };
    }
    // LOGIN user password, quoted when possible, else literals (LITERAL+ when offered).
    const nonSync = caps.has('LITERAL+');
    const pieces: string[] = [];
    let current = 'L LOGIN';
    for (const value of [p.user, p.password.reveal()]) {
      const part = imapString(value);
      if (part.kind === 'text') {
        current += ` ${part.text}`;
        continue;
      }
      current += ` {${part.data.length}${nonSync ? '+' : ''}}\r\n`;
      if (nonSync) {
        current += part.data.toString('utf8');
      } else {
        pieces.push(current);
        current = part.data.toString('utf8');
      }
    }
    pieces.push(`${current}\r\n`);
    return { first: pieces[0] as string, continuations: pieces.slice(1), sasl: false };
  }
}

interface LoginCommand {
  readonly first: string;
  /** Written one per `+` from the backend (synchronizing literals, or a SASL response). */
  readonly continuations: readonly string[];
  readonly sasl: boolean;
}

/** Response codes that mean "try later", not "wrong credentials" (RFC 5530). */
const TEMPORARY_CODES: ReadonlySet<string> = new Set(['UNAVAILABLE', 'SERVERBUG', 'INUSE', 'LIMIT', 'CONTACTADMIN']);

const NON_ID_KEY_CHARS = /[^\x21-\x7e]/g;
function idKey(key: string): string {
  return quoteString(key.replace(NON_ID_KEY_CHARS, '_'));
}
// The fixed ID keys, quoted once.
const ID_SESSION = idKey('x-session-id');
const ID_ORIGINATING_IP = idKey('x-originating-ip');
const ID_ORIGINATING_PORT = idKey('x-originating-port');
const ID_CONNECTED_IP = idKey('x-connected-ip');
const ID_CONNECTED_PORT = idKey('x-connected-port');
const ID_PROXY_TTL = idKey('x-proxy-ttl');

const OK_STATUS = /^OK\b/i;
const FIRST_WORD = /^\S+\s*/;
const REFUSAL_CODE = /^(?:NO|BAD)\s+\[([A-Z-]+)/i;

function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = text.replace(/[\x00-\x1f\x7f-\xff]/g, '?');
  return cleaned.length > 160 ? `${cleaned.slice(0, 160)}...` : cleaned;
}
