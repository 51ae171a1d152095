import { reply, SIEVE_TEXT } from '../replies.js';
import type { SieveCommandHandler } from './types.js';

export const starttlsCommand: SieveCommandHandler = {
  name: 'STARTTLS',
  minArgs: 0,
  maxArgs: 0,
  run(session) {
    if (session.tlsActive) {
      session.write(reply('NO', SIEVE_TEXT.starttlsAlready));
      return 'ok';
    }
    if (session.context.secureContext === undefined) {
      session.write(reply('NO', SIEVE_TEXT.starttlsUnavailable));
      return 'ok';
    }
    return session.startTls();
  },
};
