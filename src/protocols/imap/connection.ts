import type { Socket } from 'node:net';
import type { BackendLogin, FrontendContext, LoginOutcome, LoginRequest } from '../../session/frontend.js';
import type { BackendLoginParams, BackendLoginSuccess } from '../../session/backend-login.js';
import { upgradeServerSocket } from '../../net/starttls.js';
import { destroyAfterGrace } from '../../net/close-grace.js';
import { LoginFailure } from '../../core/failure.js';
import { capabilityText, preloginCapabilities } from './capabilities.js';
import { dispatchCommand, lookupCommand } from './commands/registry.js';
import type { CommandResult, CommandSession, ImapState } from './commands/types.js';
import { ImapFramer } from './framer.js';
import type { FramerEvent } from './framer.js';
import { ImapParseError, parseCommand, textOf } from './parser.js';
import { IMAP_KICK_TEXT, IMAP_TEXT, bye, renderFailure, renderLoginSuccess, tagged } from './replies.js';
import { ignoreSocketError } from '../../net/ignore-error.js';


/** Greetings by capability list: preloginCapabilities() hands out the same few lists. */
const greetings = new WeakMap<readonly string[], string>();

function greeting(capabilities: readonly string[]): string {
  let line = greetings.get(capabilities);
  if (line === undefined) {
    line = `* OK [CAPABILITY ${capabilityText(capabilities)}] ${IMAP_TEXT.greeting}\r\n`;
    greetings.set(capabilities, line);
  }
  return line;
}

/**
 * One client's pre-login conversation. Reads only when it wants a command,
 * so nothing is parsed while a login is pending, and bytes pipelined after
 * LOGIN stay in the framer (or the socket) for the relay.
 */
export class ImapConnection implements CommandSession {
  readonly context: FrontendContext;
  readonly #backendLogin: BackendLogin;
  #socket: Socket;
  #framer: ImapFramer;
  #tls: boolean;
  #capabilityAsked = false;
  #starttlsUsed = false;
  #clientId: ReadonlyArray<readonly [string, string | null]> | undefined;
  #invalidCommands = 0;
  #authFailures = 0;
  #finished = false;
  #wake: (() => void) | undefined;
  #preloginTimer: NodeJS.Timeout | undefined;
  /** A login is in progress: input is buffered (not parsed) so a client that leaves is noticed. */
  #loginPending = false;

  constructor(socket: Socket, context: FrontendContext, backendLogin: BackendLogin) {
    this.context = context;
    this.#backendLogin = backendLogin;
    this.#socket = socket;
    this.#tls = context.implicitTls;
    this.#framer = this.#newFramer();
  }

