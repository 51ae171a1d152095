import { IMAP_TEXT, tagged } from '../replies.js';
import type { CommandHandler } from './types.js';

export const noopCommand: CommandHandler = {
  name: 'NOOP',
  states: ['plaintext', 'tls'],
  minArgs: 0,
  maxArgs: 0,
  run(session, command) {
    session.write(tagged(command.tag, 'OK', IMAP_TEXT.noopDone));
    return 'ok';
  },
};
