import type { Socket } from 'node:net';
import { upgradeServerSocket } from '../../net/starttls.js';
import { destroyAfterGrace } from '../../net/close-grace.js';
import { LoginFailure } from '../../core/failure.js';
import type { BackendLogin, FrontendContext, LoginOutcome, LoginRequest } from '../../session/frontend.js';
import type { BackendLoginParams, BackendLoginSuccess } from '../../session/backend-login.js';
import { findCommand } from './commands/registry.js';
import type { CommandResult, ContinuationHandler, Pop3CommandSession } from './commands/types.js';
import { LineFramer } from './framer.js';
import { POP3_TEXT, renderBackendSuccess, renderFailure } from './replies.js';
import { ignoreSocketError } from '../../net/ignore-error.js';

const CRLF = '\r\n';

const MAX_TLS_HANDSHAKE_MS = 30_000;

/**
 * One POP3 client before login: greeting, commands, STLS, credentials, then
 * hand-over to the session core's relay. Commands run one at a time; while
 * one is asynchronous (login, STLS) no further line is parsed.
 */
export class Pop3Connection implements Pop3CommandSession {
  readonly context: FrontendContext;
  pendingUser: string | undefined;
  readonly #backendLogin: BackendLogin;
  readonly #greeting: string;
  #socket: Socket;
  #tlsActive: boolean;
  #framer: LineFramer;
  // Listeners are methods bound once, not arrow fields: under tsx (esbuild keepNames)
  // every named closure is wrapped in __name() when created, a cost per connection.
  readonly #onData = this.#onDataImpl.bind(this);

  #onDataImpl(chunk: Buffer): void {
    this.#framer.push(chunk);
    if (this.#loginPending) {
      // Read on while the login runs, so a client that leaves is noticed
      // (no backend login for it); beyond a line's worth, leave the rest in
      // the kernel. What is read goes to the backend unparsed on success.
      if (this.#framer.bufferedBytes >= this.context.limits.maxLineLength) this.#socket.pause();
      return;
    }
    this.#pump();
  }

  readonly #onClose = this.#onCloseImpl.bind(this);

