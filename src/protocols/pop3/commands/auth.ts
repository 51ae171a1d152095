import { Secret } from '../../../core/secret.js';
import { POP3_TEXT } from '../replies.js';
import { decodeSaslResponse, encodeBase64, parsePlain } from '../sasl.js';
import { advertisedMechanisms, PLAINTEXT_MECHANISMS } from './capa.js';
import type { CommandResult, ContinuationHandler, Pop3Command, Pop3CommandSession } from './types.js';

const LOGIN_USERNAME_CHALLENGE = encodeBase64('Username:');
const LOGIN_PASSWORD_CHALLENGE = encodeBase64('Password:');

/** Wrap a continuation: `*` cancels, anything else must be base64. */
function saslStep(session: Pop3CommandSession, step: (response: Buffer) => CommandResult | Promise<CommandResult>): ContinuationHandler {
  return (line) => {
    if (line === '*') {
      session.reply(POP3_TEXT.authAborted);
      return 'ok';
    }
    const response = decodeSaslResponse(line);
    if (response === undefined) {
      session.reply(POP3_TEXT.invalidBase64);
      return 'invalid';
    }
    return step(response);
  };
}

async function finishPlain(session: Pop3CommandSession, message: Buffer): Promise<CommandResult> {
  const credentials = parsePlain(message);
  if (credentials === undefined) {
    session.reply(POP3_TEXT.authFailed);
    return 'invalid';
  }
  await session.login({
    user: credentials.authcid,
    password: new Secret(credentials.password),
    authzid: credentials.authzid,
    mechanism: 'PLAIN',
    clientId: undefined,
  });
  return 'ok';
}

function askLoginPassword(session: Pop3CommandSession, username: Buffer): CommandResult {
  const user = username.toString('utf8');
  session.challenge(
    LOGIN_PASSWORD_CHALLENGE,
    saslStep(session, async (password): Promise<CommandResult> => {
      await session.login({
        user,
        password: new Secret(password.toString('utf8')),
        authzid: undefined,
        mechanism: 'LOGIN',
        clientId: undefined,
      });
      return 'ok';
    }),
  );
  return 'ok';
}

/** Run one step now when the client sent an initial response, else after a `+` challenge. */
function begin(
  session: Pop3CommandSession,
  initialResponse: string | undefined,
  challenge: string,
  step: (response: Buffer) => CommandResult | Promise<CommandResult>,
): CommandResult | Promise<CommandResult> {
  const handler = saslStep(session, step);
  if (initialResponse !== undefined) return handler(initialResponse);
  session.challenge(challenge, handler);
  return 'ok';
}

export const authCommand: Pop3Command = {
  name: 'AUTH',
  run(session, args) {
    if (args === '') {
      // Old-style SASL discovery (RFC 1734 clients such as Outlook).
      session.reply('+OK');
      for (const mechanism of advertisedMechanisms(session)) session.reply(mechanism);
      session.reply('.');
      return 'ok';
    }
    const space = args.indexOf(' ');
    const mechanism = (space < 0 ? args : args.slice(0, space)).toUpperCase();
    const initialResponse = space < 0 ? undefined : args.slice(space + 1);
    if (!(PLAINTEXT_MECHANISMS as readonly string[]).includes(mechanism)) {
      session.reply(POP3_TEXT.unsupportedMechanism);
      return 'ok';
    }
    if (!session.plaintextAllowed()) {
      session.reply(POP3_TEXT.plaintextDisallowed);
      return 'ok';
    }
    if (mechanism === 'PLAIN') {
      return begin(session, initialResponse, '', (message) => finishPlain(session, message));
    }
    return begin(session, initialResponse, LOGIN_USERNAME_CHALLENGE, (username) => askLoginPassword(session, username));
  },
};
