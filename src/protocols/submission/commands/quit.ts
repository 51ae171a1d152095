import { SMTP_TEXT } from '../replies.js';
import type { SubmissionCommand } from './types.js';

export const quitCommand: SubmissionCommand = {
  name: 'QUIT',
  run(session, args) {
    if (args.trim() !== '') {
      session.reply(SMTP_TEXT.invalidParameters);
      return 'invalid';
    }
    session.reply(SMTP_TEXT.bye);
    session.quit();
    return 'ok';
  },
};
