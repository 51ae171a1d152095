import { isIPv4, isIPv6 } from 'node:net';
import { normalizeIp } from './networks.js';

/**
 * The PROXY protocol header a load balancer (HAProxy `send-proxy`,
 * `send-proxy-v2`) writes before the client's first byte: version 1 (one
 * text line) and version 2 (binary, with TLVs), as specified in HAProxy's
 * doc/proxy-protocol.txt and read by Dovecot's
 * src/lib-master/master-service-haproxy.c. Pure: bytes in, a typed header
 * or an error out; the caller feeds what it has read so far and calls again
 * when more arrives.
 */

/** The addresses the load balancer saw: the client and the address the client connected to. */
export interface ProxiedAddresses {
  readonly sourceIp: string;
  readonly sourcePort: number;
  readonly destIp: string;
  readonly destPort: number;
}

/** PP2_TYPE_SSL: how the client reached the load balancer. */
export interface ProxiedTls {
  /** PP2_CLIENT_SSL: the client spoke TLS to the load balancer, which terminated it. */
  readonly ssl: boolean;
  /** A client certificate was presented (PP2_CLIENT_CERT_CONN/SESS) and verified (verify = 0). */
  readonly clientCertVerified: boolean;
  /** PP2_SUBTYPE_SSL_VERSION, e.g. "TLSv1.3". */
  readonly version?: string;
  /** PP2_SUBTYPE_SSL_CIPHER. */
  readonly cipher?: string;
  /** PP2_SUBTYPE_SSL_CN, only when the certificate was verified (as Dovecot). */
  readonly commonName?: string;
}

export interface ProxyHeader {
  readonly version: 1 | 2;
  /**
   * The real client, or undefined when the header names none: v2 LOCAL
   * (the balancer's own health check), v1 UNKNOWN, or a v2 family other than
   * TCP over IPv4/IPv6. The connection's own addresses stand then.
   */
  readonly addresses: ProxiedAddresses | undefined;
  readonly tls: ProxiedTls | undefined;
  /** PP2_TYPE_AUTHORITY: the host name the client asked for (SNI). */
  readonly authority: string | undefined;
  /** PP2_TYPE_ALPN. */
  readonly alpn: string | undefined;
}

export type ProxyParse =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'header'; readonly header: ProxyHeader; /** Bytes the header took; what follows is the client's. */ readonly length: number }
  | { readonly kind: 'error'; readonly message: string };

/** Dovecot's HAPROXY_V1_MAX_HEADER_SIZE: the spec's 107 bytes plus one. */
export const PROXY_V1_MAX_LENGTH = 108;
/** Dovecot's HAPROXY_READ_SIZE: the largest v2 header (16 bytes + addresses + TLVs) taken. */
export const PROXY_V2_MAX_LENGTH = 1500;

export const PROXY_V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
const V2_FIXED = 16;

const PP2_TYPE_ALPN = 0x01;
const PP2_TYPE_AUTHORITY = 0x02;
const PP2_TYPE_SSL = 0x20;
const PP2_SUBTYPE_SSL_VERSION = 0x21;
const PP2_SUBTYPE_SSL_CN = 0x22;
const PP2_SUBTYPE_SSL_CIPHER = 0x23;
const PP2_CLIENT_SSL = 0x01;
const PP2_CLIENT_CERT_CONN = 0x02;
const PP2_CLIENT_CERT_SESS = 0x04;

const INCOMPLETE: ProxyParse = Object.freeze({ kind: 'incomplete' });

function fail(message: string): ProxyParse {
  return { kind: 'error', message };
}

/** True when `data` is a (possibly partial) start of `prefix`, or starts with all of it. */
function matchesPrefix(data: Buffer, prefix: Buffer): boolean {
  const n = Math.min(data.length, prefix.length);
  return data.subarray(0, n).equals(prefix.subarray(0, n));
}

/** Whether a connection's first bytes are (the start of) a PROXY header of either version. */
export function startsLikeProxyHeader(data: Buffer): boolean {
  return data.length > 0 && (matchesPrefix(data, V1_PREFIX) || matchesPrefix(data, PROXY_V2_SIGNATURE));
}

const V1_START = /^PROXY (?:TCP4|TCP6|UNKNOWN)[ \r]/;

/**
 * Whether a connection's first read unmistakably starts with a PROXY header
 * (the v2 signature, or `PROXY TCP4|TCP6|UNKNOWN`): what a port that takes
 * none refuses (a balancer pointed at the wrong port, or a client pretending
 * to be one). An IMAP command tagged "PROXY" is not one.
 */
export function isProxyHeaderStart(data: Buffer): boolean {
  if (data.length >= PROXY_V2_SIGNATURE.length && data.subarray(0, PROXY_V2_SIGNATURE.length).equals(PROXY_V2_SIGNATURE)) return true;
  return V1_START.test(data.subarray(0, 16).toString('latin1'));
}

