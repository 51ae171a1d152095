import { capabilityText } from '../capabilities.js';
import { IMAP_TEXT, tagged } from '../replies.js';
import type { CommandHandler } from './types.js';

export const capabilityCommand: CommandHandler = {
  name: 'CAPABILITY',
  states: ['plaintext', 'tls'],
  minArgs: 0,
  maxArgs: 0,
  run(session, command) {
    session.noteCapabilityAsked();
    session.write(`* CAPABILITY ${capabilityText(session.capabilities())}\r\n${tagged(command.tag, 'OK', IMAP_TEXT.capabilityDone)}`);
    return 'ok';
  },
};
