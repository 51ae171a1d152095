import { IMAP_TEXT, tagged } from '../replies.js';
import type { CommandHandler } from './types.js';

/** Dovecot answers ENABLE before login with an empty ENABLED and ignores it. */
export const enableCommand: CommandHandler = {
  name: 'ENABLE',
  states: ['plaintext', 'tls'],
  minArgs: 0,
  maxArgs: 100,
  run(session, command) {
    session.write(`* ENABLED\r\n${tagged(command.tag, 'OK', IMAP_TEXT.enableIgnored)}`);
    return 'ok';
  },
};
