import { POP3_TEXT } from '../replies.js';
import type { CommandResult, Pop3Command } from './types.js';

export const stlsCommand: Pop3Command = {
  name: 'STLS',
  async run(session): Promise<CommandResult> {
    if (session.tlsActive) {
      session.reply(POP3_TEXT.tlsAlreadyActive);
      return 'ok';
    }
    if (session.context.secureContext === undefined) {
      session.reply(POP3_TEXT.tlsNotEnabled);
      return 'ok';
    }
    session.reply(POP3_TEXT.stlsBegin);
    await session.startTls();
    return 'ok';
  },
};
