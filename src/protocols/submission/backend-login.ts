import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { upgradeClientSocket } from '../../net/backend-connect.js';
import { connectForLogin, runBackendLogin } from '../../session/backend-login-run.js';
import { BackendLines } from '../../net/backend-lines.js';
import { Deadline } from '../../net/deadline.js';
import { LoginFailure, sanitizeReplyText } from '../../core/failure.js';
import type { BackendLoginParams, BackendLoginSuccess } from '../../session/backend-login.js';
import { ehloCapabilities, findCapability, readReply, type SmtpReply } from '../../net/smtp-reply.js';
import { encodePlain, encodeSaslText, LOGIN_CHALLENGES } from '../../auth/sasl.js';
import { xclientLines } from '../../session/smtp-xclient.js';
import { encodeOAuth2, oauth2FailureAck } from '../../auth/sasl-oauth2.js';

/** Dovecot's submission-proxy states (2.4 names), logged as the machine moves. */
export type SubmissionBackendState = 'connect' | 'banner' | 'ehlo' | 'starttls' | 'tls-ehlo' | 'xclient' | 'xclient-ehlo' | 'authenticate' | 'done';

/** RFC 4954 §4: an AUTH line with its initial response stays within SMTP's 512 octets, else it goes after a 334. */
const MAX_AUTH_LINE = 512;

export interface SubmissionBackendOptions {
  /** The name we give in EHLO (Dovecot's `hostname`). */
  readonly ehloName: string;
  readonly log?: Logger | undefined;
}

function hasLineBreakOrNul(text: string): boolean {
  return /[\r\n\0]/.test(text);
}

type Mechanism = 'PLAIN' | 'LOGIN' | 'XOAUTH2' | 'OAUTHBEARER';

/**
 * PLAIN unless proxy_mech asks for LOGIN, or (proxy_mech=%m after an OAuth
 * login) XOAUTH2/OAUTHBEARER with the client's token; a master user needs PLAIN's authzid.
 */
function mechanismFor(params: BackendLoginParams): Mechanism | undefined {
  const mech = params.proxyMech?.toUpperCase();
  if (params.master !== undefined || mech === undefined || mech === 'PLAIN' || mech === 'SASL') return 'PLAIN';
  return mech === 'LOGIN' || mech === 'XOAUTH2' || mech === 'OAUTHBEARER' ? mech : undefined;
}

class SubmissionBackendLogin {
  state: SubmissionBackendState = 'connect';
  #socket: Socket | undefined;
  #lines: BackendLines | undefined;
  #capabilities: string[] = [];
  readonly #params: BackendLoginParams;
  readonly #options: SubmissionBackendOptions;
  readonly #deadline: Deadline;

  constructor(params: BackendLoginParams, options: SubmissionBackendOptions, deadline: Deadline) {
    this.#params = params;
    this.#options = options;
    this.#deadline = deadline;
  }

  async run(): Promise<BackendLoginSuccess> {
    const params = this.#params;
    if (hasLineBreakOrNul(params.user) || hasLineBreakOrNul(params.password.reveal()) || hasLineBreakOrNul(params.master ?? '')) {
      // Would break the SASL message apart or add backend commands.
      throw new LoginFailure('backend_auth_failed', 'submission backend login: user or password contains CR, LF or NUL');
    }
    const mechanism = mechanismFor(params);
    if (mechanism === undefined) throw this.#unavailable(`proxy_mech ${params.proxyMech ?? ''} is not supported for submission`);

    this.#enter('connect');
    this.#socket = await this.#connect();
    this.#lines = new BackendLines(this.#socket, this.#deadline);

    this.#enter('banner');
    const banner = await this.#reply();
    if (banner.status !== 220) throw this.#unavailable(`invalid banner: ${sanitizeReplyText(banner.last, 160)}`);

    await this.#ehlo('ehlo');
    if (params.ssl === 'no' && params.starttls !== 'no') await this.#startTls();

    // Dovecot 2.4 submission-proxy.c: XCLIENT, then EHLO again (the backend resets its state after XCLIENT).
    const xclient = findCapability(this.#capabilities, 'XCLIENT');
    const noauth = params.noauth === true;
    if (xclient !== undefined && !params.notTrusted) {
      const lines = xclientLines(params, { offered: xclient.split(' ').slice(1), login: noauth });
      if (lines.length > 0) {
        this.#enter('xclient');
        let greeted = false;
        for (const line of lines) {
          const reply = await this.#command(line);
          if (Math.floor(reply.status / 100) !== 2) throw this.#unavailable(`XCLIENT failed: ${sanitizeReplyText(reply.last, 160)}`);
          greeted = reply.status === 220;
        }
        // Postfix and Dovecot answer XCLIENT with a new 220 greeting: EHLO again, as after STARTTLS.
        if (greeted) await this.#ehlo('xclient-ehlo');
      }
    }

    if (noauth) {
      // proxy_noauth: the backend learnt the user from XCLIENT LOGIN (or trusts us without it).
      return this.#done('235 2.7.0 Logged in.');
    }
    const auth = findCapability(this.#capabilities, 'AUTH');
    if (auth === undefined || auth.split(' ').length < 2) {
      // Never send credentials to a backend that does not ask for them (TLS required there?).
      throw this.#unavailable('authentication support not advertised (TLS required?)');
    }
    this.#enter('authenticate');
    const reply =
      mechanism === 'PLAIN' ? await this.#authPlain() : mechanism === 'LOGIN' ? await this.#authLogin() : await this.#authOAuth2(mechanism);
    if (Math.floor(reply.status / 100) === 2) return this.#done(reply.last);
    const text = sanitizeReplyText(reply.last, 160);
    if (Math.floor(reply.status / 100) === 5) {
      throw new LoginFailure('backend_auth_failed', `submission backend ${this.#where()} refused login: ${text}`);
    }
    throw this.#unavailable(`AUTH failed: ${text}`);
  }

  /** AUTH PLAIN with the initial response, or after an empty 334 when the line would be too long. */
  async #authPlain(): Promise<SmtpReply> {
    const params = this.#params;
    // Master login: authorize as the user, authenticate as the master (Dovecot's dsasl PLAIN).
    const response =
      params.master === undefined
        ? encodePlain('', params.user, params.password)
        : encodePlain(params.user, params.master, params.password);
    if ('AUTH PLAIN '.length + response.length <= MAX_AUTH_LINE) return this.#command(`AUTH PLAIN ${response}`);
    const challenge = await this.#command('AUTH PLAIN');
    if (challenge.status !== 334) return challenge;
    return this.#command(response);
  }

  /** The OAuth message as the initial response (after an empty 334 when too long); a refused token's 334 status is acknowledged to get the 535. */
  async #authOAuth2(mechanism: 'XOAUTH2' | 'OAUTHBEARER'): Promise<SmtpReply> {
    const params = this.#params;
    const response = encodeOAuth2(mechanism, params.user, params.password);
    let reply: SmtpReply;
    if (`AUTH ${mechanism} `.length + response.length <= MAX_AUTH_LINE) reply = await this.#command(`AUTH ${mechanism} ${response}`);
    else {
      reply = await this.#command(`AUTH ${mechanism}`);
      if (reply.status !== 334) return reply;
      reply = await this.#command(response);
    }
    return reply.status === 334 ? this.#command(oauth2FailureAck(mechanism)) : reply;
  }