  start(): void {
    this.#attach();
    this.#preloginTimer = setTimeout(() => {
      this.context.log.debug('pre-login timeout');
      this.end('Disconnected: Inactivity', bye(IMAP_TEXT.inactivity));
    }, this.context.limits.preloginTimeoutMs);
    this.#preloginTimer.unref();
    this.write(greeting(this.capabilities()));
    this.#run().catch((err: unknown) => {
      this.context.log.error({ err }, 'imap pre-login loop failed');
      this.end('Internal error', bye('Internal error occurred. Refer to server log for more information.', 'UNAVAILABLE'));
    });
  }

  get state(): ImapState {
    return this.#tls ? 'tls' : 'plaintext';
  }

  write(data: string): void {
    if (!this.#finished && !this.#socket.destroyed) this.#socket.write(data);
  }

  capabilities(): readonly string[] {
    return preloginCapabilities({
      tlsActive: this.#tls,
      starttlsAvailable: this.context.secureContext !== undefined,
      plaintextAllowed: this.plaintextAllowed(),
      backendCapabilities: this.context.backendPreloginCapabilities(),
    });
  }

  noteCapabilityAsked(): void {
    // Clients must ask again after STARTTLS, so only earlier requests show the resp-code is ignored.
    if (!this.#starttlsUsed) this.#capabilityAsked = true;
  }

  plaintextAllowed(): boolean {
    return this.context.plaintextAllowed(this.#tls);
  }

  setClientId(params: ReadonlyArray<readonly [string, string | null]>): void {
    this.#clientId = params;
  }

  async startTls(tag: string): Promise<CommandResult> {
    const secureContext = this.context.secureContext;
    if (secureContext === undefined) return 'bad';
    this.write(tagged(tag, 'OK', IMAP_TEXT.starttlsBegin));
    // starttls-injection: whatever the client pipelined after STARTTLS was sent in
    // plaintext and must never be executed inside the TLS session.
    const dropped = this.#framer.discard();
    if (dropped > 0) this.context.log.warn({ bytes: dropped }, 'discarded input pipelined after STARTTLS');
    this.#detach();
    this.#starttlsUsed = true;
    try {
      const tlsSocket = await upgradeServerSocket(this.#socket, secureContext, {
        handshakeTimeoutMs: this.context.limits.preloginTimeoutMs,
      });
      if (this.#finished) {
        tlsSocket.destroy();
        return 'stop';
      }
      this.#socket = tlsSocket;
      this.#tls = true;
      this.#framer = this.#newFramer();
      this.#attach();
      return 'ok';
    } catch (err: unknown) {
      this.context.log.debug({ err: err instanceof Error ? err.message : String(err) }, 'STARTTLS handshake failed');
      this.#finish('Disconnected: TLS handshake failed');
      return 'stop';
    }
  }

  async login(tag: string, request: Omit<LoginRequest, 'clientId'>): Promise<CommandResult> {
    let outcome: LoginOutcome;
    if (request.user.length === 0 || request.password.isEmpty) {
      outcome = { ok: false, failure: new LoginFailure('invalid_input', 'empty user name or password') };
    } else {
      const fullRequest: LoginRequest = {
        user: request.user,
        password: request.password,
        authzid: request.authzid,
        mechanism: request.mechanism,
        clientId: this.#clientId, // the core reads x-proxy-ttl and forwards only with imap_id_retain
      };
      this.#loginPending = true;
      try {
        outcome = await this.context.login(fullRequest, this.#guardedBackendLogin);
      } finally {
        this.#loginPending = false;
      }
    }
    if (!outcome.ok) {
      if (this.#finished) return 'stop';
      this.write(renderFailure(tag, outcome.failure));
      this.#authFailures++;
      if (this.#authFailures >= this.context.limits.maxAuthAttempts) {
        return this.end('Disconnected: Too many failed authentication attempts', bye(IMAP_TEXT.tooManyAuth));
      }
      return 'ok';
    }
    if (this.#finished) {
      // The client went away (or timed out) while we were logging in.
      outcome.backend.socket.destroy();
      return 'stop';
    }
    this.#handOff(tag, outcome);
    return 'stop';
  }

  async readContinuation(): Promise<string | undefined> {
    const event = await this.#nextEvent();
    if (event === undefined) return undefined;
    if (event.kind === 'error') {
      this.#onFramerProblem(event);
      return undefined;
    }
    const text = event.kind === 'command' ? textOf(event.command) : undefined;
    if (text === undefined) {
      this.end('Disconnected: Invalid AUTHENTICATE continuation', bye(IMAP_TEXT.badCommand));
      return undefined;
    }
    return text;
  }

  end(reason: string, finalText?: string): CommandResult {
    if (this.#finished) return 'stop';
    if (finalText !== undefined) this.write(finalText);
    this.#finish(reason);
    return 'stop';
  }

  async #run(): Promise<void> {
    for (;;) {
      const event = await this.#nextEvent();
      if (event === undefined) return;
      if (event.kind === 'continue') {
        this.write('+ OK\r\n');
        continue;
      }
      if (event.kind === 'error') {
        this.#onFramerProblem(event);
        return;
      }
      let result: CommandResult;
      let tag = '';
      try {
        const command = parseCommand(event.command);
        tag = command.tag;
        result = await dispatchCommand(this, command);
        if (result === 'bad' && tag.toUpperCase() === 'LOGIN' && lookupCommand(command.name) === undefined) {
          // Dovecot's hint for clients that forgot the tag (`login user pass`).
          this.write(tagged(tag, 'BAD', IMAP_TEXT.tagIsLogin));
          continue;
        }
      } catch (err: unknown) {
        if (!(err instanceof ImapParseError)) throw err;
        tag = err.tag;
        result = 'bad';
      }
      if (result === 'stop') return;
      if (result === 'bad') {
        this.#invalidCommands++;
        if (this.#invalidCommands >= this.context.limits.maxInvalidCommands) {
          this.end('Disconnected: Too many invalid commands', bye(IMAP_TEXT.tooManyInvalid));
          return;
        }
        this.write(tagged(tag, 'BAD', IMAP_TEXT.badCommand));
      }
      if (this.#finished) return;
    }
  }

  #onFramerProblem(event: Extract<FramerEvent, { kind: 'error' }>): void {
    if (event.error === 'literal_too_big') this.end('Disconnected: Literal size too large', bye(IMAP_TEXT.literalTooBig));
    else this.end('Disconnected: Input buffer full', bye(IMAP_TEXT.inputTooLong));
  }

  /**
   * The next framer event, reading from the socket only now. The socket is
   * used in 'readable' mode: unread bytes stay in it (and in the kernel) while
   * we are busy, and a relay that later attaches 'data' gets them in order.
   */
  async #nextEvent(): Promise<FramerEvent | undefined> {
    for (;;) {
      if (this.#finished) return undefined;
      const event = this.#framer.next();
      if (event !== undefined) return event;
      const chunk: unknown = this.#socket.read();
      if (chunk !== null) {
        this.#framer.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), 'latin1'));
        continue;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  // Listeners are methods bound once, not arrow fields: under tsx (esbuild keepNames)
  // every named closure is wrapped in __name() when created, a cost per connection.
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
    this.context.log.debug({ err: err.message }, 'client connection error');
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

  #newFramer(): ImapFramer {
    return new ImapFramer({
      maxLineLength: this.context.limits.maxLineLength,
      maxLiteralSize: this.context.limits.maxLiteralSize,
    });
  }

  #finish(reason: string): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#preloginTimer !== undefined) clearTimeout(this.#preloginTimer);
    this.#detach();
    const socket = this.#socket;
    socket.on('error', ignoreSocketError);
    socket.end();
    destroyAfterGrace(socket);
    this.#wakeUp();
    this.context.closed(reason);
  }

  #handOff(tag: string, outcome: Extract<LoginOutcome, { ok: true }>): void {
    this.#finished = true;
    if (this.#preloginTimer !== undefined) clearTimeout(this.#preloginTimer);
    this.#socket.write(renderLoginSuccess(tag, outcome.backend.capabilities, this.#capabilityAsked));
    this.#detach();
    // Bytes the client pipelined after its login command go to the backend first, unparsed.
    const pending = this.#framer.takeRemaining();
    // Nothing of this connection (framer, handlers, driver state) stays
    // reachable from the relayed session.
    this.context.relay(this.#socket, outcome, pending, IMAP_KICK_TEXT);
  }
}
