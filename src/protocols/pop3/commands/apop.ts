import { POP3_TEXT } from '../replies.js';
import type { Pop3Command } from './types.js';

/** APOP needs the plaintext password on our side; like Dovecot without it, say so instead of "unknown". */
export const apopCommand: Pop3Command = {
  name: 'APOP',
  run(session) {
    session.reply(POP3_TEXT.apopNotEnabled);
    return 'ok';
  },
};
