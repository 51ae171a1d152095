import { createHash } from 'node:crypto';
import { isIP } from 'node:net';

/*
 * Dovecot 2.3 director's placement (src/director/mail-host.c,
 * src/lib-mail/mail-user-hash.c), so that users keep their backend when a
 * cluster leaves Dovecot's director for this one (docs/migrate-from-dovecot-director.md):
 *   - a user's hash is the first 4 bytes of MD5(director_username_hash
 *     expansion), big-endian; 0 becomes 1;
 *   - every host that is up contributes vhost_count points, point i at the
 *     first 4 bytes of MD5("<ip>-<i>"), where <ip> is the address as
 *     inet_ntop(3) prints it;
 *   - points sort by hash, then by address (family, then address bytes:
 *     net_ip_cmp), the tie-break every director of a ring agrees on;
 *   - a user goes to the first point whose hash is >= the user's, and past
 *     the last point to the first one;
 *   - one ring per tag (director_tag); down hosts and vhost_count 0 have no points.
 * No I/O: the owner builds one per tag from the backends that take users.
 */

/** A host of one tag's ring: its address and Dovecot's vhost_count. */
export interface DovecotHost<T> {
  /** An IP address literal (Dovecot keys hosts by IP). */
  readonly ip: string;
  readonly vhostCount: number;
  readonly value: T;
}

/** Dovecot's doveadm refuses a larger vhost_count (MAX_VALID_VHOST_COUNT in src/director/doveadm-connection.c). */
export const DOVECOT_MAX_VHOST_COUNT = 1000;

/** First 4 bytes of MD5, big-endian, as an unsigned 32-bit number. */
function md5Prefix(text: string): number {
  return createHash('md5').update(text, 'utf8').digest().readUInt32BE(0);
}

/** The user hash of mail_user_hash(): `expanded` is the director_username_hash expansion. */
export function dovecotUserHash(expanded: string): number {
  const hash = md5Prefix(expanded);
  // Dovecot treats 0 as "no hash" in places, so it never hands one out.
  return hash === 0 ? 1 : hash;
}

/** The hash of point `index` of the host at `ipText` (mail_vhost_add). */
export function dovecotPointHash(ipText: string, index: number): number {
  return md5Prefix(`${ipText}-${index}`);
}

/**
 * Dovecot's `%L`: ASCII lower-casing only (i_tolower in src/lib/strfuncs.c),
 * unlike String.prototype.toLowerCase, which would change "İ" or "Σ" and
 * send such a user elsewhere than Dovecot did.
 */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

interface ParsedIp {
  /** 4 for IPv4, 6 for IPv6: AF_INET sorts before AF_INET6 in net_ip_cmp. */
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | undefined {
  if (isIP(text) !== 6) return undefined;
  let head = text;
  let tail = '';
  const gap = text.indexOf('::');
  if (gap >= 0) {
    head = text.slice(0, gap);
    tail = text.slice(gap + 2);
  }
  const words = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const groups = part.split(':');
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIpv4(g);
        if (v4 === undefined) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const a = words(head);
  const b = words(tail);
  if (a === undefined || b === undefined) return undefined;
  const zeros = 8 - a.length - b.length;
  if (gap < 0 ? zeros !== 0 : zeros < 1) return undefined;
  const all = [...a, ...new Array<number>(gap < 0 ? 0 : zeros).fill(0), ...b];
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

function parseIp(text: string): ParsedIp | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, bytes: v4 };
  const v6 = parseIpv6(text);
  return v6 === undefined ? undefined : { family: 6, bytes: v6 };
}

/**
 * The address as glibc's inet_ntop(3) prints it, which is what Dovecot
 * hashes: IPv6 with the longest (first, at least two words) run of zero
 * words as "::", lower-case hex, and the last 32 bits dotted when the
 * address is IPv4-compatible (::a.b.c.d) or IPv4-mapped (::ffff:a.b.c.d).
 */
function ipText(ip: ParsedIp): string {
  const b = ip.bytes;
  if (ip.family === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[2 * i]! << 8) | b[2 * i + 1]!);
  let bestBase = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestBase = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      return `${out}${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
    }
    out += words[i]!.toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}

/** The text Dovecot hashes for an address literal, or undefined when `text` is not one. */
export function dovecotIpText(text: string): string | undefined {
  const ip = parseIp(text);
  return ip === undefined ? undefined : ipText(ip);
}

function compareIps(a: ParsedIp, b: ParsedIp): number {
  if (a.family !== b.family) return a.family - b.family;
  for (let i = 0; i < a.bytes.length; i++) {
    if (a.bytes[i] !== b.bytes[i]) return a.bytes[i]! - b.bytes[i]!;
  }
  return 0;
}

interface Point<T> {
  readonly hash: number;
  readonly ip: ParsedIp;
  readonly value: T;
}

/** One tag's ring of points, sorted as Dovecot sorts them. Immutable. */
export class DovecotTagRing<T> {
  readonly #points: readonly Point<T>[];

  /** Throws RangeError for a host that is not an IP literal (config and admin checks refuse those first). */
  constructor(hosts: readonly DovecotHost<T>[]) {
    const points: Point<T>[] = [];
    for (const host of hosts) {
      const ip = parseIp(host.ip);
      if (ip === undefined) throw new RangeError(`"${host.ip}" is not an IP address`);
      const text = ipText(ip);
      for (let i = 0; i < host.vhostCount; i++) points.push({ hash: dovecotPointHash(text, i), ip, value: host.value });
    }
    points.sort((a, b) => (a.hash !== b.hash ? a.hash - b.hash : compareIps(a.ip, b.ip)));
    this.#points = points;
  }

  get size(): number {
    return this.#points.length;
  }

  /** The host for a user hash: the first point at or after it, wrapping to the first. */
  pick(userHash: number): T | undefined {
    const points = this.#points;
    if (points.length === 0) return undefined;
    // The probe order of Dovecot's bsearch_insert_pos: when points share a hash
    // equal to the user's (a 32-bit collision), the one it meets first wins.
    let left = 0;
    let right = points.length;
    let idx = 0;
    while (left < right) {
      idx = (left + right) >>> 1;
      const h = points[idx]!.hash;
      if (h < userHash) left = idx + 1;
      else if (h > userHash) right = idx;
      else return points[idx]!.value;
    }
    return points[left === points.length ? 0 : left]!.value;
  }
}
