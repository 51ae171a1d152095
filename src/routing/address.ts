import { isIP } from 'node:net';

/**
 * One spelling per address so "is this host self?" and "is this host a
 * configured backend?" are plain set lookups: brackets and IPv6 zone ids
 * dropped, IPv4-mapped IPv6 (`::ffff:127.0.0.1`) as IPv4, IPv6 in
 * canonical lower-case form, host names lower-cased.
 */
export function normalizeAddress(raw: string): string {
  let host = raw.trim();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const zone = host.indexOf('%');
  if (zone >= 0 && host.includes(':')) host = host.slice(0, zone);
  host = host.toLowerCase();
  if (isIP(host) !== 6) return host;
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
  if (mapped !== null && isIP(mapped[1]!) === 4) return mapped[1]!;
  // The URL parser prints IPv6 in RFC 5952 form (zeros compressed, lower case).
  try {
    const canonical = new URL(`http://[${host}]/`).hostname.slice(1, -1);
    const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
    if (m !== null) {
      const hi = parseInt(m[1]!, 16);
      const lo = parseInt(m[2]!, 16);
      return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
    }
    return canonical;
  } catch {
    return host;
  }
}

/** Destinations that reach this host whatever it listens on. */
export const WILDCARD_ADDRESSES: ReadonlySet<string> = new Set(['0.0.0.0', '::']);