  /** AUTH LOGIN: user name and password, each after its 334 challenge. */
  async #authLogin(): Promise<SmtpReply> {
    const params = this.#params;
    let reply = await this.#command('AUTH LOGIN');
    if (reply.status !== 334) return reply;
    if (reply.lines[0] !== LOGIN_CHALLENGES.username) throw this.#unavailable('unexpected AUTH LOGIN challenge');
    reply = await this.#command(encodeSaslText(params.user));
    if (reply.status !== 334) return reply;
    if (reply.lines[0] !== LOGIN_CHALLENGES.password) throw this.#unavailable('unexpected AUTH LOGIN challenge');
    return this.#command(encodeSaslText(params.password.reveal()));
  }

  async #ehlo(state: 'ehlo' | 'tls-ehlo' | 'xclient-ehlo'): Promise<void> {
    this.#enter(state);
    const reply = await this.#command(`EHLO ${this.#options.ehloName}`);
    if (Math.floor(reply.status / 100) !== 2) throw this.#unavailable(`invalid EHLO reply: ${sanitizeReplyText(reply.last, 160)}`);
    this.#capabilities = ehloCapabilities(reply);
  }

  async #startTls(): Promise<void> {
    const params = this.#params;
    if (findCapability(this.#capabilities, 'STARTTLS') === undefined) throw this.#unavailable('backend does not offer STARTTLS');
    this.#enter('starttls');
    const reply = await this.#command('STARTTLS');
    if (reply.status !== 220) throw this.#unavailable(`STARTTLS failed: ${sanitizeReplyText(reply.last, 160)}`);
    // Anything after the 220 arrived in the clear: not trusted, dropped (RFC 3207 §4.2).
    this.#lines?.detach();
    const socket = await upgradeClientSocket(this.#socket as Socket, {
      mode: params.starttls === 'any-cert' ? 'any-cert' : 'yes',
      host: params.host,
      ca: params.tls.ca,
      cert: params.tls.clientCert,
      key: params.tls.clientKey,
      deadline: this.#deadline,
    });
    this.#socket = socket;
    this.#lines = new BackendLines(socket, this.#deadline);
    // RFC 3207 §4.2: forget what the backend said before TLS.
    this.#capabilities = [];
    await this.#ehlo('tls-ehlo');
  }

  /** Write one command line (may hold credentials: never logged) and read its whole reply. */
  #command(line: string): Promise<SmtpReply> {
    (this.#socket as Socket).write(`${line}\r\n`);
    return this.#reply();
  }

  #reply(): Promise<SmtpReply> {
    return readReply(this.#lines as BackendLines);
  }

  #done(loginReply: string): BackendLoginSuccess {
    this.#enter('done');
    const pending = (this.#lines as BackendLines).detach();
    return { socket: this.#socket as Socket, capabilities: this.#capabilities, pending, loginReply };
  }

  destroy(): void {
    this.#socket?.destroy();
  }

  #connect(): Promise<Socket> {
    return connectForLogin(this.#params, this.#deadline, { protocol: 'submission', log: this.#options.log });
  }

  #enter(state: SubmissionBackendState): void {
    this.state = state;
    this.#options.log?.debug({ state, backend_host: this.#params.host, backend_port: this.#params.port }, 'submission backend login state');
  }

  #where(): string {
    return `${this.#params.host}:${this.#params.port}`;
  }

  #unavailable(detail: string): LoginFailure {
    return new LoginFailure('backend_unavailable', detail);
  }

}

/**
 * Log in to a submission backend on the user's behalf (Dovecot's
 * submission-login/submission-proxy.c): connect (implicit TLS), 220 banner,
 * EHLO, STARTTLS and EHLO, XCLIENT and EHLO, AUTH PLAIN (or LOGIN, or none
 * with proxy_noauth). One deadline covers everything. Throws LoginFailure
 * backend_unavailable or backend_auth_failed.
 */
export async function submissionBackendLogin(params: BackendLoginParams, options: SubmissionBackendOptions): Promise<BackendLoginSuccess> {
  return runBackendLogin('submission', params, options.log, (deadline) => new SubmissionBackendLogin(params, options, deadline));
}
