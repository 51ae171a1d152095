import { reply, SIEVE_TEXT } from '../replies.js';
import type { SieveCommandHandler } from './types.js';

export const logoutCommand: SieveCommandHandler = {
  name: 'LOGOUT',
  minArgs: 0,
  maxArgs: 0,
  run(session) {
    return session.end('Aborted login', reply('OK', SIEVE_TEXT.logoutDone));
  },
};
