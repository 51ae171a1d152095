import { apopCommand } from './apop.js';
import { authCommand } from './auth.js';
import { capaCommand } from './capa.js';
import { passCommand } from './pass.js';
import { quitCommand } from './quit.js';
import { stlsCommand } from './stls.js';
import { userCommand } from './user.js';
import type { Pop3Command } from './types.js';

const COMMANDS: ReadonlyMap<string, Pop3Command> = new Map(
  [capaCommand, stlsCommand, userCommand, passCommand, authCommand, apopCommand, quitCommand].map((c) => [c.name, c]),
);

/** The pre-login command for a client-supplied name (case-insensitive), if any. */
export function findCommand(name: string): Pop3Command | undefined {
  return COMMANDS.get(name.toUpperCase());
}
