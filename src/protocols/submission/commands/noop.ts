import { SMTP_TEXT } from '../replies.js';
import type { SubmissionCommand } from './types.js';

/** RFC 5321 §4.1.1.9: a parameter is allowed and ignored (Dovecot's smtp-server-cmd-noop.c accepts a string). */
export const noopCommand: SubmissionCommand = {
  name: 'NOOP',
  run(session) {
    session.reply(SMTP_TEXT.ok);
    return 'ok';
  },
};
