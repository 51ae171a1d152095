import type { FrontendContext, LoginRequest } from '../../../session/frontend.js';
import type { ParsedCommand } from '../parser.js';
import type { CloseReason } from '../../../session/session-end.js';

/** 'ok': handled; 'bad': counts as an invalid command; 'stop': the connection was closed or handed to the relay. */
export type CommandResult = 'ok' | 'bad' | 'stop';

/** Pre-login states; every command declares where it may run. */
export type ImapState = 'plaintext' | 'tls';

/** What a command handler may do with its connection (implemented by connection.ts, faked in tests). */
export interface CommandSession {
  readonly context: FrontendContext;
  readonly state: ImapState;
  write(data: string): void;
  /** The current pre-login capability list. */
  capabilities(): readonly string[];
  /** The client sent CAPABILITY before STARTTLS/login (Dovecot's client_ignores_capability_resp_code). */
  noteCapabilityAsked(): void;
  plaintextAllowed(): boolean;
  /** Reply OK, drop pipelined input, upgrade to TLS. */
  startTls(tag: string): Promise<CommandResult>;
  /** Authenticate, log in to the backend, reply and hand off (or reply the failure). */
  login(tag: string, request: Omit<LoginRequest, 'clientId'>): Promise<CommandResult>;
  setClientId(params: ReadonlyArray<readonly [string, string | null]>): void;
  /** The next client line during AUTHENTICATE; undefined when the connection went away. */
  readContinuation(): Promise<string | undefined>;
  /** Write `finalText` (if any), close, report `reason` to the core. */
  end(reason: CloseReason, finalText?: string): CommandResult;
}

export interface CommandHandler {
  readonly name: string;
  readonly states: readonly ImapState[];
  /** Reply text when the state does not allow the command (tagged BAD). */
  readonly wrongStateText?: string;
  readonly minArgs: number;
  readonly maxArgs: number;
  run(session: CommandSession, command: ParsedCommand): CommandResult | Promise<CommandResult>;
}
