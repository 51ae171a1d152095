/**
 * Caps on connections that have not logged in yet: in total and per client
 * address, so one address (or a flood of them) cannot hold every slot of a
 * login front end with idle or slow connections, while sessions that are
 * already relayed are not counted and never touched.
 */
export interface PreloginLimitValues {
  readonly total: number;
  readonly perIp: number;
}

export type PreloginRefusal = 'total' | 'per_ip';

export class PreloginLimits {
  readonly #limits: () => PreloginLimitValues;
  readonly #perIp = new Map<string, number>();
  #total = 0;

  /** Read per connection: a SIGHUP'd config applies to the next one. */
  constructor(limits: () => PreloginLimitValues) {
    this.#limits = limits;
  }

  /** Count a new connection, or say which cap it would pass. `exempt`: not counted per address (trusted networks). */
  acquire(ip: string, exempt: boolean): PreloginRefusal | undefined {
    const limits = this.#limits();
    if (this.#total >= limits.total) return 'total';
    const mine = this.#perIp.get(ip) ?? 0;
    if (!exempt && mine >= limits.perIp) return 'per_ip';
    this.#total++;
    this.#perIp.set(ip, mine + 1);
    return undefined;
  }

  /** The connection logged in (now a relayed session) or went away. */
  release(ip: string): void {
    this.#total = Math.max(0, this.#total - 1);
    const mine = (this.#perIp.get(ip) ?? 1) - 1;
    if (mine <= 0) this.#perIp.delete(ip);
    else this.#perIp.set(ip, mine);
  }

  get total(): number {
    return this.#total;
  }
}