/** Parse the header at the start of `data` (everything read from the connection so far). */
export function parseProxyHeader(data: Buffer): ProxyParse {
  if (data.length === 0) return INCOMPLETE;
  if (matchesPrefix(data, V1_PREFIX)) return data.length < V1_PREFIX.length ? INCOMPLETE : parseV1(data);
  if (matchesPrefix(data, PROXY_V2_SIGNATURE)) return data.length < PROXY_V2_SIGNATURE.length ? INCOMPLETE : parseV2(data);
  return fail('Failed to read valid HAproxy data');
}

function parseV1(data: Buffer): ProxyParse {
  const window = data.subarray(0, PROXY_V1_MAX_LENGTH);
  const lf = window.indexOf(0x0a);
  if (lf < 0) return data.length >= PROXY_V1_MAX_LENGTH ? fail('Too long header') : checkV1Prefix(window);
  if (lf === 0 || window[lf - 1] !== 0x0d) return fail('Header line does not end in CRLF');
  const line = window.subarray(0, lf - 1);
  const bad = line.findIndex((b) => b < 0x20 || b > 0x7e);
  if (bad >= 0) return fail('Header line has a control or 8-bit character');
  const result = v1Fields(line.toString('latin1').split(' ').slice(1));
  return typeof result === 'string' ? fail(result) : { kind: 'header', header: result, length: lf + 1 };
}

/** A line still coming in: refuse early what can never become one. */
function checkV1Prefix(window: Buffer): ProxyParse {
  const cr = window.indexOf(0x0d);
  if (cr >= 0 && cr < window.length - 1) return fail('Header line does not end in CRLF');
  const bad = window.subarray(0, cr >= 0 ? cr : window.length).findIndex((b) => b < 0x20 || b > 0x7e);
  return bad >= 0 ? fail('Header line has a control or 8-bit character') : INCOMPLETE;
}

function v1Fields(fields: readonly string[]): ProxyHeader | string {
  const [protocol, source, dest, sourcePort, destPort, ...extra] = fields;
  if (protocol === undefined || protocol === '') return 'Field for proxied protocol is missing';
  if (protocol === 'UNKNOWN') return { version: 1, addresses: undefined, tls: undefined, authority: undefined, alpn: undefined };
  if (protocol !== 'TCP4' && protocol !== 'TCP6') return 'Unknown proxied protocol';
  const valid = protocol === 'TCP4' ? isIPv4 : isIPv6;
  if (source === undefined) return 'Field for proxied remote address is missing';
  if (!valid(source)) return 'Proxied remote address is invalid';
  if (dest === undefined) return 'Field for proxied local address is missing';
  if (!valid(dest)) return 'Proxied local address is invalid';
  if (sourcePort === undefined) return 'Field for proxied remote port is missing';
  const sport = v1Port(sourcePort);
  if (sport === undefined) return 'Proxied remote port is invalid';
  if (destPort === undefined) return 'Field for proxied local port is missing';
  const dport = v1Port(destPort);
  if (dport === undefined) return 'Proxied local port is invalid';
  if (extra.length > 0) return 'Header line has spurious extra field';
  return {
    version: 1,
    addresses: { sourceIp: normalizeIp(source), sourcePort: sport, destIp: normalizeIp(dest), destPort: dport },
    tls: undefined,
    authority: undefined,
    alpn: undefined,
  };
}

/** The spec's port: decimal, no leading zero, 0–65535. */
function v1Port(text: string): number | undefined {
  if (!/^(?:0|[1-9][0-9]{0,4})$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}

function parseV2(data: Buffer): ProxyParse {
  if (data.length >= 13 && (data[12]! & 0xf0) !== 0x20) return fail('Unsupported protocol version');
  if (data.length >= 13 && (data[12]! & 0x0f) > 1) return fail('Invalid command');
  if (data.length < V2_FIXED) return INCOMPLETE;
  const total = V2_FIXED + data.readUInt16BE(14);
  if (total > PROXY_V2_MAX_LENGTH) return fail('Too long header');
  if (data.length < total) return INCOMPLETE;
  const local = (data[12]! & 0x0f) === 0;
  const family = data[13]! >> 4;
  const transport = data[13]! & 0x0f;
  const body = data.subarray(V2_FIXED, total);
  const none = { version: 2 as const, addresses: undefined, tls: undefined, authority: undefined, alpn: undefined };
  // LOCAL: the balancer speaking for itself (health checks); whatever follows is skipped, as Dovecot does.
  if (local) return { kind: 'header', header: none, length: total };
  let addresses: ProxiedAddresses | undefined;
  let offset: number;
  switch (family) {
    case 0x0:
      // AF_UNSPEC: the spec says use the connection's own addresses.
      offset = 0;
      break;
    case 0x1:
    case 0x2: {
      if (transport !== 0x1) return fail('Not using TCP');
      const ipLength = family === 0x1 ? 4 : 16;
      const need = ipLength * 2 + 4;
      if (body.length < need) return fail(family === 0x1 ? 'IPv4 data is incomplete' : 'IPv6 data is incomplete');
      addresses = {
        sourceIp: ipText(body.subarray(0, ipLength)),
        destIp: ipText(body.subarray(ipLength, ipLength * 2)),
        sourcePort: body.readUInt16BE(ipLength * 2),
        destPort: body.readUInt16BE(ipLength * 2 + 2),
      };
      offset = need;
      break;
    }
    case 0x3:
      // AF_UNIX: no address the rest of the director could use; Dovecot ignores it too.
      if (body.length < 216) return fail('Unix address data is incomplete');
      offset = 216;
      break;
    default:
      return fail('Unknown address family');
  }
  const tlvs = parseTlvs(body.subarray(offset));
  if (typeof tlvs === 'string') return fail(`Invalid TLV: ${tlvs}`);
  return { kind: 'header', header: { ...none, addresses, ...tlvs }, length: total };
}

function ipText(bytes: Buffer): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // Compress the longest run of zero groups (RFC 5952), then let normalizeIp unmap ::ffff:a.b.c.d.
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  const text = best < 0 ? groups.join(':') : `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLength).join(':')}`;
  if (text.startsWith('::ffff:') && bestLength === 5 && best === 0) {
    return normalizeIp(`::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`);
  }
  return text;
}

