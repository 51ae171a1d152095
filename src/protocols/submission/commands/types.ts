import type { FrontendContext, LoginRequest } from '../../../session/frontend.js';

/** `invalid` counts towards limits.maxInvalidCommands (Dovecot counts 500, 501 and 503 replies). */
export type CommandResult = 'ok' | 'invalid';

/** A line the client sends in answer to a `334` challenge (AUTH). Always sensitive. */
export type ContinuationHandler = (line: string) => CommandResult | Promise<CommandResult>;

/** What a pre-login command may do to its connection; the connection owns sockets and timers. */
export interface SubmissionCommandSession {
  readonly context: FrontendContext;
  /** The name this director gives itself in the greeting and EHLO (Dovecot's `hostname`). */
  readonly hostname: string;
  /** TLS is active (implicit TLS port or after STARTTLS). */
  readonly tlsActive: boolean;
  /** The domain the client gave with EHLO/HELO, passed on as XCLIENT HELO. */
  helo: string | undefined;
  /** Plaintext credentials may be sent on this connection now. */
  plaintextAllowed(): boolean;
  /** Write one reply line; CRLF is appended. */
  reply(line: string): void;
  /** Hand credentials to the session core; resolves once the reply was written (or the session relayed). */
  login(request: LoginRequest): Promise<void>;
  /** The 220 to STARTTLS was written: upgrade the socket; pipelined bytes are dropped. */
  startTls(): Promise<void>;
  /** Send `334 <challenge>`; the next client line goes to `handler` instead of the command table. */
  challenge(challengeBase64: string, handler: ContinuationHandler): void;
  /** QUIT: the reply was written, close the connection. */
  quit(): void;
}

/** Arguments are never logged: AUTH carries credentials, and a confused client may send them anywhere. */
export interface SubmissionCommand {
  /** Upper-case command name. */
  readonly name: string;
  run(session: SubmissionCommandSession, args: string): CommandResult | Promise<CommandResult>;
}
