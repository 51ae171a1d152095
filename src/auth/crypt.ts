import { createHash } from 'node:crypto';

/**
 * crypt(3) hashes Dovecot and OpenLDAP store: SHA512-CRYPT ($6$), SHA256-CRYPT ($5$)
 * and MD5-CRYPT ($1$), after Ulrich Drepper's specification and the FreeBSD MD5 code.
 * node:crypto has no crypt(); the algorithms are short and fully specified.
 */

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function b64From24(b2: number, b1: number, b0: number, n: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let out = '';
  for (let i = 0; i < n; i++) {
    out += ITOA64[w & 0x3f];
    w >>>= 6;
  }
  return out;
}

function byteAt(buf: Buffer, i: number): number {
  return buf[i] ?? 0;
}

/** `bytes` copies of `block`, cut to `length`. */
function repeatTo(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += block.length) block.copy(out, i, 0, Math.min(block.length, length - i));
  return out;
}

export const SHA_CRYPT_DEFAULT_ROUNDS = 5000;
const SHA_CRYPT_MIN_ROUNDS = 1000;
const SHA_CRYPT_MAX_ROUNDS = 999_999_999;

type ShaAlgorithm = 'sha256' | 'sha512';

function shaCryptDigest(alg: ShaAlgorithm, key: Buffer, salt: Buffer, rounds: number): Buffer {
  const hash = (...parts: Buffer[]): Buffer => {
    const h = createHash(alg);
    for (const part of parts) h.update(part);
    return h.digest();
  };
  const size = alg === 'sha512' ? 64 : 32;
  const b = hash(key, salt, key);
  const a = createHash(alg);
  a.update(key);
  a.update(salt);
  a.update(repeatTo(b, key.length));
  for (let i = key.length; i > 0; i >>= 1) a.update(i & 1 ? b : key);
  let c = a.digest();

  const dp = createHash(alg);
  for (let i = 0; i < key.length; i++) dp.update(key);
  const p = repeatTo(dp.digest(), key.length);

  const ds = createHash(alg);
  for (let i = 0; i < 16 + byteAt(c, 0); i++) ds.update(salt);
  const s = repeatTo(ds.digest(), salt.length);

  for (let i = 0; i < rounds; i++) {
    const h = createHash(alg);
    h.update(i & 1 ? p : c);
    if (i % 3 !== 0) h.update(s);
    if (i % 7 !== 0) h.update(p);
    h.update(i & 1 ? c : p);
    c = h.digest();
  }
  if (c.length !== size) throw new RangeError('unexpected digest size');
  return c;
}

function encodeSha512(c: Buffer): string {
  let out = '';
  for (let i = 0; i < 21; i++) {
    const a = byteAt(c, i);
    const b = byteAt(c, i + 21);
    const d = byteAt(c, i + 42);
    if (i % 3 === 0) out += b64From24(a, b, d, 4);
    else if (i % 3 === 1) out += b64From24(b, d, a, 4);
    else out += b64From24(d, a, b, 4);
  }
  return out + b64From24(0, 0, byteAt(c, 63), 2);
}

function encodeSha256(c: Buffer): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    const a = byteAt(c, i);
    const b = byteAt(c, i + 10);
    const d = byteAt(c, i + 20);
    if (i % 3 === 0) out += b64From24(a, b, d, 4);
    else if (i % 3 === 1) out += b64From24(d, a, b, 4);
    else out += b64From24(b, d, a, 4);
  }
  return out + b64From24(0, byteAt(c, 31), byteAt(c, 30), 3);
}

export interface ParsedShaCrypt {
  readonly alg: ShaAlgorithm;
  readonly rounds: number;
  readonly explicitRounds: boolean;
  readonly salt: string;
}

const SHA_CRYPT = /^\$([56])\$(?:rounds=(\d+)\$)?([^$]{0,16})[^$]*\$[./0-9A-Za-z]+$/;

export function parseShaCrypt(stored: string): ParsedShaCrypt | undefined {
  const match = SHA_CRYPT.exec(stored);
  if (match === null) return undefined;
  const explicitRounds = match[2] !== undefined;
  const requested = explicitRounds ? Number(match[2]) : SHA_CRYPT_DEFAULT_ROUNDS;
  const rounds = Math.min(SHA_CRYPT_MAX_ROUNDS, Math.max(SHA_CRYPT_MIN_ROUNDS, requested));
  return { alg: match[1] === '6' ? 'sha512' : 'sha256', rounds, explicitRounds, salt: match[3] ?? '' };
}

/** The full crypt string ("$6$salt$hash") for `key` with the parameters of `params`. */
export function shaCrypt(key: Buffer, params: ParsedShaCrypt): string {
  const digest = shaCryptDigest(params.alg, key, Buffer.from(params.salt, 'utf8'), params.rounds);
  const id = params.alg === 'sha512' ? '6' : '5';
  const rounds = params.explicitRounds ? `rounds=${params.rounds}$` : '';
  const encoded = params.alg === 'sha512' ? encodeSha512(digest) : encodeSha256(digest);
  return `$${id}$${rounds}${params.salt}$${encoded}`;
}

const MD5_CRYPT = /^\$1\$([^$]{0,8})[^$]*\$[./0-9A-Za-z]+$/;

export function parseMd5CryptSalt(stored: string): string | undefined {
  return MD5_CRYPT.exec(stored)?.[1];
}

/** FreeBSD MD5-CRYPT ("$1$salt$hash"). */
export function md5Crypt(key: Buffer, salt: string): string {
  const saltBuf = Buffer.from(salt, 'utf8');
  const magic = Buffer.from('$1$');
  const alt = createHash('md5').update(key).update(saltBuf).update(key).digest();
  const ctx = createHash('md5').update(key).update(magic).update(saltBuf);
  for (let left = key.length; left > 0; left -= 16) ctx.update(alt.subarray(0, Math.min(16, left)));
  const zero = Buffer.from([0]);
  const first = key.subarray(0, 1);
  for (let i = key.length; i > 0; i >>= 1) ctx.update(i & 1 ? zero : first);
  let f = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const h = createHash('md5');
    h.update(i & 1 ? key : f);
    if (i % 3 !== 0) h.update(saltBuf);
    if (i % 7 !== 0) h.update(key);
    h.update(i & 1 ? f : key);
    f = h.digest();
  }
  const at = (i: number): number => byteAt(f, i);
  const encoded =
    b64From24(at(0), at(6), at(12), 4) +
    b64From24(at(1), at(7), at(13), 4) +
    b64From24(at(2), at(8), at(14), 4) +
    b64From24(at(3), at(9), at(15), 4) +
    b64From24(at(4), at(10), at(5), 4) +
    b64From24(0, 0, at(11), 2);
  return `$1$${salt}$${encoded}`;
}
