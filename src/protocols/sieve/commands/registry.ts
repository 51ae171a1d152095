import { authenticateCommand } from './authenticate.js';
import { capabilityCommand } from './capability.js';
import { logoutCommand } from './logout.js';
import { noopCommand } from './noop.js';
import { starttlsCommand } from './starttls.js';
import type { SieveCommandHandler } from './types.js';

/** The commands of Pigeonhole's managesieve-login (client.c `commands[]`), but XCLIENT: we are the edge. */
const HANDLERS: ReadonlyMap<string, SieveCommandHandler> = new Map(
  [authenticateCommand, capabilityCommand, starttlsCommand, noopCommand, logoutCommand].map((h) => [h.name, h]),
);

/** The handler for an upper-cased command name, if any. */
export function lookupCommand(name: string): SieveCommandHandler | undefined {
  return HANDLERS.get(name);
}
