import { createServerMechanism } from '../../../auth/sasl-mechanisms.js';
import { type SaslCredentials, type SaslFailure, type SaslServer, type SaslStep } from '../../../auth/sasl.js';
import { POP3_TEXT } from '../replies.js';
import { advertisedMechanisms } from './capa.js';
import type { CommandResult, Pop3Command, Pop3CommandSession } from './types.js';

/**
 * Act on one step of the exchange (auth/sasl.ts): challenge again, reply a
 * failure in Dovecot's pop3-login words, or log in.
 */
function advance(session: Pop3CommandSession, sasl: SaslServer, step: SaslStep): CommandResult | Promise<CommandResult> {
  switch (step.kind) {
    case 'challenge':
      session.challenge(step.challenge, (line) => advance(session, sasl, sasl.respond(line)));
      return 'ok';
    case 'failed':
      return refuse(session, step.reason);
    case 'done':
      return login(session, sasl.mechanism, step.credentials);
  }
}

function refuse(session: Pop3CommandSession, reason: SaslFailure['reason']): CommandResult {
  switch (reason) {
    case 'aborted':
      session.reply(POP3_TEXT.authAborted);
      return 'ok';
    case 'invalid_base64':
      session.reply(POP3_TEXT.invalidBase64);
      return 'invalid';
    case 'malformed':
      session.reply(POP3_TEXT.authFailed);
      return 'invalid';
  }
}

async function login(session: Pop3CommandSession, mechanism: string, credentials: SaslCredentials): Promise<CommandResult> {
  const { authcid, password, authzid } = credentials;
  await session.login({ user: authcid, password, authzid, mechanism, clientId: undefined });
  return 'ok';
}

/** AUTH (RFC 5034), with an initial response or after `+` challenges. */
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
    const sasl = createServerMechanism(space < 0 ? args : args.slice(0, space), session.context.oauth2);
    const initialResponse = space < 0 ? undefined : args.slice(space + 1);
    if (sasl === undefined) {
      session.reply(POP3_TEXT.unsupportedMechanism);
      return 'ok';
    }
    if (!session.plaintextAllowed()) {
      session.reply(POP3_TEXT.plaintextDisallowed);
      return 'ok';
    }
    return advance(session, sasl, sasl.start(initialResponse));
  },
};
