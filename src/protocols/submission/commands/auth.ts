import { createServerMechanism } from '../../../auth/sasl-mechanisms.js';
import { type SaslCredentials, type SaslFailure, type SaslServer, type SaslStep } from '../../../auth/sasl.js';
import { SMTP_TEXT } from '../replies.js';
import type { CommandResult, SubmissionCommand, SubmissionCommandSession } from './types.js';

/**
 * Act on one step of the exchange (auth/sasl.ts): a 334 challenge, a
 * failure in Dovecot's submission-login words, or the login.
 */
function advance(session: SubmissionCommandSession, sasl: SaslServer, step: SaslStep, initial: boolean): CommandResult | Promise<CommandResult> {
  switch (step.kind) {
    case 'challenge':
      session.challenge(step.challenge, (line) => advance(session, sasl, sasl.respond(line), false));
      return 'ok';
    case 'failed':
      return refuse(session, step.reason, initial);
    case 'done':
      return login(session, sasl.mechanism, step.credentials);
  }
}

/** RFC 4954 §4: `*` cancels with 501, bad base64 is 501 5.5.2; both count as invalid, like Dovecot's 501s. */
function refuse(session: SubmissionCommandSession, reason: SaslFailure['reason'], initial: boolean): CommandResult {
  switch (reason) {
    case 'aborted':
      session.reply(SMTP_TEXT.authAborted);
      return 'invalid';
    case 'invalid_base64':
      session.reply(initial ? SMTP_TEXT.invalidBase64Initial : SMTP_TEXT.invalidBase64);
      return 'invalid';
    case 'malformed':
      session.reply(SMTP_TEXT.authFailed);
      return 'ok';
  }
}

async function login(session: SubmissionCommandSession, mechanism: string, credentials: SaslCredentials): Promise<CommandResult> {
  const { authcid, password, authzid } = credentials;
  await session.login({ user: authcid, password, authzid, mechanism, clientId: undefined, helo: session.helo });
  return 'ok';
}

/** AUTH PLAIN / LOGIN (XOAUTH2 / OAUTHBEARER with an `oauth2` section) (RFC 4954), with Dovecot's replies (client-authenticate.c, smtp-server-cmd-auth.c). */
export const authCommand: SubmissionCommand = {
  name: 'AUTH',
  run(session, args) {
    const words = args.split(' ').filter((w) => w !== '');
    const [mechanismName, initialResponse] = words;
    if (mechanismName === undefined) {
      session.reply(SMTP_TEXT.missingMechanism);
      return 'invalid';
    }
    if (words.length > 2) {
      session.reply(SMTP_TEXT.invalidParameters);
      return 'invalid';
    }
    // Dovecot checks "TLS first" before the mechanism (login-common client_auth_begin).
    if (!session.plaintextAllowed()) {
      session.reply(SMTP_TEXT.sslRequired);
      return 'ok';
    }
    const sasl = createServerMechanism(mechanismName, session.context.oauth2);
    if (sasl === undefined) {
      session.reply(SMTP_TEXT.unsupportedMechanism);
      return 'ok';
    }
    // LOGIN's initial response, where a client sends one, is the user name.
    return advance(session, sasl, sasl.start(initialResponse), true);
  },
};
