import type { FrontendContext, LoginRequest } from '../../../session/frontend.js';
import type { SieveArg } from '../parser.js';
import type { CloseReason } from '../../../session/session-end.js';

/** 'ok': handled; 'invalid': counts towards limits.max_invalid_commands; 'stop': closed or relayed. */
export type CommandResult = 'ok' | 'invalid' | 'stop';

/** A client's answer to an AUTHENTICATE challenge (RFC 5804 §2.1): one string, or something else. */
export type SaslResponse =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'empty' }
  | { readonly kind: 'invalid'; readonly text: string }
  | { readonly kind: 'gone' };

/** What a pre-login command may do with its connection (connection.ts implements it, tests fake it). */
export interface SieveCommandSession {
  readonly context: FrontendContext;
  readonly tlsActive: boolean;
  plaintextAllowed(): boolean;
  write(data: string): void;
  /** The pre-login capability lines, CRLF included, without the closing OK. */
  capabilities(): string;
  /** Reply, drop pipelined input, upgrade to TLS, send the capabilities again (RFC 5804 §2.2). */
  startTls(): Promise<CommandResult>;
  /** Authenticate, log in to the backend, reply and hand off (or reply the failure). */
  login(request: LoginRequest): Promise<CommandResult>;
  /** The client's next line during AUTHENTICATE. Carries credentials: never logged. */
  readResponse(): Promise<SaslResponse>;
  /** Write `finalText` (if any), close, report `reason` to the core. */
  end(reason: CloseReason, finalText?: string): CommandResult;
}

/** One pre-login command; arguments are never logged (AUTHENTICATE carries credentials). */
export interface SieveCommandHandler {
  /** Upper-case name. */
  readonly name: string;
  /** Outside these bounds the command is invalid before it runs. */
  readonly minArgs: number;
  readonly maxArgs: number;
  run(session: SieveCommandSession, args: readonly SieveArg[]): CommandResult | Promise<CommandResult>;
}