interface Tlv {
  readonly type: number;
  readonly value: Buffer;
}

/** Type-length-value records; a string is what is wrong with them. */
function readTlvs(data: Buffer): Tlv[] | string {
  const out: Tlv[] = [];
  for (let i = 0; i < data.length; ) {
    if (data.length - i < 3) return `get_tlv(${i}) failed: Truncated data`;
    const length = data.readUInt16BE(i + 1);
    if (i + 3 + length > data.length) return `get_tlv(${i}) failed: Truncated data`;
    out.push({ type: data[i]!, value: data.subarray(i + 3, i + 3 + length) });
    i += 3 + length;
  }
  return out;
}

function parseTlvs(data: Buffer): Pick<ProxyHeader, 'tls' | 'authority' | 'alpn'> | string {
  const tlvs = readTlvs(data);
  if (typeof tlvs === 'string') return tlvs;
  let tls: ProxiedTls | undefined;
  let authority: string | undefined;
  let alpn: string | undefined;
  for (const tlv of tlvs) {
    switch (tlv.type) {
      case PP2_TYPE_ALPN:
        alpn = printable(tlv.value);
        if (alpn === undefined) return 'ALPN is not printable';
        break;
      case PP2_TYPE_AUTHORITY:
        authority = tlv.value.toString('latin1');
        if (!isDnsName(authority)) return `get_tlv(${PP2_TYPE_AUTHORITY}) failed: Invalid characters in value`;
        break;
      case PP2_TYPE_SSL: {
        const parsed = parseSsl(tlv.value);
        if (typeof parsed === 'string') return parsed;
        tls = parsed;
        break;
      }
      default:
      // CRC32C, NOOP, UNIQUE_ID, NETNS and unknown types carry nothing the director uses.
    }
  }
  return { tls, authority, alpn };
}

function parseSsl(value: Buffer): ProxiedTls | string {
  if (value.length < 5) return 'get_ssl_tlv failed: Truncated data';
  const client = value[0]!;
  // HAProxy sends verify in network byte order (Dovecot reads it so too); 0 means verified.
  const verify = value.readUInt32BE(1);
  const certPresent = (client & (PP2_CLIENT_CERT_CONN | PP2_CLIENT_CERT_SESS)) !== 0;
  const clientCertVerified = certPresent && verify === 0;
  const subs = readTlvs(value.subarray(5));
  if (typeof subs === 'string') return subs;
  let version: string | undefined;
  let cipher: string | undefined;
  let commonName: string | undefined;
  for (const sub of subs) {
    const text = printable(sub.value);
    if (sub.type === PP2_SUBTYPE_SSL_VERSION) version = text;
    else if (sub.type === PP2_SUBTYPE_SSL_CIPHER) cipher = text;
    else if (sub.type === PP2_SUBTYPE_SSL_CN && clientCertVerified) commonName = sub.value.toString('utf8');
  }
  return {
    ssl: (client & PP2_CLIENT_SSL) !== 0,
    clientCertVerified,
    ...(version !== undefined ? { version } : {}),
    ...(cipher !== undefined ? { cipher } : {}),
    ...(commonName !== undefined ? { commonName } : {}),
  };
}

/** Visible ASCII only, else undefined: these values reach logs. */
function printable(value: Buffer): string | undefined {
  return value.length > 0 && value.every((b) => b >= 0x20 && b <= 0x7e) ? value.toString('latin1') : undefined;
}

/** Dovecot's connection_is_valid_dns_name: letters, digits, '-', '.', '_', at most 253 bytes. */
function isDnsName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && /^[A-Za-z0-9._-]+$/.test(name) && !name.startsWith('.') && !name.includes('..');
}
