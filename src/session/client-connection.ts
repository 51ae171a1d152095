import type { Socket } from 'node:net';
import type { LimitsConfig } from '../config/types.js';
import type { Protocol } from '../core/protocol.js';
import { LoginFailure } from '../core/failure.js';
import { upgradeServerSocket } from '../net/starttls.js';
import { destroyAfterGrace } from '../net/close-grace.js';
import { ignoreSocketError } from '../net/ignore-error.js';
import { isProxyHeaderStart } from '../net/proxy-protocol.js';
import type { BackendLogin, FrontendContext, FrontendDriver, LoginOutcome, LoginRequest } from './frontend.js';
import type { BackendLoginParams, BackendLoginSuccess } from './backend-login.js';
import type { CloseReason } from './session-end.js';

/**
 * The pre-login life of every client connection, once for all protocols
 * (Dovecot's login-common/client-common.c): greeting, one command at a time,
 * the pre-login timer, the invalid-command and failed-login limits,
 * STARTTLS, noticing a client that leaves while its login is pending, the
 * hand-off to the relay, and close. A protocol supplies a framer and a
 * session with its greeting and command handling (Dovecot's client_vfuncs).
 */

/** Cuts a protocol's input into events (commands, continuation lines, framing errors). Only framing. */
export interface Framer<E> {
  push(chunk: Buffer): void;
  /** The next event, or undefined when more input is needed. */
  next(): E | undefined;
  readonly bufferedBytes: number;
  /** Everything buffered and not yet returned; the framer is left empty. */
  takeRemaining(): Buffer;
}

/**
 * 'ok': handled. 'invalid': the protocol replied with its error and the
 * command counts towards limits.max_invalid_commands. 'stop': the
 * connection was closed or handed to the relay.
 */
export type CommandResult = 'ok' | 'invalid' | 'stop';

/** Lines (CRLF included) written before the kit closes a connection; '' writes nothing. */
export interface ClosingTexts {
  readonly inactivity: string;
  readonly tooManyInvalid: string;
  readonly tooManyAuthFailures: string;
  readonly internalError: string;
  /** To a connection refused at the pre-login connection caps, before anything else. */
  readonly tooManyConnections: string;
  /** To a connection whose first bytes are a PROXY header where none is taken (net/proxy-protocol.ts). */
  readonly unexpectedProxyHeader: string;
}

/** One connection's protocol state and command handling. */
export interface PreloginSession<E> {
  greeting(): string;
  handle(event: E): CommandResult | Promise<CommandResult>;
  /** STARTTLS finished: forget what the client said in the clear (RFC 2595 §3.1, RFC 3207 §4.2). */
  tlsStarted(): void;
}

export interface PreloginProtocol<E> {
  readonly protocol: Protocol;
  readonly closing: ClosingTexts;
  /** What a relayed client is told when it is kicked, given the kick's reason (with CRLF). */
  readonly kickText: (reason: string) => string;
  newFramer(limits: LimitsConfig): Framer<E>;
  open(connection: ClientConnection<E>): PreloginSession<E>;
}

/** How the command that asked for a login answers it. */
export interface LoginReplies {
  failure(failure: LoginFailure): string;
  success(outcome: Extract<LoginOutcome, { ok: true }>): string;
  /** A SASL challenge in the protocol's syntax (CRLF included), for the OAuth failure status. */
  challenge?(challengeBase64: string): string;
}

/** A STARTTLS handshake may not outlast this, nor the pre-login timeout. */
const MAX_TLS_HANDSHAKE_MS = 30_000;

/** The FrontendDriver of a protocol built on this kit. */
export function preloginDriver<E>(protocol: PreloginProtocol<E>, backendLogin: BackendLogin): FrontendDriver {
  return {
    protocol: protocol.protocol,
    backendLogin,
    busyText: protocol.closing.tooManyConnections,
    handle(socket: Socket, context: FrontendContext): void {
      new ClientConnection(socket, context, protocol, backendLogin).start();
    },
  };
}

export class ClientConnection<E> {
  readonly context: FrontendContext;
  readonly #protocol: PreloginProtocol<E>;
  readonly #backendLogin: BackendLogin;
  readonly #session: PreloginSession<E>;
  #socket: Socket;
  #framer: Framer<E>;
  #tls: boolean;
  #finished = false;
  #upgrading = false;
  #invalidCommands = 0;
  #authFailures = 0;
  #wake: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** A login is in progress: input is buffered (not parsed) so a client that leaves is noticed. */
  #loginPending = false;
  /** Nothing read from the client yet: its first bytes are checked for a PROXY header. */
  #firstRead = true;

  constructor(socket: Socket, context: FrontendContext, protocol: PreloginProtocol<E>, backendLogin: BackendLogin) {
    this.context = context;
    this.#protocol = protocol;
    this.#backendLogin = backendLogin;
    this.#socket = socket;
    this.#tls = context.implicitTls;
    this.#framer = protocol.newFramer(context.limits);
    this.#session = protocol.open(this);
  }

