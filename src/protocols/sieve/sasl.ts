/**
 * SASL decoding for AUTHENTICATE (PLAIN, RFC 4616; LOGIN): strict base64
 * and the PLAIN message. Kept in one module so a shared SASL helper can
 * replace it.
 */

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decode a base64 response; undefined when it is not base64 (Node's decoder would skip junk silently). */
export function decodeBase64(text: string): Buffer | undefined {
  if (!BASE64.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

export function encodeBase64(data: string | Buffer): string {
  return (typeof data === 'string' ? Buffer.from(data, 'utf8') : data).toString('base64');
}

export interface PlainCredentials {
  readonly authzid: string | undefined;
  readonly authcid: string;
  readonly password: string;
}

/** `authzid NUL authcid NUL passwd`; undefined when malformed. */
export function parsePlain(message: Buffer): PlainCredentials | undefined {
  const first = message.indexOf(0);
  if (first < 0) return undefined;
  const second = message.indexOf(0, first + 1);
  if (second < 0 || message.indexOf(0, second + 1) >= 0) return undefined;
  const authzid = message.toString('utf8', 0, first);
  const authcid = message.toString('utf8', first + 1, second);
  if (authcid === '') return undefined;
  return { authzid: authzid === '' ? undefined : authzid, authcid, password: message.toString('utf8', second + 1) };
}

/** The PLAIN message a proxy sends: as `user`, or as `user` authorized by `master`'s credentials. */
export function plainMessage(user: string, password: string, master: string | undefined): Buffer {
  return Buffer.from(master === undefined ? `\0${user}\0${password}` : `${user}\0${master}\0${password}`, 'utf8');
}
