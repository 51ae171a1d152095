import type { LoginRequest } from '../../session/frontend.js';
import type { ClientConnection, CommandResult as KitResult, PreloginProtocol, PreloginSession } from '../../session/client-connection.js';
import type { LimitsConfig } from '../../config/types.js';
import { capabilityText, preloginCapabilities } from './capabilities.js';
import { dispatchCommand, lookupCommand } from './commands/registry.js';
import type { CommandResult, CommandSession, ImapState } from './commands/types.js';
import { ImapFramer } from './framer.js';
import type { FramerEvent } from './framer.js';
import { ImapParseError, parseCommand, textOf } from './parser.js';
import { imapKickText, IMAP_TEXT, bye, renderFailure, renderLoginSuccess, tagged } from './replies.js';
import type { CloseReason } from '../../session/session-end.js';

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
 * One client's IMAP state before login (RFC 3501 non-authenticated state):
 * what the commands in commands/ see. The connection's life (timers,
 * limits, STARTTLS, hand-off) is the session kit's.
 */
export class ImapSession implements CommandSession, PreloginSession<FramerEvent> {
  readonly #connection: ClientConnection<FramerEvent>;
  #capabilityAsked = false;
  #starttlsUsed = false;
  #clientId: ReadonlyArray<readonly [string, string | null]> | undefined;

  constructor(connection: ClientConnection<FramerEvent>) {
    this.#connection = connection;
  }

  get context(): ClientConnection<FramerEvent>['context'] {
    return this.#connection.context;
  }

  get state(): ImapState {
    return this.#connection.tlsActive ? 'tls' : 'plaintext';
  }

  greeting(): string {
    return greeting(this.capabilities());
  }

  write(data: string): void {
    this.#connection.write(data);
  }

  capabilities(): readonly string[] {
    return preloginCapabilities({
      tlsActive: this.#connection.tlsActive,
      starttlsAvailable: this.context.secureContext !== undefined,
      plaintextAllowed: this.plaintextAllowed(),
      oauth2: this.context.oauth2,
      backendCapabilities: this.context.backendPreloginCapabilities(),
    });
  }

  noteCapabilityAsked(): void {
    // Clients must ask again after STARTTLS, so only earlier requests show the resp-code is ignored.
    if (!this.#starttlsUsed) this.#capabilityAsked = true;
  }

  plaintextAllowed(): boolean {
    return this.#connection.plaintextAllowed();
  }

  setClientId(params: ReadonlyArray<readonly [string, string | null]>): void {
    this.#clientId = params;
  }

  async startTls(tag: string): Promise<CommandResult> {
    if (this.context.secureContext === undefined) return 'bad';
    this.write(tagged(tag, 'OK', IMAP_TEXT.starttlsBegin));
    this.#starttlsUsed = true;
    return (await this.#connection.startTls()) ? 'ok' : 'stop';
  }

  tlsStarted(): void {
    // RFC 3501 §6.2.1: nothing learned before TLS is kept but the fact that CAPABILITY was asked before.
  }

  login(tag: string, request: Omit<LoginRequest, 'clientId'>): Promise<CommandResult> {
    const capabilityAsked = this.#capabilityAsked;
    return this.#connection.login(
      // The core reads x-proxy-ttl from the ID and forwards it only with imap_id_retain.
      { ...request, clientId: this.#clientId },
      {
        failure: (failure) => renderFailure(tag, failure),
        success: (outcome) => renderLoginSuccess(tag, outcome.backend.capabilities, capabilityAsked),
        challenge: (challengeBase64) => `+ ${challengeBase64}\r\n`,
      },
    ).then(toImapResult);
  }

  async readContinuation(): Promise<string | undefined> {
    const event = await this.#connection.nextEvent();
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

  end(reason: CloseReason, finalText?: string): CommandResult {
    return this.#connection.end(reason, finalText);
  }

  async handle(event: FramerEvent): Promise<KitResult> {
    if (event.kind === 'continue') {
      this.write('+ OK\r\n');
      return 'ok';
    }
    if (event.kind === 'error') return this.#onFramerProblem(event);
    let tag = '';
    let result: CommandResult;
    try {
      const command = parseCommand(event.command);
      tag = command.tag;
      result = await dispatchCommand(this, command);
      if (result === 'bad' && tag.toUpperCase() === 'LOGIN' && lookupCommand(command.name) === undefined) {
        // Dovecot's hint for clients that forgot the tag (`login user pass`).
        this.write(tagged(tag, 'BAD', IMAP_TEXT.tagIsLogin));
        return 'ok';
      }
    } catch (err: unknown) {
      if (!(err instanceof ImapParseError)) throw err;
      tag = err.tag;
      result = 'bad';
    }
    if (result !== 'bad') return result;
    // Dovecot's imap-login answers the command that reaches the limit with the BYE alone.
    if (this.#connection.invalidCommand()) return 'stop';
    this.write(tagged(tag, 'BAD', IMAP_TEXT.badCommand));
    return 'ok';
  }

  #onFramerProblem(event: Extract<FramerEvent, { kind: 'error' }>): 'stop' {
    if (event.error === 'literal_too_big') return this.#connection.end('Disconnected: Literal size too large', bye(IMAP_TEXT.literalTooBig));
    return this.#connection.end('Disconnected: Input buffer full', bye(IMAP_TEXT.inputTooLong));
  }
}

function toImapResult(result: KitResult): CommandResult {
  return result === 'invalid' ? 'bad' : result;
}

/** IMAP on the session kit (Dovecot's imap-login). */
export const imapPrelogin: PreloginProtocol<FramerEvent> = {
  protocol: 'imap',
  closing: {
    inactivity: bye(IMAP_TEXT.inactivity),
    tooManyInvalid: bye(IMAP_TEXT.tooManyInvalid),
    tooManyAuthFailures: bye(IMAP_TEXT.tooManyAuth),
    internalError: bye('Internal error occurred. Refer to server log for more information.', 'UNAVAILABLE'),
    tooManyConnections: bye(IMAP_TEXT.queueFull),
    unexpectedProxyHeader: bye(IMAP_TEXT.unexpectedProxyHeader),
  },
  kickText: imapKickText,
  newFramer: (limits: LimitsConfig) => new ImapFramer({ maxLineLength: limits.maxLineLength, maxLiteralSize: limits.maxLiteralSize }),
  open: (connection) => new ImapSession(connection),
};
