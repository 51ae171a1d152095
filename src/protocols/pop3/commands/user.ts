import { POP3_TEXT } from '../replies.js';
import type { Pop3Command } from './types.js';

export const userCommand: Pop3Command = {
  name: 'USER',
  run(session, args) {
    if (!session.plaintextAllowed()) {
      session.reply(POP3_TEXT.plaintextDisallowed);
      return 'ok';
    }
    session.pendingUser = args;
    session.reply('+OK');
    return 'ok';
  },
};
