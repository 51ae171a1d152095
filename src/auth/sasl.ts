import { Secret } from '../core/secret.js';

/**
 * Server-side SASL PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login)
 * as a protocol-free state machine: a front end feeds it the client's
 * initial response (SASL-IR, RFC 4959) and continuation lines, and writes
 * each challenge in its own syntax (`+ x` in IMAP and POP3 alike, RFC 3501
 * §7.5 / RFC 5034 §4). It never writes, reads or replies itself.
 */

/** The mechanisms every front end offers (both send the password in the clear: TLS first). */
export const SASL_MECHANISMS: readonly string[] = Object.freeze(['PLAIN', 'LOGIN']);

export interface SaslCredentials {
  /** RFC 4616 authorization identity; undefined when empty (act as authcid). */
  readonly authzid: string | undefined;
  /** Never empty. */
  readonly authcid: string;
  /** Never empty. */
  readonly password: Secret;
}

/**
 * Why an exchange stopped. `detail` is for logs and names only the rule
 * broken, never the decoded bytes (they may hold the password).
 */
export type SaslFailure =
  | { readonly reason: 'aborted'; readonly detail: string }
  | { readonly reason: 'invalid_base64'; readonly detail: string }
  | { readonly reason: 'malformed'; readonly detail: string };

export type SaslStep =
  /** Send this challenge (already base64) and feed the client's next line to `respond`. */
  | { readonly kind: 'challenge'; readonly challenge: string }
  | { readonly kind: 'done'; readonly credentials: SaslCredentials }
  | ({ readonly kind: 'failed' } & SaslFailure);

/** One exchange; `start` once, then `respond` for each client line while the last step was a challenge. */
export interface SaslServer {
  readonly mechanism: string;
  /** `initialResponse`: the SASL-IR argument as sent (`=` is an empty response), or undefined. */
  start(initialResponse: string | undefined): SaslStep;
  /** A continuation line; `*` aborts (RFC 4954 §4, RFC 5034 §4, RFC 3501 §6.2.2). */
  respond(line: string): SaslStep;
}

/** A server for `mechanism` (case-insensitive); undefined when it is not one of SASL_MECHANISMS. */
export function createSaslServer(mechanism: string): SaslServer | undefined {
  switch (mechanism.toUpperCase()) {
    case 'PLAIN':
      return new PlainServer();
    case 'LOGIN':
      return new LoginServer();
    default:
      return undefined;
  }
}

/**
 * RFC 4616 message `authzid NUL authcid NUL passwd`, base64, for logging
 * in to a backend. The plaintext is zeroed once encoded.
 */
export function encodePlain(authzid: string, authcid: string, password: Secret): string {
  const zid = Buffer.from(authzid, 'utf8');
  const cid = Buffer.from(authcid, 'utf8');
  const pass = Buffer.from(password.reveal(), 'utf8');
  const message = Buffer.allocUnsafe(zid.length + cid.length + pass.length + 2);
  let at = zid.copy(message, 0);
  message[at++] = 0;
  at += cid.copy(message, at);
  message[at++] = 0;
  pass.copy(message, at);
  const encoded = message.toString('base64');
  message.fill(0);
  pass.fill(0);
  return encoded;
}

/** `Username:` and `Password:`, base64, as Dovecot's mech-login.c sends them. */
const LOGIN_USERNAME = Buffer.from('Username:', 'latin1').toString('base64');
const LOGIN_PASSWORD = Buffer.from('Password:', 'latin1').toString('base64');

/** What a backend's LOGIN mechanism asks, base64 (the client side of a backend login checks them). */
export const LOGIN_CHALLENGES = Object.freeze({ username: LOGIN_USERNAME, password: LOGIN_PASSWORD });

