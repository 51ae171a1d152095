import { POP3_TEXT } from '../replies.js';
import type { Pop3Command } from './types.js';

export const quitCommand: Pop3Command = {
  name: 'QUIT',
  run(session) {
    session.reply(POP3_TEXT.loggingOut);
    session.logout();
    return 'ok';
  },
};
