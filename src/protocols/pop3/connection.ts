import { dispatchLine } from '../../session/line-commands.js';
import type { LimitsConfig } from '../../config/types.js';
import type { LoginRequest } from '../../session/frontend.js';
import type { ClientConnection, CommandResult as KitResult, PreloginProtocol, PreloginSession } from '../../session/client-connection.js';
import { findCommand } from './commands/registry.js';
import type { CommandResult, ContinuationHandler, Pop3CommandSession } from './commands/types.js';
import { LineFramer, type LineFrame } from '../../net/line-framer.js';
import { POP3_TEXT, renderBackendSuccess, renderFailure } from './replies.js';

const CRLF = '\r\n';

/** A command or SASL line, or a line over limits.max_line_length (the connection ends). */
export type Pop3Frame = LineFrame;


/**
 * One POP3 client before login (RFC 1939 AUTHORIZATION state): what the
 * commands in commands/ see. The connection's life (timers, limits, STLS,
 * hand-off) is the session kit's.
 */
export class Pop3Session implements Pop3CommandSession, PreloginSession<Pop3Frame> {
  pendingUser: string | undefined;
  readonly #connection: ClientConnection<Pop3Frame>;
  readonly #greeting: string;
  #continuation: ContinuationHandler | undefined;

  constructor(connection: ClientConnection<Pop3Frame>, greeting: string) {
    this.#connection = connection;
    this.#greeting = greeting;
  }

  get context(): ClientConnection<Pop3Frame>['context'] {
    return this.#connection.context;
  }

  get tlsActive(): boolean {
    return this.#connection.tlsActive;
  }

  greeting(): string {
    return `+OK ${this.#greeting} ${POP3_TEXT.greetingSuffix}${CRLF}`;
  }

  plaintextAllowed(): boolean {
    return this.#connection.plaintextAllowed();
  }

  reply(line: string): void {
    this.#connection.write(line + CRLF);
  }

  challenge(challengeBase64: string, handler: ContinuationHandler): void {
    this.reply(`+ ${challengeBase64}`);
    this.#continuation = handler;
  }

  logout(): void {
    this.#connection.end('logout');
  }

  async startTls(): Promise<void> {
    await this.#connection.startTls();
  }

  tlsStarted(): void {
    // RFC 2595 §4: state from before TLS is forgotten.
    this.pendingUser = undefined;
    this.#continuation = undefined;
  }

  async login(request: LoginRequest): Promise<void> {
    await this.#connection.login(request, {
      failure: (failure) => renderFailure(failure) + CRLF,
      // Like Dovecot's proxy: the client sees the backend's own success line.
      success: (outcome) => renderBackendSuccess(outcome.backend.loginReply) + CRLF,
      challenge: (challengeBase64) => `+ ${challengeBase64}${CRLF}`,
    });
  }

  async handle(frame: Pop3Frame): Promise<KitResult> {
    if (frame.kind === 'too-long') return this.#connection.end('Disconnected: Input buffer full', POP3_TEXT.inputTooLong + CRLF);
    const result: CommandResult = await this.#run(frame.line.toString('utf8'));
    return result;
  }

  #run(text: string): CommandResult | Promise<CommandResult> {
    const continuation = this.#continuation;
    if (continuation !== undefined) {
      // A SASL response: carries credentials, never logged.
      this.#continuation = undefined;
      return continuation(text);
    }
    return dispatchLine(this, text, findCommand, () => {
      this.reply(POP3_TEXT.unknownCommand);
      return 'invalid';
    }, this.context.log, 'pop3');
  }
}

/** POP3 on the session kit (Dovecot's pop3-login); `greeting` is Dovecot's login_greeting. */
export function pop3Prelogin(greeting: string): PreloginProtocol<Pop3Frame> {
  return {
    protocol: 'pop3',
    closing: {
      inactivity: POP3_TEXT.inactivity + CRLF,
      tooManyInvalid: POP3_TEXT.tooManyInvalid + CRLF,
      // Dovecot's pop3-login closes after the last failure reply without another line.
      tooManyAuthFailures: '',
      internalError: POP3_TEXT.authTemp + CRLF,
      tooManyConnections: POP3_TEXT.queueFull + CRLF,
    },
    kickText: POP3_TEXT.kicked + CRLF,
    newFramer: (limits: LimitsConfig) => new LineFramer(limits.maxLineLength),
    open: (connection) => new Pop3Session(connection, greeting),
  };
}
