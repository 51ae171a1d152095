import { SMTP_TEXT } from '../replies.js';
import type { SubmissionCommand } from './types.js';

/**
 * Mail commands exist but need a login first: RFC 4954 §6 "530 5.7.0
 * Authentication required" for anything but AUTH, EHLO, HELO, NOOP, RSET
 * and QUIT (Dovecot's smtp-server-command.c without the PREAUTH flag).
 * Not counted as an invalid command, as in Dovecot (only 500/501/503 are).
 */
function authRequired(name: string): SubmissionCommand {
  return {
    name,
    run(session) {
      session.reply(SMTP_TEXT.authRequired);
      return 'ok';
    },
  };
}

/** The transaction commands Dovecot's SMTP server knows (RFC 5321, 3030 BDAT, 4468 BURL). */
export const AUTH_REQUIRED_COMMANDS: readonly SubmissionCommand[] = ['MAIL', 'RCPT', 'DATA', 'BDAT', 'BURL', 'VRFY'].map(authRequired);
