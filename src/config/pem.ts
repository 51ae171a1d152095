import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { createSecureContext } from 'node:tls';

/**
 * PEM files named by the config, checked at load so that `config check`,
 * `serve` and a SIGHUP reload all refuse a bad certificate with the file,
 * line and key, instead of OpenSSL throwing later from a listener or a
 * signal handler. Messages never quote a file's content (a key is a secret).
 */

/** A file as the config reader read it, with the config key that named it. */
export interface PemFile {
  readonly path: string;
  readonly data: Buffer;
  /** Dotted config key, e.g. `tls.cert`, for messages that point at the other file. */
  readonly key: string;
}

/** What is wrong, and with which of the two files of a pair. */
export interface PemProblem {
  readonly on: 'cert' | 'key';
  readonly message: string;
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----\r?\n[\s\S]*?-----END CERTIFICATE-----/g;

/** OpenSSL's reason without its error-stack prefix ("error:0480006C:PEM routines::no start line" → "no start line"). */
function reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const parts = text.split('::');
  return (parts[parts.length - 1] ?? text).trim();
}

/** Every certificate of a PEM file (a chain or a CA bundle), or why there is none. */
function parseCertificates(file: PemFile): X509Certificate[] | string {
  const blocks = file.data.toString('latin1').match(CERT_BLOCK);
  if (blocks === null) return `${file.path} is not a PEM certificate (no "BEGIN CERTIFICATE" block)`;
  const certs: X509Certificate[] = [];
  for (const [i, block] of blocks.entries()) {
    try {
      certs.push(new X509Certificate(block));
    } catch (err: unknown) {
      return `${file.path}: certificate ${i + 1} of ${blocks.length} does not parse (${reason(err)})`;
    }
  }
  return certs;
}

function parsePrivateKey(file: PemFile): KeyObject | string {
  const text = file.data.toString('latin1');
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return `${file.path} is not a PEM private key (no "BEGIN … PRIVATE KEY" block)`;
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text)) {
    return `${file.path} is an encrypted private key; give the key without a passphrase`;
  }
  try {
    return createPrivateKey({ key: file.data, format: 'pem' });
  } catch (err: unknown) {
    return `${file.path} is not a usable private key (${reason(err)})`;
  }
}

/**
 * A certificate and its key as a TLS endpoint will use them: the first
 * certificate must be the key's, and OpenSSL must accept the pair (key
 * size and signature rules of its security level).
 */
export function keyPairProblem(cert: PemFile, key: PemFile): PemProblem | undefined {
  const certs = parseCertificates(cert);
  if (typeof certs === 'string') return { on: 'cert', message: certs };
  const privateKey = parsePrivateKey(key);
  if (typeof privateKey === 'string') return { on: 'key', message: privateKey };
  const leaf = certs[0]!;
  if (!leaf.checkPrivateKey(privateKey)) {
    const subject = leaf.subject.replace(/\n/g, ', ');
    return { on: 'key', message: `${key.path} is not the key of the certificate in ${cert.key} (${cert.path}, ${subject})` };
  }
  try {
    createSecureContext({ cert: cert.data, key: key.data });
  } catch (err: unknown) {
    return { on: 'cert', message: `${cert.path} is refused by OpenSSL with its key (${reason(err)})` };
  }
  return undefined;
}

/** CA certificates to verify peers with: each must parse, and OpenSSL must take the bundle as trust anchors. */
export function caBundleProblem(ca: PemFile): string | undefined {
  const certs = parseCertificates(ca);
  if (typeof certs === 'string') return certs;
  try {
    createSecureContext({ ca: ca.data });
  } catch (err: unknown) {
    return `${ca.path} is refused by OpenSSL as a CA bundle (${reason(err)})`;
  }
  return undefined;
}
