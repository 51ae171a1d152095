import { PROTOCOLS } from '../../core/protocol.js';
import type { MetricsRegistry } from './metrics.js';

export interface SessionGaugeSource {
  /** Live relayed sessions: protocol, and the ring backend's id or the passdb host. */
  sessions(): ReadonlyArray<{ readonly protocol: string; readonly backendId: string | undefined; readonly backendHost: string }>;
  /** Backend ids of the ring now. */
  backends(): readonly string[];
}

/** Hosts outside the ring (passdb `host`) remembered for their zero series; past this many, the oldest go. */
const MAX_REMEMBERED_HOSTS = 1000;

/**
 * `maildirector_sessions{protocol,backend}`: a series for every protocol and
 * ring backend, 0 when idle, so a backend's sessions dropping to none shows
 * as 0 and not as a series that vanished (which rate() and alerts read as
 * "no data"). A passdb host outside the ring keeps its series at 0 once seen.
 */
export function registerSessionGauge(registry: MetricsRegistry, source: SessionGaugeSource): void {
  const gauge = registry.gauge('maildirector_sessions', 'Relayed sessions now, by protocol and backend (ring id, or the passdb host).', ['protocol', 'backend']);
  const hosts = new Set<string>();
  registry.onCollect(() => {
    const counts = new Map<string, number>();
    const key = (protocol: string, backend: string): string => `${protocol}\u0000${backend}`;
    const backends = new Set(source.backends());
    for (const s of source.sessions()) {
      const backend = s.backendId ?? s.backendHost;
      if (!backends.has(backend) && !hosts.has(backend)) {
        hosts.add(backend);
        if (hosts.size > MAX_REMEMBERED_HOSTS) hosts.delete(hosts.values().next().value as string);
      }
      counts.set(key(s.protocol, backend), (counts.get(key(s.protocol, backend)) ?? 0) + 1);
    }
    gauge.reset();
    for (const backend of [...backends, ...hosts]) {
      for (const protocol of PROTOCOLS) gauge.set({ protocol, backend }, counts.get(key(protocol, backend)) ?? 0);
    }
  });
}
