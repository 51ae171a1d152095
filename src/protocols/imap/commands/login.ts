import { Secret } from '../../../core/secret.js';
import { argString } from '../parser.js';
import { IMAP_TEXT, tagged } from '../replies.js';
import type { CommandHandler } from './types.js';

export const loginCommand: CommandHandler = {
  name: 'LOGIN',
  states: ['plaintext', 'tls'],
  minArgs: 2,
  maxArgs: 2,
  run(session, command) {
    const user = argString(command.args[0]);
    const password = argString(command.args[1]);
    if (user === undefined || password === undefined) return 'bad';
    if (!session.plaintextAllowed()) {
      session.write(tagged(command.tag, 'NO', IMAP_TEXT.privacy, 'PRIVACYREQUIRED'));
      return 'ok';
    }
    return session.login(command.tag, {
      user,
      password: new Secret(password),
      authzid: undefined,
      mechanism: 'LOGIN',
    });
  },
};
