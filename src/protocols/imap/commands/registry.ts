import type { ParsedCommand } from '../parser.js';
import { tagged } from '../replies.js';
import { authenticateCommand } from './authenticate.js';
import { capabilityCommand } from './capability.js';
import { enableCommand } from './enable.js';
import { idCommand } from './id.js';
import { loginCommand } from './login.js';
import { logoutCommand } from './logout.js';
import { noopCommand } from './noop.js';
import { starttlsCommand } from './starttls.js';
import type { CommandHandler, CommandResult, CommandSession } from './types.js';

const HANDLERS: ReadonlyMap<string, CommandHandler> = new Map(
  [
    capabilityCommand,
    starttlsCommand,
    loginCommand,
    authenticateCommand,
    idCommand,
    noopCommand,
    enableCommand,
    logoutCommand,
  ].map((handler) => [handler.name, handler]),
);

export function lookupCommand(name: string): CommandHandler | undefined {
  return HANDLERS.get(name.toUpperCase());
}

/**
 * Check a command's declared preconditions (state, argument count), then run
 * it. Returns 'bad' for anything the caller must answer with Dovecot's
 * generic BAD and count as invalid.
 */
export async function dispatchCommand(session: CommandSession, command: ParsedCommand): Promise<CommandResult> {
  if (command.tag.length === 0) return 'bad';
  const handler = lookupCommand(command.name);
  if (handler === undefined) return 'bad';
  if (!handler.states.includes(session.state)) {
    if (handler.wrongStateText === undefined) return 'bad';
    session.write(tagged(command.tag, 'BAD', handler.wrongStateText));
    return 'ok';
  }
  if (command.args.length < handler.minArgs || command.args.length > handler.maxArgs) return 'bad';
  return handler.run(session, command);
}
