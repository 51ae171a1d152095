import type { SaslStep } from '../../../auth/sasl.js';
import { createServerMechanism } from '../../../auth/sasl-mechanisms.js';
import { argString } from '../parser.js';
import { IMAP_TEXT, tagged } from '../replies.js';
import type { CommandHandler, CommandResult, CommandSession } from './types.js';

/**
 * AUTHENTICATE PLAIN / LOGIN (XOAUTH2 / OAUTHBEARER with an `oauth2` section) with SASL-IR (RFC 4959) and `+ ` continuations
 * (RFC 3501 §6.2.2); the exchange itself is auth/sasl.ts. Replies are
 * Dovecot's imap-login texts.
 */
export const authenticateCommand: CommandHandler = {
  name: 'AUTHENTICATE',
  states: ['plaintext', 'tls'],
  minArgs: 1,
  maxArgs: 2,
  async run(session, command): Promise<CommandResult> {
    const mech = argString(command.args[0]);
    const initial = argString(command.args[1]);
    if (mech === undefined || (command.args[1] !== undefined && initial === undefined)) return 'bad';
    const sasl = createServerMechanism(mech, session.context.oauth2);
    if (sasl === undefined) {
      session.write(tagged(command.tag, 'NO', IMAP_TEXT.unsupportedMech));
      return 'ok';
    }
    if (!session.plaintextAllowed()) {
      session.write(tagged(command.tag, 'NO', IMAP_TEXT.privacy, 'PRIVACYREQUIRED'));
      return 'ok';
    }
    let step: SaslStep = sasl.start(initial);
    while (step.kind === 'challenge') {
      const line = await challenge(session, step.challenge);
      if (line === undefined) return 'stop';
      step = sasl.respond(line);
    }
    if (step.kind === 'failed') {
      switch (step.reason) {
        case 'aborted':
          session.write(tagged(command.tag, 'BAD', IMAP_TEXT.authAborted));
          return 'ok';
        case 'invalid_base64':
          session.write(tagged(command.tag, 'BAD', IMAP_TEXT.invalidBase64));
          return 'ok';
        case 'malformed':
          // Dovecot's mechanisms fail a malformed message as a failed login.
          session.write(tagged(command.tag, 'NO', IMAP_TEXT.authFailed, 'AUTHENTICATIONFAILED'));
          return 'ok';
      }
    }
    const { authcid, password, authzid } = step.credentials;
    return session.login(command.tag, { user: authcid, password, authzid, mechanism: sasl.mechanism });
  },
};

/** `+ challenge` and the client's answer; undefined when the connection went away. */
function challenge(session: CommandSession, challengeBase64: string): Promise<string | undefined> {
  session.write(`+ ${challengeBase64}\r\n`);
  return session.readContinuation();
}
