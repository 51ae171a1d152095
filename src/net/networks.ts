import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is the IPv4 address for every decision we make. */
export function normalizeIp(ip: string): string {
  const lower = ip.toLowerCase();
  return lower.startsWith('::ffff:') && isIPv4(lower.slice(7)) ? lower.slice(7) : lower;
}

/** A set of CIDRs (`127.0.0.0/8`, `::1/128`, or a bare address). */
export class NetworkSet {
  readonly #list = new BlockList();
  /** BlockList.check builds native address objects on every call; clients' addresses repeat. */
  readonly #seen = new Map<string, boolean>();

  constructor(cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const [address = '', bits] = cidr.split('/');
      const family = isIPv6(address) ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.#list.addAddress(address, family);
      else this.#list.addSubnet(address, Number(bits), family);
    }
  }

  has(ip: string): boolean {
    const known = this.#seen.get(ip);
    if (known !== undefined) return known;
    const normalized = normalizeIp(ip);
    const inside = this.#list.check(normalized, isIPv6(normalized) ? 'ipv6' : 'ipv4');
    if (this.#seen.size >= 10_000) this.#seen.clear();
    this.#seen.set(ip, inside);
    return inside;
  }
}