  start(): void {
    this.#attach();
    // One timer for the whole pre-login life, as Dovecot's login processes: failed logins do not restart it.
    this.#timer = setTimeout(this.#onTimeout, this.context.limits.preloginTimeoutMs);
    this.#timer.unref();
    this.write(this.#session.greeting());
    this.#run().catch((err: unknown) => {
      this.context.log.error({ err }, `${this.#protocol.protocol} pre-login loop failed`);
      this.end('Internal error', this.#protocol.closing.internalError);
    });
  }

  get tlsActive(): boolean {
    return this.#tls;
  }

  get finished(): boolean {
    return this.#finished;
  }

  /** Plaintext credentials may be sent on this connection now (trusted network, or TLS active). */
  plaintextAllowed(): boolean {
    return this.context.plaintextAllowed(this.#tls);
  }

  write(data: string): void {
    if (!this.#finished && !this.#socket.destroyed && data !== '') this.#socket.write(data);
  }

  /**
   * The next event, reading from the socket only now: unread bytes stay in
   * it (and in the kernel) while a command runs, so a relay that attaches
   * later gets them in order. Undefined once the connection has ended.
   */
  async nextEvent(): Promise<E | undefined> {
    for (;;) {
      if (this.#finished) return undefined;
      const event = this.#framer.next();
      if (event !== undefined) return event;
      const chunk: unknown = this.#socket.read();
      if (chunk !== null) {
        const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), 'latin1');
        if (this.#firstRead && this.#refuseProxyHeader(bytes)) return undefined;
        this.#framer.push(bytes);
        continue;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /**
   * A PROXY header where the listener takes none (not marked haproxy, or a
   * second header after the balancer's): not a command to answer and go on
   * after, since the client's address it claims is not believed. Closed.
   */
  #refuseProxyHeader(first: Buffer): boolean {
    this.#firstRead = false;
    if (!isProxyHeaderStart(first)) return false;
    this.context.log.warn('PROXY header on a connection that may not send one: closed (mark the listener haproxy and list the balancer in director.haproxy_trusted_networks)');
    this.end('Disconnected: Unexpected PROXY header', this.#protocol.closing.unexpectedProxyHeader);
    return true;
  }

  /**
   * The protocol wrote its "begin TLS" reply: upgrade the socket. Input the
   * client pipelined after the command was sent in the clear and is dropped
   * (STARTTLS injection). Resolves false when the connection ended instead.
   */
  async startTls(): Promise<boolean> {
    const secureContext = this.context.secureContext;
    if (secureContext === undefined) return false;
    const dropped = this.#framer.takeRemaining().length;
    if (dropped > 0) this.context.log.warn({ bytes: dropped }, 'discarded input pipelined after STARTTLS');
    this.#detach();
    // The raw socket's errors during the handshake surface as the upgrade's rejection.
    this.#socket.on('error', ignoreSocketError);
    this.#upgrading = true;
    try {
      const handshakeTimeoutMs = Math.min(MAX_TLS_HANDSHAKE_MS, this.context.limits.preloginTimeoutMs);
      const tlsSocket = await upgradeServerSocket(this.#socket, secureContext, { handshakeTimeoutMs });
      if (this.#finished) {
        tlsSocket.destroy();
        return false;
      }
      this.#socket = tlsSocket;
      this.context.tlsEstablished(tlsSocket.getProtocol() ?? undefined);
    } catch (err: unknown) {
      this.context.log.debug({ err }, 'STARTTLS handshake failed');
      this.#finish('Disconnected: TLS handshake failed');
      return false;
    } finally {
      this.#upgrading = false;
    }
    this.#tls = true;
    this.#framer = this.#protocol.newFramer(this.context.limits);
    this.#session.tlsStarted();
    this.#attach();
    return true;
  }

  /**
   * Authenticate, route and log in to the backend; write the protocol's
   * failure reply, or its success reply and hand the client to the relay.
   * Counts failed logins against limits.max_auth_attempts.
   */
  async login(request: LoginRequest, replies: LoginReplies): Promise<CommandResult> {
    let outcome: LoginOutcome;
    if (request.user.length === 0 || request.password.isEmpty) {
      outcome = { ok: false, failure: new LoginFailure('invalid_input', 'empty user name or password') };
    } else {
      this.#loginPending = true;
      try {
        const challenge = replies.challenge;
        const withChallenge: LoginRequest =
          challenge === undefined ? request : { ...request, saslFailureChallenge: (text) => this.#failureChallenge(challenge(text)) };
        outcome = await this.context.login(withChallenge, this.#guardedBackendLogin);
      } catch (err: unknown) {
        const failure = err instanceof LoginFailure ? err : new LoginFailure('auth_temp', `login failed unexpectedly: ${String(err)}`);
        outcome = { ok: false, failure };
      } finally {
        this.#loginPending = false;
      }
    }
    if (this.#finished) {
      // The client went away (or timed out) while we were logging in.
      if (outcome.ok) outcome.backend.socket.destroy();
      return 'stop';
    }
    if (outcome.ok) {
      this.#handOff(replies.success(outcome));
      this.context.relay(this.#socket, outcome, this.#framer.takeRemaining(), this.#protocol.kickText);
      return 'stop';
    }
    this.write(replies.failure(outcome.failure));
    this.#authFailures++;
    if (this.#authFailures >= this.context.limits.maxAuthAttempts) {
      return this.end('Disconnected: Too many failed authentication attempts', this.#protocol.closing.tooManyAuthFailures);
    }
    return 'ok';
  }

  /**
   * Mid-login: write the challenge and wait for the client's one answer,
   * whatever it says (Dovecot fails the exchange on any answer after the
   * OAuth status). The answer is credentials-like: never parsed or logged.
   */
  async #failureChallenge(line: string): Promise<boolean> {
    this.write(line);
    this.#loginPending = false;
    try {
      return (await this.nextEvent()) !== undefined;
    } finally {
      this.#loginPending = true;
    }
  }

  /** Write `finalText` (if any), close, report `reason` to the core. */
  end(reason: CloseReason, finalText = ''): 'stop' {
    if (this.#finished) return 'stop';
    this.write(finalText);
    this.#finish(reason);
    return 'stop';
  }

  async #run(): Promise<void> {
    for (;;) {
      const event = await this.nextEvent();
      if (event === undefined) return;
      const result = await this.#session.handle(event);
      if (result === 'stop' || this.#finished) return;
      if (result === 'invalid' && this.invalidCommand()) return;
    }
  }

  /**
   * Counts an invalid command against limits.max_invalid_commands; true when
   * this one reached it and the connection was closed. A protocol that
   * answers the last one with its closing line alone (IMAP) asks before
   * replying; one that answers every one (POP3) returns 'invalid'.
   */
  invalidCommand(): boolean {
    this.#invalidCommands++;
    if (this.#invalidCommands < this.context.limits.maxInvalidCommands) return false;
    this.end('Disconnected: Too many invalid commands', this.#protocol.closing.tooManyInvalid);
    return true;
  }

  // Listeners are methods bound once, not arrow fields: under tsx (esbuild keepNames)
  // every named closure is wrapped in __name() when created, a cost per connection.
  readonly #onTimeout = this.#onTimeoutImpl.bind(this);

  #onTimeoutImpl(): void {
    this.context.log.debug('pre-login timeout');
    // Nothing may be written in the clear while a TLS handshake runs.
    if (this.#upgrading) this.#socket.destroy();
    else this.end('Disconnected: Inactivity', this.#protocol.closing.inactivity);
  }

  readonly #onReadable = this.#onReadableImpl.bind(this);

  #onReadableImpl(): void {
    if (this.#loginPending) this.#bufferDuringLogin();
    this.#wakeUp();
  }

  /**
   * While a login is pending (LDAP, delay_until hold, backend login) nobody
   * reads, so the client's EOF would go unnoticed and the director would log
   * in to a backend for a client that is gone. Move input into the framer
   * (the hand-off passes it to the backend unparsed) until EOF is seen;
   * beyond one command line's worth, leave it in the socket (backpressure).
   */
  #bufferDuringLogin(): void {
    while (this.#framer.bufferedBytes < this.context.limits.maxLineLength) {
      const chunk: unknown = this.#socket.read();
      if (chunk === null) return;
      this.#framer.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), 'latin1'));
    }
  }

  /** No backend login for a client that already left (e.g. during a delay_until hold). */
  readonly #guardedBackendLogin: BackendLogin = this.#guardedBackendLoginImpl.bind(this);

  #guardedBackendLoginImpl(params: BackendLoginParams): Promise<BackendLoginSuccess> {
    if (this.#finished) return Promise.reject(new LoginFailure('backend_unavailable', 'client disconnected before the backend login'));
    return this.#backendLogin(params);
  }

  readonly #onGone = this.#onGoneImpl.bind(this);

  #onGoneImpl(): void {
    this.#finish('Disconnected');
  }

  readonly #onError = this.#onErrorImpl.bind(this);

  #onErrorImpl(err: Error): void {
    this.context.log.debug({ err }, 'client connection error');
    this.#finish('Disconnected: Connection error');
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #attach(): void {
    this.#socket.on('readable', this.#onReadable);
    this.#socket.on('end', this.#onGone);
    this.#socket.on('close', this.#onGone);
    this.#socket.on('error', this.#onError);
  }

  #detach(): void {
    this.#socket.off('readable', this.#onReadable);
    this.#socket.off('end', this.#onGone);
    this.#socket.off('close', this.#onGone);
    this.#socket.off('error', this.#onError);
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #finish(reason: CloseReason): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#stopTimer();
    this.#detach();
    const socket = this.#socket;
    socket.on('error', ignoreSocketError);
    socket.end();
    destroyAfterGrace(socket);
    this.#wakeUp();
    this.context.closed(reason);
  }

  /**
   * Nothing of this connection (framer, handlers, protocol state) stays
   * reachable from the relayed session. The relay attaches in this same
   * turn, so no read falls between detach and it.
   */
  #handOff(successReply: string): void {
    this.#finished = true;
    this.#stopTimer();
    this.#socket.write(successReply);
    this.#detach();
  }
}
