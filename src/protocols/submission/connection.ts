import { dispatchLine } from '../../session/line-commands.js';
import type { LimitsConfig } from '../../config/types.js';
import type { LoginRequest } from '../../session/frontend.js';
import type { ClientConnection, CommandResult as KitResult, PreloginProtocol, PreloginSession } from '../../session/client-connection.js';
import { LineFramer, type LineFrame } from '../../net/line-framer.js';
import { findCommand } from './commands/registry.js';
import type { CommandResult, ContinuationHandler, SubmissionCommandSession } from './commands/types.js';
import { CLOSING, renderBackendSuccess, renderFailure, SMTP_TEXT } from './replies.js';

const CRLF = '\r\n';

/** A command or SASL line, or a line over limits.max_line_length (the connection ends). */
export type SubmissionFrame = LineFrame;

/** SMTP commands before login are CRLF lines, as POP3's: the same framer cuts them. */

export interface SubmissionGreeting {
  /** Our name in the greeting, EHLO and 421 lines (Dovecot's `hostname`). */
  readonly hostname: string;
  /** Text after the name (Dovecot's login_greeting). */
  readonly greeting: string;
}

/**
 * One submission client before AUTH (RFC 6409, RFC 4954): what the
 * commands in commands/ see. The connection's life (timers, limits,
 * STARTTLS, hand-off) is the session kit's.
 */
export class SubmissionSession implements SubmissionCommandSession, PreloginSession<SubmissionFrame> {
  helo: string | undefined;
  readonly #connection: ClientConnection<SubmissionFrame>;
  readonly #names: SubmissionGreeting;
  #continuation: ContinuationHandler | undefined;

  constructor(connection: ClientConnection<SubmissionFrame>, names: SubmissionGreeting) {
    this.#connection = connection;
    this.#names = names;
  }

  get context(): ClientConnection<SubmissionFrame>['context'] {
    return this.#connection.context;
  }

  get hostname(): string {
    return this.#names.hostname;
  }

  get tlsActive(): boolean {
    return this.#connection.tlsActive;
  }

  greeting(): string {
    // "ESMTP" tells old clients to try EHLO (RFC 5321 §4.3.1 leaves the text free).
    return `220 ${this.#names.hostname} ESMTP ${this.#names.greeting}${CRLF}`;
  }

  plaintextAllowed(): boolean {
    return this.#connection.plaintextAllowed();
  }

  reply(line: string): void {
    this.#connection.write(line + CRLF);
  }

  challenge(challengeBase64: string, handler: ContinuationHandler): void {
    this.reply(`334 ${challengeBase64}`);
    this.#continuation = handler;
  }

  quit(): void {
    this.#connection.end('logout');
  }

  async startTls(): Promise<void> {
    await this.#connection.startTls();
  }

  tlsStarted(): void {
    // RFC 3207 §4.2: discard everything learnt from the client before TLS, EHLO included.
    this.helo = undefined;
    this.#continuation = undefined;
  }

  async login(request: LoginRequest): Promise<void> {
    await this.#connection.login(request, {
      failure: (failure) => renderFailure(failure) + CRLF,
      // Like Dovecot's proxy: the client sees the backend's own 235.
      success: (outcome) => renderBackendSuccess(outcome.backend.loginReply) + CRLF,
      challenge: (challengeBase64) => `334 ${challengeBase64}${CRLF}`,
    });
  }

  async handle(frame: SubmissionFrame): Promise<KitResult> {
    if (frame.kind === 'too-long') return this.#connection.end('Disconnected: Input buffer full', SMTP_TEXT.lineTooLong + CRLF);
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
      this.reply(SMTP_TEXT.unknownCommand);
      return 'invalid';
    }, this.context.log, 'submission');
  }
}

/** Submission on the session kit (Dovecot's submission-login). */
export function submissionPrelogin(names: SubmissionGreeting): PreloginProtocol<SubmissionFrame> {
  const host = names.hostname;
  return {
    protocol: 'submission',
    closing: {
      inactivity: CLOSING.inactivity(host) + CRLF,
      tooManyInvalid: CLOSING.tooManyInvalid(host) + CRLF,
      tooManyAuthFailures: CLOSING.tooManyInvalid(host) + CRLF,
      internalError: CLOSING.internalError(host) + CRLF,
      tooManyConnections: CLOSING.queueFull(host) + CRLF,
    },
    kickText: CLOSING.kicked(host) + CRLF,
    newFramer: (limits: LimitsConfig) => new LineFramer(limits.maxLineLength),
    open: (connection) => new SubmissionSession(connection, names),
  };
}
