import { createHash, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../core/secret.js';
import type { CryptLimitsConfig } from '../config/types.js';
import { DEFAULT_CRYPT_LIMITS } from '../config/sections.js';
import { parseMd5CryptSalt, parseShaCrypt } from './crypt.js';
import { cryptPool } from './crypt-pool.js';

/**
 * Result of checking a password against a stored value. `unsupported` means
 * "cannot decide" (unknown scheme, malformed hash, missing library): callers
 * turn it into a temporary failure and a log line, never into success or "wrong password".
 */
export type VerifyResult =
  | { readonly kind: 'match' }
  | { readonly kind: 'mismatch' }
  | { readonly kind: 'unsupported'; readonly scheme: string; readonly reason: string };

const MATCH: VerifyResult = { kind: 'match' };
const MISMATCH: VerifyResult = { kind: 'mismatch' };

function unsupported(scheme: string, reason: string): VerifyResult {
  return { kind: 'unsupported', scheme, reason };
}

// Comparing digests keyed with a per-process secret makes the comparison
// constant-time whatever the lengths, without leaking the length of the
// stored value. A secret prefix is enough for an equality test (nothing is
// authenticated with it); the one-shot hash() costs half of two HMAC objects.
const COMPARE_KEY = randomBytes(32);

function keyedDigest(data: Buffer): Buffer {
  return hash('sha256', Buffer.concat([COMPARE_KEY, data]), 'buffer');
}

export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return timingSafeEqual(keyedDigest(a), keyedDigest(b));
}

function result(equal: boolean): VerifyResult {
  return equal ? MATCH : MISMATCH;
}

type Digest = 'md5' | 'sha1' | 'sha256' | 'sha512';
const DIGEST_BYTES: Readonly<Record<Digest, number>> = { md5: 16, sha1: 20, sha256: 32, sha512: 64 };

/** Dovecot accepts digests in base64 or hex; tell them apart by length. */
function decodeDigest(text: string, encoding: string | undefined, minBytes: number): Buffer | undefined {
  const trimmed = text.trim();
  if (encoding === 'HEX' || (encoding === undefined && /^[0-9a-fA-F]+$/.test(trimmed) && trimmed.length === minBytes * 2)) {
    return /^(?:[0-9a-fA-F]{2})+$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : undefined;
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(trimmed)) return undefined;
  return Buffer.from(trimmed, 'base64');
}

function verifyDigest(scheme: string, digest: Digest, salted: boolean, stored: string, encoding: string | undefined, key: Buffer): VerifyResult {
  const size = DIGEST_BYTES[digest];
  const decoded = decodeDigest(stored, encoding, size);
  if (decoded === undefined || (salted ? decoded.length < size : decoded.length !== size)) {
    return unsupported(scheme, 'malformed stored hash');
  }
  const salt = decoded.subarray(size);
  const computed = createHash(digest).update(key).update(salt).digest();
  return result(constantTimeEqual(computed, decoded.subarray(0, size)));
}

/**
 * Caps on what a stored hash may ask for (limits.crypt_max_rounds,
 * limits.blf_max_cost): a hash above them is not checked (a temporary
 * failure, logged with the reason), never computed.
 */
export type CryptLimits = CryptLimitsConfig;

async function verifyCrypt(scheme: string, stored: string, password: Secret, limits: CryptLimits): Promise<VerifyResult> {
  try {
    return await verifyCryptInPool(scheme, stored, password, limits);
  } catch (err: unknown) {
    // A crypt thread that died cannot say "wrong password": a temporary failure.
    return unsupported(scheme, err instanceof Error ? err.message : String(err));
  }
}

async function verifyCryptInPool(scheme: string, stored: string, password: Secret, limits: CryptLimits): Promise<VerifyResult> {
  const hash = stored.trim();
  if (hash.startsWith('$6$') || hash.startsWith('$5$')) {
    const params = parseShaCrypt(hash);
    if (params === undefined) return unsupported(scheme, 'malformed SHA-CRYPT hash');
    if (params.rounds > limits.maxShaRounds) return unsupported(scheme, `rounds=${params.rounds} is above limits.crypt_max_rounds (${limits.maxShaRounds})`);
    const computed = await cryptPool().run({ kind: 'sha', password: password.reveal(), params });
    return result(constantTimeEqual(Buffer.from(computed), Buffer.from(hash)));
  }
  if (hash.startsWith('$1$')) {
    const salt = parseMd5CryptSalt(hash);
    if (salt === undefined) return unsupported(scheme, 'malformed MD5-CRYPT hash');
    const computed = await cryptPool().run({ kind: 'md5', password: password.reveal(), salt });
    return result(constantTimeEqual(Buffer.from(computed), Buffer.from(hash)));
  }
  if (/^\$2[abxy]\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash)) {
    const cost = Number(hash.slice(4, 6));
    if (cost > limits.maxBlfCost) return unsupported(scheme, `cost ${cost} is above limits.blf_max_cost (${limits.maxBlfCost})`);
    // $2y$ (PHP) and $2b$ are the same algorithm; bcryptjs knows them as $2b$.
    const normalized = hash.startsWith('$2y$') ? `$2b$${hash.slice(4)}` : hash;
    return result((await cryptPool().run({ kind: 'bcrypt', password: password.reveal(), hash: normalized })) === 'match');
  }
  return unsupported(scheme, 'crypt variant not supported (only $1$, $5$, $6$, $2*$)');
}

