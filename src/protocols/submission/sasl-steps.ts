/**
 * SASL decoding for the submission front end and its backend login, in one
 * place so the shared src/auth/sasl.ts can replace it with one import. Until
 * then it reuses POP3's strict base64 and PLAIN parsing.
 */
import { decodeSaslResponse, encodeBase64, parsePlain, type PlainCredentials } from '../pop3/sasl.js';

export { decodeSaslResponse, encodeBase64, parsePlain, type PlainCredentials };

/** The mechanisms offered: both send the password in the clear (RFC 4616, draft-murchison-sasl-login). */
export const PLAINTEXT_MECHANISMS = ['PLAIN', 'LOGIN'] as const;

export const LOGIN_USERNAME_CHALLENGE = encodeBase64('Username:');
export const LOGIN_PASSWORD_CHALLENGE = encodeBase64('Password:');

/** RFC 4616 message `authzid NUL authcid NUL passwd`, base64; authzid empty unless a master user logs in for `user`. */
export function plainResponse(authzid: string, authcid: string, password: string): string {
  return encodeBase64(`${authzid}\0${authcid}\0${password}`);
}