  #onCloseImpl(): void {
    this.#finish('client disconnected');
  }

  readonly #onError = this.#onErrorImpl.bind(this);

  #onErrorImpl(err: Error): void {
    this.context.log.debug({ err: err.message }, 'pop3 client socket error');
  }

  #continuation: ContinuationHandler | undefined;
  #busy = false;
  /** A login is in progress: input is kept, not parsed. */
  #loginPending = false;
  /** Between the STLS reply and the end of the handshake nothing may be written in the clear. */
  #upgrading = false;
  #finished = false;
  #invalidCommands = 0;
  #failedLogins = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(socket: Socket, context: FrontendContext, backendLogin: BackendLogin, greeting: string) {
    this.#socket = socket;
    this.context = context;
    this.#backendLogin = backendLogin;
    this.#greeting = greeting;
    this.#tlsActive = context.implicitTls;
    this.#framer = new LineFramer(context.limits.maxLineLength);
  }

  start(): void {
    this.#attach(this.#socket);
    this.reply(`+OK ${this.#greeting} ${POP3_TEXT.greetingSuffix}`);
    this.#startTimer();
  }

  get tlsActive(): boolean {
    return this.#tlsActive;
  }

  plaintextAllowed(): boolean {
    return this.context.plaintextAllowed(this.#tlsActive);
  }

  reply(line: string): void {
    if (this.#finished || this.#socket.destroyed) return;
    this.#socket.write(line + CRLF);
  }

  challenge(challengeBase64: string, handler: ContinuationHandler): void {
    this.reply(`+ ${challengeBase64}`);
    this.#continuation = handler;
  }

  logout(): void {
    this.#close('logout');
  }

  async startTls(): Promise<void> {
    const secureContext = this.context.secureContext;
    if (secureContext === undefined) return;
    const raw = this.#socket;
    // Anything pipelined after STLS was sent in the clear: drop it (STARTTLS injection).
    this.#framer.takeRemaining();
    this.#detach(raw);
    raw.on('error', ignoreSocketError);
    this.#upgrading = true;
    try {
      const handshakeTimeoutMs = Math.min(MAX_TLS_HANDSHAKE_MS, this.context.limits.preloginTimeoutMs);
      this.#socket = await upgradeServerSocket(raw, secureContext, { handshakeTimeoutMs });
    } catch (err) {
      this.context.log.debug({ err: String(err) }, 'pop3 STLS handshake failed');
      this.#finish('TLS handshake failed');
      return;
    } finally {
      this.#upgrading = false;
    }
    if (this.#finished) {
      this.#socket.destroy();
      return;
    }
    this.#tlsActive = true;
    // RFC 2595: state from before TLS is forgotten.
    this.pendingUser = undefined;
    this.#attach(this.#socket);
  }

  async login(request: LoginRequest): Promise<void> {
    this.#loginPending = true;
    this.#stopTimer();
    let outcome: LoginOutcome;
    try {
      outcome = await this.context.login(request, this.#guardedBackendLogin);
    } catch (err) {
      const failure =
        err instanceof LoginFailure ? err : new LoginFailure('auth_temp', `login failed unexpectedly: ${String(err)}`);
      outcome = { ok: false, failure };
    } finally {
      this.#loginPending = false;
    }
    if (this.#finished) {
      if (outcome.ok) outcome.backend.socket.destroy();
      return;
    }
    if (outcome.ok) {
      this.#handOver(outcome);
      return;
    }
    this.reply(renderFailure(outcome.failure));
    this.#failedLogins += 1;
    if (this.#failedLogins >= this.context.limits.maxAuthAttempts) {
      this.#close('too many failed logins');
      return;
    }
    this.#startTimer();
    this.#socket.resume();
  }

  /** No backend login for a client that already left (e.g. during a delay_until hold). */
  readonly #guardedBackendLogin: BackendLogin = this.#guardedBackendLoginImpl.bind(this);

  #guardedBackendLoginImpl(params: BackendLoginParams): Promise<BackendLoginSuccess> {
    if (this.#finished) return Promise.reject(new LoginFailure('backend_unavailable', 'client disconnected before the backend login'));
    return this.#backendLogin(params);
  }

  #handOver(outcome: Extract<LoginOutcome, { ok: true }>): void {
    const socket = this.#socket;
    const pending = this.#framer.takeRemaining();
    this.#detach(socket);
    this.#finished = true;
    // Like Dovecot's proxy: the client sees the backend's own success line.
    socket.write(renderBackendSuccess(outcome.backend.loginReply) + CRLF);
    // The relay attaches in this same turn, so no read falls between
    // detach() and it. Nothing of this connection (framer, handlers) stays
    // reachable from the relayed session.
    this.context.relay(socket, outcome, pending, POP3_TEXT.kicked + CRLF);
  }

  #attach(socket: Socket): void {
    socket.on('data', this.#onData);
    socket.on('close', this.#onClose);
    socket.on('error', this.#onError);
  }

  #detach(socket: Socket): void {
    socket.off('data', this.#onData);
    socket.off('close', this.#onClose);
    socket.off('error', this.#onError);
    // A late error on a socket nobody listens to would crash the process.
    socket.on('error', ignoreSocketError);
  }

  #pump(): void {
    while (!this.#busy && !this.#finished) {
      const frame = this.#framer.next();
      if (frame.kind === 'need-more') return;
      if (frame.kind === 'too-long') {
        this.reply(POP3_TEXT.inputTooLong);
        this.#close('input line too long');
        return;
      }
      this.#dispatch(frame.line);
    }
  }

  #dispatch(line: Buffer): void {
    let result: CommandResult | Promise<CommandResult>;
    try {
      result = this.#run(line.toString('utf8'));
    } catch (err) {
      this.#internalError(err);
      return;
    }
    if (typeof result === 'string') {
      this.#count(result);
      return;
    }
    this.#busy = true;
    result.then(
      (settled) => {
        this.#busy = false;
        this.#count(settled);
        this.#pump();
      },
      (err: unknown) => {
        this.#busy = false;
        this.#internalError(err);
      },
    );
  }

  #run(text: string): CommandResult | Promise<CommandResult> {
    const continuation = this.#continuation;
    if (continuation !== undefined) {
      // A SASL response: carries credentials, never logged.
      this.#continuation = undefined;
      return continuation(text);
    }
    const space = text.indexOf(' ');
    const name = space < 0 ? text : text.slice(0, space);
    const args = space < 0 ? '' : text.slice(space + 1);
    const command = findCommand(name);
    if (command === undefined) {
      // Not even the name: a confused client may have sent its password as a line of its own.
      this.context.log.debug({ length: text.length }, 'pop3 unknown command');
      this.reply(POP3_TEXT.unknownCommand);
      return 'invalid';
    }
    this.context.log.debug({ command: command.name }, 'pop3 command');
    return command.run(this, args);
  }

  #count(result: CommandResult): void {
    if (result !== 'invalid' || this.#finished) return;
    this.#invalidCommands += 1;
    if (this.#invalidCommands >= this.context.limits.maxInvalidCommands) {
      this.reply(POP3_TEXT.tooManyInvalid);
      this.#close('too many invalid commands');
    }
  }

  #internalError(err: unknown): void {
    this.context.log.error({ err: String(err) }, 'pop3 command failed');
    this.reply(POP3_TEXT.authTemp);
    this.#close('internal error');
  }

  #startTimer(): void {
    this.#stopTimer();
    this.#timer = setTimeout(() => {
      if (this.#upgrading) {
        this.#socket.destroy();
        return;
      }
      this.reply(POP3_TEXT.inactivity);
      this.#close('prelogin timeout');
    }, this.context.limits.preloginTimeoutMs);
    this.#timer.unref();
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Say goodbye politely: flush replies, then close. */
  #close(reason: string): void {
    if (this.#finished) return;
    const socket = this.#socket;
    this.#finish(reason);
    socket.end();
    destroyAfterGrace(socket);
  }

  /** The connection ends without a relayed session: tell the core once. */
  #finish(reason: string): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#continuation = undefined;
    this.#stopTimer();
    this.#detach(this.#socket);
    this.context.closed(reason);
  }
}
