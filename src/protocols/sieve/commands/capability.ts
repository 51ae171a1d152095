import { reply, SIEVE_TEXT } from '../replies.js';
import type { SieveCommandHandler } from './types.js';

export const capabilityCommand: SieveCommandHandler = {
  name: 'CAPABILITY',
  minArgs: 0,
  maxArgs: 0,
  run(session) {
    session.write(session.capabilities() + reply('OK', SIEVE_TEXT.capabilityDone));
    return 'ok';
  },
};
