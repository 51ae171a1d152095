import { Secret } from '../../../core/secret.js';
import { SMTP_TEXT } from '../replies.js';
import {
  decodeSaslResponse,
  LOGIN_PASSWORD_CHALLENGE,
  LOGIN_USERNAME_CHALLENGE,
  parsePlain,
  PLAINTEXT_MECHANISMS,
} from '../sasl-steps.js';
import type { CommandResult, ContinuationHandler, SubmissionCommand, SubmissionCommandSession } from './types.js';

type Step = (response: Buffer) => CommandResult | Promise<CommandResult>;

/**
 * One SASL response: `*` cancels (RFC 4954 §4: 501), anything else must be
 * base64 (501 5.5.2). Both are counted as invalid, like Dovecot's 501s.
 */
function respond(session: SubmissionCommandSession, line: string, initial: boolean, step: Step): CommandResult | Promise<CommandResult> {
  if (line === '*' && !initial) {
    session.reply(SMTP_TEXT.authAborted);
    return 'invalid';
  }
  const response = decodeSaslResponse(line);
  if (response === undefined) {
    session.reply(initial ? SMTP_TEXT.invalidBase64Initial : SMTP_TEXT.invalidBase64);
    return 'invalid';
  }
  return step(response);
}

function continuation(session: SubmissionCommandSession, step: Step): ContinuationHandler {
  return (line) => respond(session, line, false, step);
}

async function finishPlain(session: SubmissionCommandSession, message: Buffer): Promise<CommandResult> {
  const credentials = parsePlain(message);
  if (credentials === undefined) {
    session.reply(SMTP_TEXT.authFailed);
    return 'ok';
  }
  await session.login({
    user: credentials.authcid,
    password: new Secret(credentials.password),
    authzid: credentials.authzid,
    mechanism: 'PLAIN',
    clientId: undefined,
    helo: session.helo,
  });
  return 'ok';
}

function askLoginPassword(session: SubmissionCommandSession, username: Buffer): CommandResult {
  const user = username.toString('utf8');
  session.challenge(
    LOGIN_PASSWORD_CHALLENGE,
    continuation(session, async (password): Promise<CommandResult> => {
      await session.login({
        user,
        password: new Secret(password.toString('utf8')),
        authzid: undefined,
        mechanism: 'LOGIN',
        clientId: undefined,
        helo: session.helo,
      });
      return 'ok';
    }),
  );
  return 'ok';
}

/** Run the first step on the initial response (RFC 4954 §4, `=` is empty), else after a 334 challenge. */
function begin(session: SubmissionCommandSession, initialResponse: string | undefined, challenge: string, step: Step): CommandResult | Promise<CommandResult> {
  if (initialResponse !== undefined) return respond(session, initialResponse, true, step);
  session.challenge(challenge, continuation(session, step));
  return 'ok';
}

/** AUTH PLAIN / LOGIN (RFC 4954), with Dovecot's replies (client-authenticate.c, smtp-server-cmd-auth.c). */
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
    const mechanism = mechanismName.toUpperCase();
    if (!(PLAINTEXT_MECHANISMS as readonly string[]).includes(mechanism)) {
      session.reply(SMTP_TEXT.unsupportedMechanism);
      return 'ok';
    }
    if (mechanism === 'PLAIN') return begin(session, initialResponse, '', (message) => finishPlain(session, message));
    // LOGIN's initial response, where a client sends one, is the user name.
    return begin(session, initialResponse, LOGIN_USERNAME_CHALLENGE, (username) => askLoginPassword(session, username));
  },
};
