import type { DirectorPeer } from './cluster.js';
import type { ConfigOverrides } from './director.js';
import { startFaultRelay, type FaultRelay } from './fault-relay.js';

/**
 * A fault relay (fault-relay.ts) on every director-to-director link of a
 * ring: director A dials director B through relay A→B (ring.directors[].dial
 * in A's config), so each direction of each pair can be cut, stalled or
 * delayed on its own while clients still reach every director directly.
 */
export interface RingFaults {
  /** directorOverrides for startCluster: `base` plus the dial addresses of this director's relays. */
  overrides(base: (self: DirectorPeer, all: readonly DirectorPeer[]) => ConfigOverrides): (self: DirectorPeer, all: readonly DirectorPeer[]) => ConfigOverrides;
  /** The relay A dials B through. */
  relay(from: string, to: string): FaultRelay;
  /** Nothing passes between `a` and `b`, either way, on either link (a partition). */
  cut(a: string, b: string): void;
  /** `a` cut from every other director. */
  isolate(a: string): void;
  /** Bytes from `from` to `to` stop (on both links between them); the other way still flows. */
  drop(from: string, to: string): void;
  /** Every byte between `a` and `b` arrives `ms` later. */
  delay(a: string, b: string, ms: number): void;
  /** Everything passes again. */
  healAll(): void;
  /** What is in force now, for logs: "d1-x-d2", "d1->d3 dropped", "d2~d3 200ms". */
  describe(): string[];
  close(): Promise<void>;
}

export async function startRingFaults(ids: readonly string[], host = '127.0.0.1'): Promise<RingFaults> {
  const relays = new Map<string, FaultRelay>();
  const faults = new Map<string, string>();
  const key = (from: string, to: string): string => `${from}>${to}`;
  try {
    for (const from of ids) for (const to of ids) if (from !== to) relays.set(key(from, to), await startFaultRelay({ host }));
  } catch (err) {
    await Promise.all([...relays.values()].map((r) => r.close()));
    throw err;
  }
  const relay = (from: string, to: string): FaultRelay => {
    const r = relays.get(key(from, to));
    if (r === undefined) throw new Error(`no relay ${from} -> ${to}`);
    return r;
  };
  const pairKey = (a: string, b: string): string => (a < b ? `${a}|${b}` : `${b}|${a}`);
  const cut = (a: string, b: string): void => {
    relay(a, b).stall('both');
    relay(b, a).stall('both');
    faults.set(pairKey(a, b), `${a}-x-${b}`);
  };
  return {
    overrides: (base) => (self, all) => {
      const out = base(self, all);
      const ring = (out['ring'] ?? {}) as Record<string, unknown>;
      const directors = all
        .filter((d) => d.grpc !== null)
        .map((d) => {
          if (d.id === self.id) return { id: d.id, grpc: `${d.host}:${d.grpc}` };
          const r = relay(self.id, d.id);
          r.setTarget(d.host, d.grpc ?? 0);
          return { id: d.id, grpc: `${d.host}:${d.grpc}`, dial: r.address };
        });
      return { ...out, ring: { ...ring, directors } };
    },
    relay,
    cut,
    isolate: (a) => {
      for (const b of ids) if (b !== a) cut(a, b);
    },
    drop: (from, to) => {
      // from's own link to `to` carries from's bytes forward; `to`'s link to from carries them backward.
      relay(from, to).stall('forward');
      relay(to, from).stall('backward');
      faults.set(`${key(from, to)}`, `${from}->${to} dropped`);
    },
    delay: (a, b, ms) => {
      relay(a, b).delay(ms);
      relay(b, a).delay(ms);
      faults.set(`~${pairKey(a, b)}`, `${a}~${b} ${ms}ms`);
    },
    healAll: () => {
      for (const r of relays.values()) r.heal();
      faults.clear();
    },
    describe: () => [...faults.values()].sort(),
    close: async () => {
      await Promise.all([...relays.values()].map((r) => r.close()));
    },
  };
}
