import { Secret } from '../../../core/secret.js';
import { CLIENT_MECHANISMS } from '../capabilities.js';
import { stringArg } from '../parser.js';
import { sieveString } from '../quote.js';
import { reply, SIEVE_TEXT } from '../replies.js';
import { decodeBase64, encodeBase64, parsePlain } from '../sasl.js';
import type { CommandResult, SieveCommandHandler, SieveCommandSession } from './types.js';

/** A SASL step's outcome: decoded data, or the reply already written (or the client gone). */
type Step = { readonly kind: 'data'; readonly data: Buffer } | { readonly kind: 'done'; readonly result: CommandResult };

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
    if (!CLIENT_MECHANISMS.includes(mechanism)) {
      session.write(reply('NO', SIEVE_TEXT.unsupportedMech));
      return 'ok';
    }
    if (!session.plaintextAllowed()) {
      // Dovecot's sasl-server.c for a plaintext mechanism before TLS.
      session.write(reply('NO', SIEVE_TEXT.plaintextDisabled));
      return 'ok';
    }
    return mechanism === 'PLAIN' ? plain(session, initial?.value) : login(session, initial?.value);
  },
};

async function plain(session: SieveCommandSession, initial: string | undefined): Promise<CommandResult> {
  const message = await step(session, initial, '');
  if (message.kind === 'done') return message.result;
  const credentials = parsePlain(message.data);
  if (credentials === undefined) {
    session.write(reply('NO', SIEVE_TEXT.authFailed));
    return 'ok';
  }
  return session.login({
    user: credentials.authcid,
    password: new Secret(credentials.password),
    authzid: credentials.authzid,
    mechanism: 'PLAIN',
    clientId: undefined,
  });
}

async function login(session: SieveCommandSession, initial: string | undefined): Promise<CommandResult> {
  const user = await step(session, initial, 'Username:');
  if (user.kind === 'done') return user.result;
  const password = await step(session, undefined, 'Password:');
  if (password.kind === 'done') return password.result;
  return session.login({
    user: user.data.toString('utf8'),
    password: new Secret(password.data.toString('utf8')),
    authzid: undefined,
    mechanism: 'LOGIN',
    clientId: undefined,
  });
}

/** Use the initial response if there is one, else send the challenge and read the client's answer. */
async function step(session: SieveCommandSession, initial: string | undefined, challenge: string): Promise<Step> {
  if (initial !== undefined) return decoded(session, initial, SIEVE_TEXT.invalidInitialBase64);
  session.write(`${sieveString(encodeBase64(challenge))}\r\n`);
  const response = await session.readResponse();
  switch (response.kind) {
    case 'gone':
      return { kind: 'done', result: 'stop' };
    case 'empty':
      return refuse(session, SIEVE_TEXT.emptyResponse);
    case 'invalid':
      return refuse(session, response.text);
    case 'string':
      if (response.value === '*') return refuse(session, SIEVE_TEXT.authAborted);
      return decoded(session, response.value, SIEVE_TEXT.invalidContinuedBase64);
  }
}

function decoded(session: SieveCommandSession, text: string, invalidText: string): Step {
  const data = decodeBase64(text);
  return data === undefined ? refuse(session, invalidText) : { kind: 'data', data };
}

function refuse(session: SieveCommandSession, text: string): Step {
  session.write(reply('NO', text));
  return { kind: 'done', result: 'ok' };
}