const CRYPT_LIKE = /^\$(?:1|5|6|2[abxy])\$/;

/** Scheme name of a stored value, upper-case, without encoding suffix; "PLAIN" when there is no prefix. */
export function schemeOf(stored: string): string {
  const match = /^\{([A-Za-z0-9_-]+)(?:\.[A-Za-z0-9]+)?\}/.exec(stored);
  if (match?.[1] !== undefined) return match[1].toUpperCase();
  return CRYPT_LIKE.test(stored) ? 'CRYPT' : 'PLAIN';
}

/**
 * Check `password` against a stored value in Dovecot's `{SCHEME}value` form.
 * Without a prefix the value is plaintext, unless it is a crypt(3) string
 * ($1$, $5$, $6$, $2y$...), which is how OpenLDAP's {CRYPT} values often arrive.
 */
export async function verifyPassword(stored: string, password: Secret, limits: CryptLimits = DEFAULT_CRYPT_LIMITS): Promise<VerifyResult> {
  const key = Buffer.from(password.reveal(), 'utf8');
  const match = /^\{([A-Za-z0-9_-]+)(?:\.([A-Za-z0-9]+))?\}/.exec(stored);
  if (match === null) {
    if (CRYPT_LIKE.test(stored)) return verifyCrypt('CRYPT', stored, password, limits);
    return result(constantTimeEqual(key, Buffer.from(stored, 'utf8')));
  }
  const scheme = (match[1] ?? '').toUpperCase();
  const encoding = match[2]?.toUpperCase();
  const value = stored.slice(match[0].length);
  switch (scheme) {
    case 'PLAIN':
    case 'CLEARTEXT':
      if (encoding === 'B64' || encoding === 'BASE64') {
        return result(constantTimeEqual(key, Buffer.from(value, 'base64')));
      }
      if (encoding === 'HEX') return result(constantTimeEqual(key, Buffer.from(value, 'hex')));
      return result(constantTimeEqual(key, Buffer.from(value, 'utf8')));
    case 'SHA':
    case 'SHA1':
      return verifyDigest(scheme, 'sha1', false, value, encoding, key);
    case 'SSHA':
      return verifyDigest(scheme, 'sha1', true, value, encoding, key);
    case 'SHA256':
      return verifyDigest(scheme, 'sha256', false, value, encoding, key);
    case 'SSHA256':
      return verifyDigest(scheme, 'sha256', true, value, encoding, key);
    case 'SHA512':
      return verifyDigest(scheme, 'sha512', false, value, encoding, key);
    case 'SSHA512':
      return verifyDigest(scheme, 'sha512', true, value, encoding, key);
    case 'PLAIN-MD5':
    case 'LDAP-MD5':
      return verifyDigest(scheme, 'md5', false, value, encoding, key);
    case 'SMD5':
      return verifyDigest(scheme, 'md5', true, value, encoding, key);
    case 'CRYPT':
      return verifyCrypt(scheme, value, password, limits);
    case 'SHA512-CRYPT':
      return value.startsWith('$6$') ? verifyCrypt(scheme, value, password, limits) : unsupported(scheme, 'not a $6$ hash');
    case 'SHA256-CRYPT':
      return value.startsWith('$5$') ? verifyCrypt(scheme, value, password, limits) : unsupported(scheme, 'not a $5$ hash');
    case 'MD5':
    case 'MD5-CRYPT':
      return value.startsWith('$1$') ? verifyCrypt(scheme, value, password, limits) : unsupported(scheme, 'not a $1$ hash');
    case 'BLF-CRYPT':
      return value.startsWith('$2') ? verifyCrypt(scheme, value, password, limits) : unsupported(scheme, 'not a $2*$ hash');
    default:
      return unsupported(scheme, 'unknown password scheme');
  }
}
