import { IMAP_TEXT, tagged } from '../replies.js';
import type { CommandHandler } from './types.js';

export const starttlsCommand: CommandHandler = {
  name: 'STARTTLS',
  states: ['plaintext'],
  wrongStateText: IMAP_TEXT.starttlsAlready,
  minArgs: 0,
  maxArgs: 0,
  run(session, command) {
    if (session.context.secureContext === undefined) {
      session.write(tagged(command.tag, 'BAD', IMAP_TEXT.starttlsUnavailable));
      return 'ok';
    }
    return session.startTls(command.tag);
  },
};
