/** Where a command writes and what environment it sees; main.ts passes the process's, tests capture. */
export interface CliIo {
  /** Write text as is (commands end their lines with \n). */
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** A `mail-director` subcommand. */
export interface AdminCommand {
  /** Words that select it: ['user', 'kick']. */
  readonly name: readonly string[];
  /** One line for the command list. */
  readonly summary: string;
  /** The --json output: field names (snake_case, stable) and their meaning. */
  readonly json: string;
  /** `args` are the words after the name. Resolves to the exit code (see EXIT). */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** Exit codes shared by every admin subcommand. */
export const EXIT = Object.freeze({
  ok: 0,
  /** The director answered with an error. */
  failed: 1,
  /** The director could not be reached (nothing listening, TLS refused, timeout). */
  unreachable: 2,
  /** Bad command line or unreadable TLS file (EX_USAGE). */
  usage: 64,
  /** The user is not in the passdb (EX_NOUSER, as `doveadm user` exits for an unknown user). */
  noUser: 67,
});
