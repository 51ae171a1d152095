import type { AdminCommand } from './command.js';
import { authCacheFlushCommand } from './auth-cache-flush.js';
import { statusCommand } from './status.js';
import { userKickCommand } from './user-kick.js';
import { whoCommand } from './who.js';
import { ringAddCommand, ringCommand, ringRemoveCommand } from './ring.js';
import {
  backendAddCommand,
  backendDownCommand,
  backendFlushCommand,
  backendRemoveCommand,
  backendUpCommand,
  backendWeightCommand,
} from './backend.js';
import { userWhereCommand } from './user-where.js';
import { ringPlanCommand } from './ring-plan.js';
import { userMoveCommand } from './user-move.js';

export type { AdminCommand, CliIo } from './command.js';
export { EXIT } from './command.js';

/** The admin subcommands main.ts dispatches (besides serve and config check). */
export const adminCommands: readonly AdminCommand[] = [
  statusCommand,
  ringCommand,
  ringAddCommand,
  ringRemoveCommand,
  ringPlanCommand,
  backendAddCommand,
  backendRemoveCommand,
  backendWeightCommand,
  backendUpCommand,
  backendDownCommand,
  backendFlushCommand,
  whoCommand,
  userWhereCommand,
  userKickCommand,
  userMoveCommand,
  authCacheFlushCommand,
];

/**
 * The command whose name is the longest prefix of `argv`, and the words
 * after its name; undefined when none matches.
 */
export function findAdminCommand(
  argv: readonly string[],
  commands: readonly AdminCommand[] = adminCommands,
): { command: AdminCommand; args: readonly string[] } | undefined {
  let best: AdminCommand | undefined;
  for (const command of commands) {
    const matches = command.name.every((word, i) => argv[i] === word);
    if (matches && (best === undefined || command.name.length > best.name.length)) best = command;
  }
  return best === undefined ? undefined : { command: best, args: argv.slice(best.name.length) };
}