/** Base64 of UTF-8 text, for the client side of a LOGIN exchange with a backend. */
export function encodeSaslText(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** Padded base64 only: Node's decoder skips junk silently, and a client sending junk must hear about it. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** RFC 4616 §2 and the LOGIN draft both say UTF-8; invalid sequences are refused, not replaced. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

const NUL = 0;

type Decoded = { readonly ok: true; readonly data: Buffer } | { readonly ok: false; readonly step: SaslStep };

export function failed(reason: SaslFailure['reason'], detail: string): SaslStep {
  return { kind: 'failed', reason, detail };
}

const ABORTED = failed('aborted', 'client sent *');
const INVALID_BASE64 = failed('invalid_base64', 'response is not base64');

/** A client's SASL response as bytes, or the step that ends the exchange (`*`, bad base64). */
export function decode(text: string, continuation: boolean): Decoded {
  // `*` cancels a continuation; as an initial response it is no base64 at all.
  if (continuation && text === '*') return { ok: false, step: ABORTED };
  // RFC 4959 §3: a lone `=` is an empty initial response (and RFC 5034 allows it too).
  if (text === '=') return { ok: true, data: Buffer.alloc(0) };
  if (!BASE64.test(text)) return { ok: false, step: INVALID_BASE64 };
  return { ok: true, data: Buffer.from(text, 'base64') };
}

export function utf8(bytes: Buffer): string | undefined {
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

function done(authzid: string, authcid: string, password: string): SaslStep {
  return { kind: 'done', credentials: { authzid: authzid === '' ? undefined : authzid, authcid, password: new Secret(password) } };
}

export const EXCHANGE_OVER = failed('malformed', 'response after the exchange ended');

/**
 * A mechanism whose client sends one message (PLAIN, XOAUTH2,
 * OAUTHBEARER): an empty challenge when there is no initial response (RFC
 * 4616 §2; Dovecot's mech_generic_auth_initial), then that message,
 * decoded, to `take`; anything after it ends the exchange.
 */
export abstract class OneMessageServer implements SaslServer {
  abstract readonly mechanism: string;
  #over = false;

  start(initialResponse: string | undefined): SaslStep {
    if (initialResponse === undefined) return { kind: 'challenge', challenge: '' };
    return this.#message(initialResponse, false);
  }

  respond(line: string): SaslStep {
    return this.#message(line, true);
  }

  #message(text: string, continuation: boolean): SaslStep {
    if (this.#over) return EXCHANGE_OVER;
    this.#over = true;
    const decoded = decode(text, continuation);
    if (!decoded.ok) return decoded.step;
    try {
      return this.take(decoded.data);
    } finally {
      // Whatever `take` made of it, the secret's bytes do not stay in memory.
      decoded.data.fill(0);
    }
  }

  /** The client's message, decoded (wiped once this returns). */
  protected abstract take(message: Buffer): SaslStep;
}

class PlainServer extends OneMessageServer {
  readonly mechanism = 'PLAIN';

  protected take(message: Buffer): SaslStep {
    // Exactly two NULs: authzid NUL authcid NUL passwd, none of them holding a NUL.
    const first = message.indexOf(NUL);
    const second = first < 0 ? -1 : message.indexOf(NUL, first + 1);
    if (second < 0) return failed('malformed', 'PLAIN message without two NULs');
    if (message.indexOf(NUL, second + 1) >= 0) return failed('malformed', 'PLAIN message with more than two NULs');
    const authzid = utf8(message.subarray(0, first));
    const authcid = utf8(message.subarray(first + 1, second));
    const password = utf8(message.subarray(second + 1));
    if (authzid === undefined || authcid === undefined || password === undefined) return failed('malformed', 'PLAIN message is not UTF-8');
    if (authcid === '') return failed('malformed', 'empty authcid');
    if (password === '') return failed('malformed', 'empty password');
    return done(authzid, authcid, password);
  }
}

class LoginServer implements SaslServer {
  readonly mechanism = 'LOGIN';
  #state: 'username' | 'password' | 'over' = 'username';
  #username = '';

  start(initialResponse: string | undefined): SaslStep {
    // An initial response is the user name (Dovecot accepts it, and clients send it with SASL-IR).
    if (initialResponse === undefined) return { kind: 'challenge', challenge: LOGIN_USERNAME };
    return this.#step(initialResponse, false);
  }

  respond(line: string): SaslStep {
    return this.#step(line, true);
  }

  #step(text: string, continuation: boolean): SaslStep {
    if (this.#state === 'over') return EXCHANGE_OVER;
    const state = this.#state;
    this.#state = 'over';
    const decoded = decode(text, continuation);
    if (!decoded.ok) return decoded.step;
    const value = decoded.data.indexOf(NUL) >= 0 ? undefined : utf8(decoded.data);
    decoded.data.fill(0);
    if (value === undefined) return failed('malformed', `LOGIN ${state} holds NUL or is not UTF-8`);
    if (state === 'username') {
      if (value === '') return failed('malformed', 'empty authcid');
      this.#username = value;
      this.#state = 'password';
      return { kind: 'challenge', challenge: LOGIN_PASSWORD };
    }
    if (value === '') return failed('malformed', 'empty password');
    return done('', this.#username, value);
  }
}
