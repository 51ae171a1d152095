import { Secret } from '../../../core/secret.js';
import { POP3_TEXT } from '../replies.js';
import type { CommandResult, Pop3Command } from './types.js';

export const passCommand: Pop3Command = {
  name: 'PASS',
  async run(session, args): Promise<CommandResult> {
    if (!session.plaintextAllowed()) {
      session.reply(POP3_TEXT.plaintextDisallowed);
      return 'ok';
    }
    const user = session.pendingUser;
    if (user === undefined) {
      session.reply(POP3_TEXT.noUsername);
      return 'ok';
    }
    session.pendingUser = undefined;
    await session.login({
      user,
      password: new Secret(args),
      authzid: undefined,
      mechanism: 'USER',
      clientId: undefined,
    });
    return 'ok';
  },
};
