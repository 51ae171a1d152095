/** SASL helpers for the POP3 AUTH command (RFC 5034): strict base64 and PLAIN. */

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decode a client response; `=` is the empty response. Undefined when it is not base64. */
export function decodeSaslResponse(text: string): Buffer | undefined {
  if (text === '=') return Buffer.alloc(0);
  // Node's decoder skips junk silently; a client sending junk must hear about it.
  if (!BASE64.test(text)) return undefined;
  return Buffer.from(text, 'base64');
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
  const authzid = message.subarray(0, first).toString('utf8');
  const authcid = message.subarray(first + 1, second).toString('utf8');
  const password = message.subarray(second + 1).toString('utf8');
  if (authcid === '') return undefined;
  return { authzid: authzid === '' ? undefined : authzid, authcid, password };
}

export function encodeBase64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
