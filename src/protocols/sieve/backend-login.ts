import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { upgradeClientSocket } from '../../net/backend-connect.js';
import { connectForLogin, runBackendLogin } from '../../session/backend-login-run.js';
import { Deadline } from '../../net/deadline.js';
import { LoginFailure, sanitizeReplyText } from '../../core/failure.js';
import type { FramedCommand } from '../../session/literal-framer.js';
import type { BackendLoginParams, BackendLoginSuccess } from '../../session/backend-login.js';
import { xclientLine } from '../../session/xclient-fields.js';
import { encodePlain } from '../../auth/sasl.js';
import { encodeOAuth2, isOAuth2Mechanism, oauth2FailureAck } from '../../auth/sasl-oauth2.js';
import { backendCapabilityItems } from './capabilities.js';
import { parseLine, SieveParseError, stringArg } from './parser.js';
import { sieveString } from './quote.js';
import { BackendResponses } from './backend-reader.js';

/** Pigeonhole's managesieve-proxy.c states (none, tls-start, tls-ready, xclient, auth), logged as the machine moves. */
export type SieveBackendState = 'connect' | 'greeting' | 'tls-start' | 'tls-ready' | 'xclient' | 'auth' | 'done';


/** What a backend's capability listing (greeting, or after STARTTLS) offers. */
export interface BackendOffer {
  readonly sasl: boolean;
  readonly starttls: boolean;
  readonly xclient: boolean;
  readonly items: readonly string[];
}

/** A response line's status, if it is one: `OK`, `NO` or `BYE` as a word of its own. */
export function statusOf(response: FramedCommand): 'OK' | 'NO' | 'BYE' | undefined {
  const match = /^(OK|NO|BYE)(?: |$)/i.exec((response.segments[0] as Buffer).toString('latin1', 0, 4));
  return match === null ? undefined : ((match[1] as string).toUpperCase() as 'OK' | 'NO' | 'BYE');
}

/** The response as text for logs and the client's success reply; undefined when it holds a literal. */
function lineText(response: FramedCommand): string | undefined {
  return response.literals.length === 0 ? (response.segments[0] as Buffer).toString('utf8') : undefined;
}

function describe(response: FramedCommand): string {
  return sanitizeReplyText(lineText(response) ?? (response.segments[0] as Buffer).toString('utf8'), 160);
}

/** `NO (TRYLATER) ...`: the backend says the failure is temporary (RFC 5804 §1.3). */
function isTryLater(response: FramedCommand): boolean {
  return /^NO \(TRYLATER\)/i.test((response.segments[0] as Buffer).toString('latin1', 0, 14));
}

/** proxy_mech=%m after XOAUTH2/OAUTHBEARER (and no master user): the mechanism the token goes on with. */
function oauth2Mechanism(params: BackendLoginParams): string | undefined {
  const mech = params.proxyMech?.toUpperCase();
  return params.master === undefined && mech !== undefined && isOAuth2Mechanism(mech) ? mech : undefined;
}

/**
 * `AUTHENTICATE "PLAIN" "<base64>"` with the initial response (RFC 5804 §2.1), as the user or via a master user;
 * with proxy_mech=%m after an OAuth login, the client's mechanism and token instead.
 */
export function authenticateLine(params: BackendLoginParams): string {
  const oauth2 = oauth2Mechanism(params);
  if (oauth2 !== undefined) return `AUTHENTICATE ${sieveString(oauth2)} ${sieveString(encodeOAuth2(oauth2, params.user, params.password), true)}\r\n`;
  const message = params.master === undefined ? encodePlain('', params.user, params.password) : encodePlain(params.user, params.master, params.password);
  return `AUTHENTICATE "PLAIN" ${sieveString(message, true)}\r\n`;
}

function unavailable(detail: string): LoginFailure {
  return new LoginFailure('backend_unavailable', detail);
}

/** Capability lines up to the OK that ends them (RFC 5804 §1.7): a login's and a probe's first read. */
export async function readCapabilities(responses: BackendResponses): Promise<BackendOffer> {
  let sasl = false;
  let starttls = false;
  let xclient = false;
  const pairs: Array<readonly [string, string | undefined]> = [];
  for (;;) {
    const response = await responses.next();
    const status = statusOf(response);
    if (status === 'OK') return { sasl, starttls, xclient, items: backendCapabilityItems(pairs) };
    if (status !== undefined) throw unavailable(`Remote sent ${status} instead of capabilities: ${describe(response)}`);
    let name: string | undefined;
    let value: string | undefined;
    try {
      const args = parseLine(response);
      name = stringArg(args[0]);
      value = stringArg(args[1]);
    } catch (err: unknown) {
      if (!(err instanceof SieveParseError)) throw err;
    }
    if (name === undefined) throw unavailable(`Remote returned an invalid capability line: ${describe(response)}`);
    pairs.push([name, value]);
    switch (name.toUpperCase()) {
      case 'SASL':
        // Pigeonhole's proxy only needs one mechanism to try PLAIN.
        sasl = (value ?? '').split(' ').some((m) => m !== '');
        break;
      case 'STARTTLS':
        starttls = true;
        break;
      case 'XCLIENT':
        xclient = true;
        break;
    }
  }
}

