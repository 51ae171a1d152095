import { PROXY_V2_SIGNATURE } from '../../../src/net/proxy-protocol.js';

/**
 * PROXY protocol v2 headers built byte by byte as HAProxy's
 * doc/proxy-protocol.txt lays them out, for the parser's tests.
 */

export interface V2Options {
  /** 0x2? version nibble and command: 0x21 PROXY (default), 0x20 LOCAL. */
  readonly verCmd?: number;
  /** Family and transport: 0x11 TCP/IPv4 (default), 0x21 TCP/IPv6, 0x12 UDP/IPv4, 0x00 UNSPEC, 0x31 UNIX. */
  readonly fam?: number;
  readonly source?: readonly number[];
  readonly dest?: readonly number[];
  readonly sourcePort?: number;
  readonly destPort?: number;
  /** Raw address block instead of source/dest/ports. */
  readonly addressBlock?: Buffer;
  readonly tlvs?: readonly Buffer[];
  /** Overrides the length field (for lying headers). */
  readonly length?: number;
}

export function tlv(type: number, value: Buffer | string): Buffer {
  const v = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  const head = Buffer.alloc(3);
  head[0] = type;
  head.writeUInt16BE(v.length, 1);
  return Buffer.concat([head, v]);
}

/** PP2_TYPE_SSL: client flags, verify, sub-TLVs. */
export function sslTlv(client: number, verify: number, subs: readonly Buffer[]): Buffer {
  const head = Buffer.alloc(5);
  head[0] = client;
  head.writeUInt32BE(verify, 1);
  return tlv(0x20, Buffer.concat([head, ...subs]));
}

function port(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n, 0);
  return b;
}

export function v2Header(options: V2Options = {}): Buffer {
  const fam = options.fam ?? 0x11;
  const addressBlock =
    options.addressBlock ??
    (fam >> 4 === 1 || fam >> 4 === 2
      ? Buffer.concat([
          Buffer.from(options.source ?? [192, 0, 2, 10]),
          Buffer.from(options.dest ?? [198, 51, 100, 1]),
          port(options.sourcePort ?? 51234),
          port(options.destPort ?? 993),
        ])
      : Buffer.alloc(0));
  const body = Buffer.concat([addressBlock, ...(options.tlvs ?? [])]);
  const head = Buffer.alloc(4);
  head[0] = options.verCmd ?? 0x21;
  head[1] = fam;
  head.writeUInt16BE(options.length ?? body.length, 2);
  return Buffer.concat([PROXY_V2_SIGNATURE, head, body]);
}

/** 2001:db8::1 style helper: the 16 bytes of an IPv6 address given as 8 groups. */
export function v6(groups: readonly number[]): number[] {
  const out: number[] = [];
  for (const g of groups) out.push(g >> 8, g & 0xff);
  return out;
}
