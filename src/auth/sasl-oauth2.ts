import { Secret } from '../core/secret.js';
import { failed, OneMessageServer, utf8, type SaslServer, type SaslStep } from './sasl.js';

/**
 * Server side of SASL XOAUTH2 (Google's) and OAUTHBEARER (RFC 7628): parse
 * the client's message into a user name and a bearer token, as Dovecot's
 * src/auth/mech-oauth2.c does. The token is not checked here
 * (auth/oauth2/), and it is kept in a Secret like a password.
 */

export const OAUTH2_MECHANISMS: readonly string[] = Object.freeze(['XOAUTH2', 'OAUTHBEARER']);

export function isOAuth2Mechanism(mechanism: string): boolean {
  const upper = mechanism.toUpperCase();
  return upper === 'XOAUTH2' || upper === 'OAUTHBEARER';
}

/**
 * What the server sends (base64) when the token is refused, before the
 * failure: Dovecot's JSON texts, byte for byte (mech-oauth2.c), so clients
 * that read `status` see what they see from Dovecot. The client answers it
 * with one more (dummy) response, then gets the protocol's failure reply.
 */
const FAILURE_JSON: Readonly<Record<string, string>> = {
  XOAUTH2: '{"status":"401","schemes":"bearer","scope":"mail"}',
  OAUTHBEARER: '{"status":"invalid_token"}',
};

export function oauth2FailureChallenge(mechanism: string): string {
  return Buffer.from(FAILURE_JSON[mechanism.toUpperCase()] ?? FAILURE_JSON['OAUTHBEARER']!, 'utf8').toString('base64');
}

/**
 * The client's answer to that challenge when the director is the client (a
 * backend login): an empty response for XOAUTH2 (Google's description), a
 * lone %x01 for OAUTHBEARER (RFC 7628 §3.2.3), base64.
 */
export function oauth2FailureAck(mechanism: string): string {
  return mechanism.toUpperCase() === 'XOAUTH2' ? '' : 'AQ==';
}

/** `user=U^Aauth=Bearer T^A^A`, base64: the backend gets the client's token (proxy_mech=%m). */
export function encodeXoauth2(user: string, token: Secret): string {
  return Buffer.from(`user=${user}\x01auth=Bearer ${token.reveal()}\x01\x01`, 'utf8').toString('base64');
}

/** RFC 7628 §3.1 `n,a=U,^Aauth=Bearer T^A^A`, base64; `,` and `=` in the user name escaped as RFC 5801 says. */
export function encodeOauthbearer(user: string, token: Secret): string {
  const escaped = user.replace(/=/g, '=3D').replace(/,/g, '=2C');
  return Buffer.from(`n,a=${escaped},\x01auth=Bearer ${token.reveal()}\x01\x01`, 'utf8').toString('base64');
}

/** The one client message of either mechanism, as `encode*` above, or the reason it is refused. */
export function encodeOAuth2(mechanism: string, user: string, token: Secret): string {
  return mechanism.toUpperCase() === 'XOAUTH2' ? encodeXoauth2(user, token) : encodeOauthbearer(user, token);
}

/** oauth2.c oauth2_valid_token: not empty, no line breaks. */
function validToken(token: string): boolean {
  return token !== '' && !/[\r\n]/.test(token);
}

/** The token of an `auth=` field (`Bearer` in any case, then one space); undefined when malformed. */
function bearerToken(value: string): string | undefined {
  if (value.length < 7 || value.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
  const token = value.slice(7);
  return validToken(token) ? token : undefined;
}

/** RFC 5801 saslname: `=2C` is `,`, `=3D` is `=`; any other `=` or a bare `,` is malformed. */
function unescapeSaslname(text: string): string | undefined {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === ',') return undefined;
    if (c !== '=') {
      out += c;
      continue;
    }
    const code = text.slice(i + 1, i + 3);
    if (code === '2C') out += ',';
    else if (code === '3D') out += '=';
    else return undefined;
    i += 2;
  }
  return out;
}

type Parsed = { readonly user: string; readonly token: string } | { readonly error: string };

function parseXoauth2(fields: readonly string[]): Parsed {
  let user: string | undefined;
  let token: string | undefined;
  for (const field of fields) {
    if (field.startsWith('user=')) user = field.slice(5);
    else if (field.startsWith('auth=')) {
      token = bearerToken(field.slice(5));
      if (token === undefined) return { error: 'invalid auth field' };
    }
    // Other fields are ignored, as Dovecot does.
  }
  if (user === undefined || user === '' || token === undefined) return { error: 'user name or token missing' };
  return { user, token };
}

function parseOauthbearer(fields: readonly string[]): Parsed {
  const header = fields[0];
  if (header === undefined || header === '') return { error: 'no gs2 header' };
  let user: string | undefined;
  for (const part of header.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    switch (part[0]) {
      case 'f':
        return { error: 'non-standard GS2 mechanism' };
      case 'p':
        return { error: 'channel binding requested' };
      case 'n':
      case 'y':
        continue;
      case 'a':
        user = part[1] === '=' ? unescapeSaslname(part.slice(2)) : undefined;
        if (user === undefined) return { error: 'invalid user name escaping' };
        continue;
      default:
        return { error: 'invalid gs2 header' };
    }
  }
  let token: string | undefined;
  for (const field of fields) {
    if (!field.startsWith('auth=')) continue;
    token = bearerToken(field.slice(5));
    if (token === undefined) return { error: 'invalid auth field' };
  }
  if (user === undefined || user === '' || token === undefined) return { error: 'user name or token missing' };
  return { user, token };
}

class OAuth2Server extends OneMessageServer {
  readonly mechanism: string;
  readonly #parse: (fields: readonly string[]) => Parsed;

  constructor(mechanism: 'XOAUTH2' | 'OAUTHBEARER') {
    super();
    this.mechanism = mechanism;
    this.#parse = mechanism === 'XOAUTH2' ? parseXoauth2 : parseOauthbearer;
  }

  protected take(data: Buffer): SaslStep {
    const message = utf8(data);
    if (message === undefined) return failed('malformed', `${this.mechanism} message is not UTF-8`);
    const parsed = this.#parse(message.split('\x01'));
    if ('error' in parsed) return failed('malformed', `${this.mechanism}: ${parsed.error}`);
    return { kind: 'done', credentials: { authzid: undefined, authcid: parsed.user, password: new Secret(parsed.token) } };
  }
}

export function createOAuth2Server(mechanism: string): SaslServer | undefined {
  const upper = mechanism.toUpperCase();
  return upper === 'XOAUTH2' || upper === 'OAUTHBEARER' ? new OAuth2Server(upper) : undefined;
}
