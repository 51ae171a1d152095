import { IMAP_TEXT, tagged } from '../replies.js';
import type { CommandHandler } from './types.js';

export const capabilityCommand: CommandHandler = {
  name: 'CAPABILITY',
  states: ['plaintext', 'tls'],
  minArgs: 0,
  maxArgs: 0,
  run(session, command) {
    session.noteCapabilityAsked();
    session.write(`* CAPABILITY ${session.capabilities().join(' ')}\r\n${tagged(command.tag, 'OK', IMAP_TEXT.capabilityDone)}`);
    return 'ok';
  },
};
