import { authCommand } from './auth.js';
import { AUTH_REQUIRED_COMMANDS } from './auth-required.js';
import { ehloCommand, heloCommand } from './ehlo.js';
import { noopCommand } from './noop.js';
import { quitCommand } from './quit.js';
import { rsetCommand } from './rset.js';
import { starttlsCommand } from './starttls.js';
import type { SubmissionCommand } from './types.js';

const COMMANDS: ReadonlyMap<string, SubmissionCommand> = new Map(
  [ehloCommand, heloCommand, starttlsCommand, authCommand, noopCommand, rsetCommand, quitCommand, ...AUTH_REQUIRED_COMMANDS].map((c) => [c.name, c]),
);

/** The pre-login command for a client-supplied name (case-insensitive), if any. */
export function findCommand(name: string): SubmissionCommand | undefined {
  return COMMANDS.get(name.toUpperCase());
}
