import type { SaslServer, SaslStep } from '../../../auth/sasl.js';
import { createServerMechanism } from '../../../auth/sasl-mechanisms.js';
import { stringArg } from '../parser.js';
import { sieveString } from '../quote.js';
import { reply, SIEVE_TEXT } from '../replies.js';
import type { CommandResult, SieveCommandHandler, SieveCommandSession } from './types.js';

/**
 * AUTHENTICATE "PLAIN"/"LOGIN" [initial-response] (RFC 5804 §2.1): the
 * mechanism and responses are strings (quoted or literal), challenges are
 * quoted base64 strings, `"*"` cancels. As Pigeonhole's
 * client-authenticate.c; decoded credentials go straight into Secret.
 */
export const authenticateCommand: SieveCommandHandler = {
  name: 'AUTHENTICATE',
  minArgs: 1,
  maxArgs: 2,
  async run(session, args): Promise<CommandResult> {
    const mechanism = stringArg(args[0])?.toUpperCase();
    // An atom as mechanism is a syntax error to Pigeonhole (managesieve_arg_get_string).
    if (mechanism === undefined || mechanism === '') return 'invalid';
    const initial = args[1];
    if (initial !== undefined && initial.type !== 'string') {
      session.write(reply('NO', SIEVE_TEXT.invalidInitialResponse));
      return 'ok';
    }
    const sasl = createServerMechanism(mechanism, session.context.oauth2);
    if (sasl === undefined) {
      session.write(reply('NO', SIEVE_TEXT.unsupportedMech));
      return 'ok';
    }
    if (!session.plaintextAllowed()) {
      // Dovecot's sasl-server.c for a plaintext mechanism before TLS.
      session.write(reply('NO', SIEVE_TEXT.plaintextDisabled));
      return 'ok';
    }
    return exchange(session, sasl, initial?.value);
  },
};

/**
 * Run the exchange (auth/sasl.ts): each challenge as a quoted base64 string,
 * each answer read as a string or literal; then log in or refuse in
 * Pigeonhole's words.
 */
async function exchange(session: SieveCommandSession, sasl: SaslServer, initial: string | undefined): Promise<CommandResult> {
  let step: SaslStep = sasl.start(initial);
  let continued = false;
  while (step.kind === 'challenge') {
    session.write(`${sieveString(step.challenge)}\r\n`);
    const response = await session.readResponse();
    switch (response.kind) {
      case 'gone':
        return 'stop';
      case 'empty':
        return refuse(session, SIEVE_TEXT.emptyResponse);
      case 'invalid':
        return refuse(session, response.text);
      case 'string':
        continued = true;
        step = sasl.respond(response.value);
    }
  }
  if (step.kind === 'done') {
    const { authcid, password, authzid } = step.credentials;
    return session.login({ user: authcid, password, authzid, mechanism: sasl.mechanism, clientId: undefined });
  }
  switch (step.reason) {
    case 'aborted':
      return refuse(session, SIEVE_TEXT.authAborted);
    case 'invalid_base64':
      return refuse(session, continued ? SIEVE_TEXT.invalidContinuedBase64 : SIEVE_TEXT.invalidInitialBase64);
    case 'malformed':
      return refuse(session, SIEVE_TEXT.authFailed);
  }
}

function refuse(session: SieveCommandSession, text: string): CommandResult {
  session.write(reply('NO', text));
  return 'ok';
}
