import { isIP } from 'node:net';

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is the IPv4 address; IPv6 is lower-cased. */
export function normalizeIp(ip: string): string {
  const lower = ip.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped !== null && isIP(mapped[1]!) === 4) return mapped[1]!;
  return lower;
}

/** An IP address or DNS name, normalised; brackets around IPv6 are dropped. */
export function parseHost(raw: string): Parsed<string> {
  const host = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
  if (isIP(host) !== 0) return { ok: true, value: normalizeIp(host) };
  if (HOSTNAME.test(host)) return { ok: true, value: host.toLowerCase() };
  return { ok: false, message: `"${raw}" is not an IP address or host name` };
}

/** `host:port`, `[v6]:port`, `*:port` (every IPv4 interface). Port 0 means "do not open". */
export function parseHostPort(raw: string): Parsed<{ host: string; port: number }> {
  const m = /^(\[[^\]]+\]|[^:[\]]+|\*):(\d{1,5})$/.exec(raw.trim());
  if (m === null) return { ok: false, message: `"${raw}" is not host:port (IPv6 as [addr]:port)` };
  const port = Number(m[2]);
  if (port > 65535) return { ok: false, message: `port ${port} is out of range` };
  if (m[1] === '*') return { ok: true, value: { host: '0.0.0.0', port } };
  const host = parseHost(m[1]!);
  return host.ok ? { ok: true, value: { host: host.value, port } } : host;
}

/** A CIDR; a bare address is a single host (/32 or /128). Returns the normalised text. */
export function parseCidr(raw: string): Parsed<string> {
  const [addr = '', prefix, extra] = raw.trim().split('/');
  const family = isIP(addr);
  if (family === 0 || extra !== undefined) return { ok: false, message: `"${raw}" is not a network (address/prefix)` };
  const max = family === 4 ? 32 : 128;
  if (prefix === undefined) return { ok: true, value: `${addr.toLowerCase()}/${max}` };
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) {
    return { ok: false, message: `"${raw}": prefix length must be 0..${max}` };
  }
  return { ok: true, value: `${addr.toLowerCase()}/${Number(prefix)}` };
}
