import { Secret } from '../../../core/secret.js';
import { CLIENT_MECHANISMS } from '../capabilities.js';
import { argString } from '../parser.js';
import { IMAP_TEXT, tagged } from '../replies.js';
import type { CommandHandler, CommandResult, CommandSession } from './types.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** What a SASL exchange yields: credentials, or a reason it stopped. */
type SaslResult =
  | { readonly kind: 'credentials'; readonly user: string; readonly password: Secret; readonly authzid: string | undefined }
  | { readonly kind: 'aborted' }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'gone' };

/**
 * AUTHENTICATE PLAIN / LOGIN with SASL-IR (RFC 4959) and `+ ` continuations.
 * `*` cancels. Decoded credentials go straight into Secret.
 */
export const authenticateCommand: CommandHandler = {
  name: 'AUTHENTICATE',
  states: ['plaintext', 'tls'],
  minArgs: 1,
  maxArgs: 2,
  async run(session, command): Promise<CommandResult> {
    const mech = argString(command.args[0])?.toUpperCase();
    const initial = argString(command.args[1]);
    if (mech === undefined || (command.args[1] !== undefined && initial === undefined)) return 'bad';
    if (!CLIENT_MECHANISMS.includes(mech)) {
      session.write(tagged(command.tag, 'NO', IMAP_TEXT.unsupportedMech));
      return 'ok';
    }
    if (!session.plaintextAllowed()) {
      session.write(tagged(command.tag, 'NO', IMAP_TEXT.privacy, 'PRIVACYREQUIRED'));
      return 'ok';
    }
    const result = mech === 'PLAIN' ? await saslPlain(session, initial) : await saslLogin(session, initial);
    switch (result.kind) {
      case 'gone':
        return 'stop';
      case 'aborted':
        session.write(tagged(command.tag, 'BAD', IMAP_TEXT.authAborted));
        return 'ok';
      case 'invalid':
        session.write(tagged(command.tag, 'BAD', IMAP_TEXT.invalidBase64));
        return 'ok';
      case 'credentials':
        return session.login(command.tag, {
          user: result.user,
          password: result.password,
          authzid: result.authzid,
          mechanism: mech,
        });
    }
  },
};

type Step = { readonly kind: 'data'; readonly data: Buffer } | { readonly kind: 'aborted' } | { readonly kind: 'invalid' } | { readonly kind: 'gone' };

/** One SASL step: use the initial response if given, else send `+ challenge` and read a line. */
async function step(session: CommandSession, initial: string | undefined, challenge: string): Promise<Step> {
  let line = initial;
  if (line === undefined) {
    session.write(`+ ${Buffer.from(challenge, 'latin1').toString('base64')}\r\n`);
    line = await session.readContinuation();
    if (line === undefined) return { kind: 'gone' };
    if (line === '*') return { kind: 'aborted' };
  }
  // RFC 4959: a lone `=` is an empty initial response.
  if (line === '=') return { kind: 'data', data: Buffer.alloc(0) };
  if (!BASE64.test(line) || line.length % 4 !== 0) return { kind: 'invalid' };
  return { kind: 'data', data: Buffer.from(line, 'base64') };
}

async function saslPlain(session: CommandSession, initial: string | undefined): Promise<SaslResult> {
  const response = await step(session, initial, '');
  if (response.kind !== 'data') return response;
  const parts = splitNul(response.data);
  if (parts === undefined) return { kind: 'invalid' };
  const [authzid, authcid, password] = parts;
  return {
    kind: 'credentials',
    user: authcid,
    password: new Secret(password),
    authzid: authzid.length > 0 ? authzid : undefined,
  };
}

async function saslLogin(session: CommandSession, initial: string | undefined): Promise<SaslResult> {
  const user = await step(session, initial, 'Username:');
  if (user.kind !== 'data') return user;
  const password = await step(session, undefined, 'Password:');
  if (password.kind !== 'data') return password;
  return {
    kind: 'credentials',
    user: user.data.toString('utf8'),
    password: new Secret(password.data.toString('utf8')),
    authzid: undefined,
  };
}

function splitNul(data: Buffer): [string, string, string] | undefined {
  const first = data.indexOf(0);
  if (first < 0) return undefined;
  const second = data.indexOf(0, first + 1);
  if (second < 0 || data.indexOf(0, second + 1) >= 0) return undefined;
  return [
    data.toString('utf8', 0, first),
    data.toString('utf8', first + 1, second),
    data.toString('utf8', second + 1),
  ];
}