class SieveBackendLogin {
  state: SieveBackendState = 'connect';
  #socket: Socket | undefined;
  readonly #params: BackendLoginParams;
  readonly #deadline: Deadline;
  readonly #log: Logger | undefined;

  constructor(params: BackendLoginParams, deadline: Deadline, log: Logger | undefined) {
    this.#params = params;
    this.#deadline = deadline;
    this.#log = log;
  }

  async run(): Promise<BackendLoginSuccess> {
    const params = this.#params;
    if (params.user.includes('\0') || (params.master ?? '').includes('\0')) {
      // Would shift the fields of the PLAIN message.
      throw new LoginFailure('backend_auth_failed', 'sieve backend login: user name contains NUL');
    }
    this.#enter('connect');
    let socket = await this.#connect();
    let responses = new BackendResponses(socket, this.#deadline);

    this.#enter('greeting');
    let offer = await readCapabilities(responses);

    if (params.ssl === 'no' && params.starttls !== 'no') {
      this.#enter('tls-start');
      if (!offer.starttls) throw this.#unavailable("Remote doesn't support STARTTLS");
      socket.write('STARTTLS\r\n');
      const reply = await responses.next();
      if (statusOf(reply) !== 'OK') throw this.#unavailable(`Remote refused STARTTLS command: ${describe(reply)}`);
      // Anything after the OK arrived in the clear: not trusted, dropped.
      responses.detach();
      socket = await upgradeClientSocket(socket, {
        mode: params.starttls,
        host: params.host,
        ca: params.tls.ca,
        cert: params.tls.clientCert,
        key: params.tls.clientKey,
        deadline: this.#deadline,
      });
      this.#socket = socket;
      responses = new BackendResponses(socket, this.#deadline);
      this.#enter('tls-ready');
      offer = await readCapabilities(responses);
    }

    // Pigeonhole's managesieve-login advertises XCLIENT to its login_trusted_networks only.
    if (offer.xclient && !params.notTrusted) {
      this.#enter('xclient');
      socket.write(`${xclientLine(params)}\r\n`);
      const reply = await responses.next();
      if (statusOf(reply) !== 'OK') throw this.#unavailable(`Remote XCLIENT failed: ${describe(reply)}`);
    }

    // Never send credentials to a server that offers no SASL now (TLS required?).
    if (!offer.sasl) throw this.#unavailable('Server has disabled authentication (TLS required?)');
    const oauth2 = oauth2Mechanism(params);
    if (oauth2 === undefined && params.proxyMech !== undefined && params.proxyMech.toUpperCase() !== 'PLAIN') {
      this.#log?.debug({ proxyMech: params.proxyMech }, 'sieve backend login uses PLAIN; proxy_mech ignored');
    }
    this.#enter('auth');
    socket.write(authenticateLine(params));
    let reply = await responses.next();
    let status = statusOf(reply);
    if (status === undefined && oauth2 !== undefined) {
      // A refused token's JSON status comes as a challenge string; answering it brings the NO.
      socket.write(`${sieveString(oauth2FailureAck(oauth2))}\r\n`);
      reply = await responses.next();
      status = statusOf(reply);
    }
    if (status === 'OK') {
      this.#enter('done');
      const pending = responses.detach();
      const loginReply = lineText(reply);
      return { socket, capabilities: offer.items, pending, ...(loginReply === undefined ? {} : { loginReply }) };
    }
    if (status === 'NO' && !isTryLater(reply)) {
      throw new LoginFailure('backend_auth_failed', `sieve backend ${this.#where()} refused login: ${describe(reply)}`);
    }
    // TRYLATER, BYE, or a SASL challenge PLAIN with an initial response has no answer for.
    throw this.#unavailable(`unexpected reply: ${describe(reply)}`);
  }

  destroy(): void {
    this.#socket?.destroy();
  }

  async #connect(): Promise<Socket> {
    const socket = await connectForLogin(this.#params, this.#deadline, { protocol: 'sieve', log: this.#log });
    this.#socket = socket;
    return socket;
  }

  #enter(state: SieveBackendState): void {
    this.state = state;
    this.#log?.debug({ state, backend_host: this.#params.host, backend_port: this.#params.port }, 'sieve backend login state');
  }

  #where(): string {
    return `${this.#params.host}:${this.#params.port}`;
  }

  #unavailable(detail: string): LoginFailure {
    return new LoginFailure('backend_unavailable', detail);
  }

}

/**
 * Log in to a ManageSieve backend on the user's behalf (Pigeonhole's
 * managesieve-login/managesieve-proxy.c): connect (implicit TLS), read the
 * capabilities, STARTTLS, XCLIENT, AUTHENTICATE "PLAIN" with an initial
 * response. One deadline covers everything. Throws LoginFailure
 * backend_unavailable or backend_auth_failed.
 */
export async function sieveBackendLogin(params: BackendLoginParams, log?: Logger): Promise<BackendLoginSuccess> {
  return runBackendLogin('sieve', params, log, (deadline) => new SieveBackendLogin(params, deadline, log));
}
