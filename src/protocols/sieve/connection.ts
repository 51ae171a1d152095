import type { LimitsConfig } from '../../config/types.js';
import type { LoginRequest } from '../../session/frontend.js';
import type { ClientConnection, CommandResult as KitResult, PreloginProtocol, PreloginSession } from '../../session/client-connection.js';
import { LiteralFramer, type FramerEvent } from '../../session/literal-framer.js';
import { capabilityLines } from './capabilities.js';
import { lookupCommand } from './commands/registry.js';
import type { CommandResult, SaslResponse, SieveCommandSession } from './commands/types.js';
import { commandName, parseArguments, parseLine, SieveParseError, type SieveArg } from './parser.js';
import { sieveString } from './quote.js';
import { renderFailure, renderLoginSuccess, reply, sieveKickText, SIEVE_TEXT } from './replies.js';
import type { CloseReason } from '../../session/session-end.js';

/**
 * One ManageSieve client before login (RFC 5804 non-authenticated state):
 * what the commands in commands/ see. The connection's life (timers,
 * limits, STARTTLS, hand-off) is the session kit's.
 */
export class SieveSession implements SieveCommandSession, PreloginSession<FramerEvent> {
  readonly #connection: ClientConnection<FramerEvent>;

  constructor(connection: ClientConnection<FramerEvent>) {
    this.#connection = connection;
  }

  get context(): ClientConnection<FramerEvent>['context'] {
    return this.#connection.context;
  }

  get tlsActive(): boolean {
    return this.#connection.tlsActive;
  }

  plaintextAllowed(): boolean {
    return this.#connection.plaintextAllowed();
  }

  greeting(): string {
    // Capabilities first, then OK (RFC 5804 §1.7), as one write: some clients break on split greetings.
    return this.capabilities() + reply('OK', SIEVE_TEXT.greeting);
  }

  capabilities(): string {
    return capabilityLines({
      tlsActive: this.#connection.tlsActive,
      starttlsAvailable: this.context.secureContext !== undefined,
      plaintextAllowed: this.plaintextAllowed(),
      oauth2: this.context.oauth2,
      backend: this.context.backendPreloginCapabilities(),
    });
  }

  write(data: string): void {
    this.#connection.write(data);
  }

  end(reason: CloseReason, finalText?: string): CommandResult {
    return this.#connection.end(reason, finalText);
  }

  async startTls(): Promise<CommandResult> {
    this.write(reply('OK', SIEVE_TEXT.starttlsBegin));
    if (!(await this.#connection.startTls())) return 'stop';
    // RFC 5804 §2.2: after the handshake the server sends its capabilities again.
    this.write(this.capabilities() + reply('OK', SIEVE_TEXT.starttlsDone));
    return 'ok';
  }

  tlsStarted(): void {
    // Nothing is kept between commands before login, so nothing from the clear text survives.
  }

  login(request: LoginRequest): Promise<CommandResult> {
    return this.#connection.login(request, {
      failure: renderFailure,
      success: (outcome) => renderLoginSuccess(outcome.backend.loginReply),
      challenge: (challengeBase64) => `${sieveString(challengeBase64)}\r\n`,
    });
  }

  async readResponse(): Promise<SaslResponse> {
    for (;;) {
      const event = await this.#connection.nextEvent();
      if (event === undefined) return { kind: 'gone' };
      if (event.kind === 'continue') continue;
      if (event.kind === 'error') {
        this.#onFramerProblem(event);
        return { kind: 'gone' };
      }
      let args: readonly SieveArg[];
      try {
        args = parseLine(event.command);
      } catch (err: unknown) {
        if (!(err instanceof SieveParseError)) throw err;
        return { kind: 'invalid', text: err.message };
      }
      const first = args[0];
      if (first === undefined) return { kind: 'empty' };
      if (first.type !== 'string' || args.length > 1) return { kind: 'invalid', text: SIEVE_TEXT.invalidResponse };
      return { kind: 'string', value: first.value };
    }
  }

  async handle(event: FramerEvent): Promise<KitResult> {
    // A synchronizing literal: RFC 5804 clients send {n+}; like Pigeonhole, read {n} without a continuation.
    if (event.kind === 'continue') return 'ok';
    if (event.kind === 'error') return this.#onFramerProblem(event);
    const handler = lookupCommand(commandName(event.command));
    // Not even the name is known: the arguments are not read (a confused client may have sent a password).
    if (handler === undefined) return this.#invalid();
    let args: readonly SieveArg[];
    try {
      args = parseArguments(event.command);
    } catch (err: unknown) {
      if (!(err instanceof SieveParseError)) throw err;
      // Pigeonhole answers a syntax error with the parser's text and does not count it.
      this.write(reply('NO', err.message));
      return 'ok';
    }
    if (args.length < handler.minArgs || args.length > handler.maxArgs) return this.#invalid();
    this.context.log.debug({ command: handler.name }, 'managesieve command');
    const result = await handler.run(this, args);
    return result === 'invalid' ? this.#invalid() : result;
  }

  /** Pigeonhole answers the command that reaches the limit with the BYE alone. */
  #invalid(): KitResult {
    if (this.#connection.invalidCommand()) return 'stop';
    this.write(reply('NO', SIEVE_TEXT.badCommand));
    return 'ok';
  }

  #onFramerProblem(event: Extract<FramerEvent, { kind: 'error' }>): 'stop' {
    if (event.error === 'literal_too_big') {
      return this.#connection.end('Disconnected: Literal size too large', reply('BYE', SIEVE_TEXT.literalTooBig));
    }
    return this.#connection.end('Disconnected: Input buffer full', reply('BYE', SIEVE_TEXT.inputTooLong));
  }
}

/** ManageSieve on the session kit (Pigeonhole's managesieve-login). */
export const sievePrelogin: PreloginProtocol<FramerEvent> = {
  protocol: 'sieve',
  closing: {
    inactivity: reply('BYE', SIEVE_TEXT.inactivity),
    tooManyInvalid: reply('BYE', SIEVE_TEXT.tooManyInvalid),
    tooManyAuthFailures: reply('BYE', SIEVE_TEXT.tooManyAuth),
    internalError: reply('BYE', SIEVE_TEXT.internalError),
    tooManyConnections: reply('BYE', SIEVE_TEXT.queueFull),
    unexpectedProxyHeader: reply('BYE', SIEVE_TEXT.unexpectedProxyHeader),
  },
  kickText: sieveKickText,
  newFramer: (limits: LimitsConfig) => new LiteralFramer({ maxLineLength: limits.maxLineLength, maxLiteralSize: limits.maxLiteralSize }),
  open: (connection) => new SieveSession(connection),
};
