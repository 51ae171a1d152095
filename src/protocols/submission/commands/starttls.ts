import { SMTP_TEXT } from '../replies.js';
import type { CommandResult, SubmissionCommand } from './types.js';

/** RFC 3207; replies as Dovecot's smtp-server-cmd-starttls.c. */
export const starttlsCommand: SubmissionCommand = {
  name: 'STARTTLS',
  async run(session, args): Promise<CommandResult> {
    if (session.tlsActive) {
      session.reply(SMTP_TEXT.tlsAlreadyActive);
      return 'ok';
    }
    if (session.context.secureContext === undefined) {
      session.reply(SMTP_TEXT.tlsNotEnabled);
      return 'ok';
    }
    if (args.trim() !== '') {
      session.reply(SMTP_TEXT.invalidParameters);
      return 'invalid';
    }
    session.reply(SMTP_TEXT.starttlsBegin);
    await session.startTls();
    return 'ok';
  },
};
