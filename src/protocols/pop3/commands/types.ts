import type { FrontendContext, LoginRequest } from '../../../session/frontend.js';

/** `invalid` counts towards limits.maxInvalidCommands. */
export type CommandResult = 'ok' | 'invalid';

/** A line the client sends in answer to a `+ ` challenge (AUTH). Always sensitive. */
export type ContinuationHandler = (line: string) => CommandResult | Promise<CommandResult>;

/** What a pre-login command may do to its connection; the connection owns sockets and timers. */
export interface Pop3CommandSession {
  readonly context: FrontendContext;
  /** TLS is active (implicit TLS port or after STLS). */
  readonly tlsActive: boolean;
  /** Plaintext credentials may be sent on this connection now. */
  plaintextAllowed(): boolean;
  /** Write one reply line; CRLF is appended. */
  reply(line: string): void;
  /** Name given with USER, waiting for PASS. */
  pendingUser: string | undefined;
  /** Hand credentials to the session core; resolves once the reply was written (or the session relayed). */
  login(request: LoginRequest): Promise<void>;
  /** Reply to STLS was written: upgrade the socket; pipelined bytes are dropped. */
  startTls(): Promise<void>;
  /** Send a `+ <challenge>` line; the next client line goes to `handler` instead of the command table. */
  challenge(challengeBase64: string, handler: ContinuationHandler): void;
  /** QUIT: the reply was written, close the connection. */
  logout(): void;
}

/** Arguments are never logged: PASS, AUTH and APOP carry credentials, and a confused client may send them anywhere. */
export interface Pop3Command {
  /** Upper-case command name. */
  readonly name: string;
  run(session: Pop3CommandSession, args: string): CommandResult | Promise<CommandResult>;
}
