import { networkInterfaces } from 'node:os';
import type { Config } from '../config/types.js';
import { normalizeAddress, WILDCARD_ADDRESSES } from './address.js';

type Interfaces = ReturnType<typeof networkInterfaces>;

/**
 * Every address that counts as this director for routing (docs/invariants.md, routing):
 * listen addresses, the gRPC address, `self_addresses`, plus `extra`
 * (other directors of the ring, known at run time). A wildcard listen
 * means every address of the matching family on this host's interfaces.
 */
export function selfAddressesFrom(
  config: Config,
  extra: Iterable<string> = [],
  interfaces: Interfaces = networkInterfaces(),
): Set<string> {
  const out = new Set<string>(WILDCARD_ADDRESSES);
  const local = Object.values(interfaces).flatMap((list) => list ?? []);
  const add = (host: string): void => {
    const h = normalizeAddress(host);
    if (h === '0.0.0.0') {
      for (const i of local) if (i.family === 'IPv4') out.add(normalizeAddress(i.address));
    } else if (h === '::') {
      // Linux binds :: dual-stack by default, so IPv4 addresses are reachable too.
      for (const i of local) out.add(normalizeAddress(i.address));
    }
    out.add(h);
  };
  for (const addr of Object.values(config.listen)) if (addr !== undefined) add(addr.host);
  for (const host of config.director.selfAddresses) add(host);
  for (const host of extra) add(host);
  return out;
}
