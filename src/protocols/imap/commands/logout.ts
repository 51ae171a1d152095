import { IMAP_TEXT, bye, tagged } from '../replies.js';
import type { CommandHandler } from './types.js';

export const logoutCommand: CommandHandler = {
  name: 'LOGOUT',
  states: ['plaintext', 'tls'],
  minArgs: 0,
  maxArgs: 0,
  run(session, command) {
    return session.end('Aborted login', `${bye(IMAP_TEXT.logoutBye)}${tagged(command.tag, 'OK', IMAP_TEXT.logoutDone)}`);
  },
};
