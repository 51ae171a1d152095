import { lookup as dnsLookup } from 'node:dns/promises';
import { createServer, isIP } from 'node:net';

/**
 * Dovecot's login_source_ips (login-common/main.c, client-common-auth.c
 * login_source_ip_get): the local addresses backend connections are bound
 * to, one after the other. One source address reaches one backend
 * address and port through at most ~64k ephemeral ports (fewer while closed
 * connections sit in TIME_WAIT); every further source address adds as many.
 */

/** Round robin over the addresses, one turn per family: an IPv4 source cannot reach an IPv6 backend. */
export class SourceIpRotation {
  readonly #v4: readonly string[];
  readonly #v6: readonly string[];
  #nextV4 = 0;
  #nextV6 = 0;

  constructor(ips: readonly string[]) {
    this.#v4 = ips.filter((ip) => isIP(ip) === 4);
    this.#v6 = ips.filter((ip) => isIP(ip) === 6);
  }

  get size(): number {
    return this.#v4.length + this.#v6.length;
  }

  /**
   * The source for a connection to `host`: the next address of its family
   * (a host name is connected to over IPv4 when there are IPv4 sources, as
   * `net.connect` resolves it to the family of the bound address), or
   * undefined to let the kernel choose.
   */
  next(host: string): string | undefined {
    const family = isIP(host);
    if (family === 6 || (family === 0 && this.#v4.length === 0)) {
      if (this.#v6.length === 0) return undefined;
      const ip = this.#v6[this.#nextV6 % this.#v6.length];
      this.#nextV6 = (this.#nextV6 + 1) % this.#v6.length;
      return ip;
    }
    if (this.#v4.length === 0) return undefined;
    const ip = this.#v4[this.#nextV4 % this.#v4.length];
    this.#nextV4 = (this.#nextV4 + 1) % this.#v4.length;
    return ip;
  }
}

export interface SourceIpResolution {
  readonly ips: readonly string[];
  /** Names that did not resolve, and `?name`s of which this host has none of the addresses: for a log line. */
  readonly problems: readonly string[];
}

export interface ResolveOptions {
  readonly lookup?: (name: string) => Promise<readonly string[]>;
  /** Whether this host has `ip` (Dovecot's net_try_bind): a bind to it succeeds. */
  readonly canBind?: (ip: string) => Promise<boolean>;
}

/**
 * The configured entries (addresses, names, `?name`) as addresses, in order,
 * each once. A name stands for all its addresses; with `?` only those this
 * host has, so one file serves every director.
 */
export async function resolveLoginSourceIps(entries: readonly string[], options: ResolveOptions = {}): Promise<SourceIpResolution> {
  const lookup = options.lookup ?? lookupAll;
  const canBind = options.canBind ?? tryBind;
  const ips: string[] = [];
  const problems: string[] = [];
  for (const entry of entries) {
    const optional = entry.startsWith('?');
    const name = optional ? entry.slice(1) : entry;
    let found: readonly string[];
    try {
      found = isIP(name) !== 0 ? [name] : await lookup(name);
    } catch (err: unknown) {
      problems.push(`${entry}: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    let kept = 0;
    for (const ip of found) {
      if (optional && !(await canBind(ip))) continue;
      kept++;
      if (!ips.includes(ip)) ips.push(ip);
    }
    if (kept === 0) problems.push(optional ? `${entry}: none of ${found.join(', ') || 'its addresses'} is an address of this host` : `${entry}: no address`);
  }
  return { ips, problems };
}

async function lookupAll(name: string): Promise<string[]> {
  const found = await dnsLookup(name, { all: true, verbatim: true });
  return found.map((a) => a.address);
}

function tryBind(ip: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: ip, port: 0, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A process's current rotation. `apply` resolves new entries (at start and
 * on SIGHUP) and swaps them in once resolved; connections made meanwhile use
 * the previous addresses.
 */
export class LoginSourceIps {
  #rotation = new SourceIpRotation([]);
  #generation = 0;

  async apply(entries: readonly string[], options: ResolveOptions = {}): Promise<SourceIpResolution> {
    const generation = ++this.#generation;
    const resolved = await resolveLoginSourceIps(entries, options);
    // A later apply (a second SIGHUP) won the race: its entries stand.
    if (generation === this.#generation) this.#rotation = new SourceIpRotation(resolved.ips);
    return resolved;
  }

  /** The source address for the next connection to `host`; undefined: the kernel's choice. */
  next(host: string): string | undefined {
    return this.#rotation.next(host);
  }
}
