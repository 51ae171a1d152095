import { SMTP_TEXT } from '../replies.js';
import type { SubmissionCommand } from './types.js';

/** RFC 5321 §4.1.1.5: no transaction exists before AUTH, so there is nothing to reset. */
export const rsetCommand: SubmissionCommand = {
  name: 'RSET',
  run(session, args) {
    if (args.trim() !== '') {
      session.reply(SMTP_TEXT.invalidParameters);
      return 'invalid';
    }
    session.reply(SMTP_TEXT.ok);
    return 'ok';
  },
};
