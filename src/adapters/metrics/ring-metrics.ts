import { mirrorTotal, replaceAll } from './metrics.js';
import type { Histogram, MetricsRegistry } from './metrics.js';

/**
 * What the ring metrics read on each scrape. Structural, so this adapter does
 * not import the ring or cluster layers; the composition root fills it in.
 * Labels are backend and director ids from the ring config: bounded, not personal.
 */
export interface RingMetricsSource {
  /** Backends of the effective ring: up as routing sees it, and the operator override. */
  backends(): ReadonlyArray<{ readonly id: string; readonly up: boolean; readonly admin: 'none' | 'up' | 'down' }>;
  /** Ring members other than this director, with when they were last heard from (epoch ms, 0 never). */
  peers(): ReadonlyArray<{ readonly id: string; readonly live: boolean; readonly lastHeardMs: number; readonly linkOpen: boolean }>;
  /** The state's Lamport clock. */
  clock(): number;
  stats(): {
    readonly malformed: number;
    readonly batchesSent: number;
    readonly entriesSent: number;
    readonly batchesReceived: number;
    readonly entriesReceived: number;
  };
}

const ADMIN_STATES = ['none', 'up', 'down'] as const;

/** Registers the ring series; returns the ack-wait histogram for the caller to feed. */
export function registerRingMetrics(registry: MetricsRegistry, source: RingMetricsSource, now: () => number = Date.now): Histogram<'result'> {
  const backendUp = registry.gauge('maildirector_backend_up', 'Backend up (1) or down (0) in this director\'s effective ring.', ['backend']);
  const backendAdmin = registry.gauge('maildirector_backend_admin_state', 'Operator override of a backend (1 for the state in force).', ['backend', 'state']);
  const directors = registry.gauge('maildirector_ring_directors', 'Ring members by liveness as this director sees them (self counts as live).', ['state']);
  const peerUp = registry.gauge('maildirector_gossip_peer_up', 'Peer director heard from within dead_after (1) or not (0).', ['peer']);
  const linkOpen = registry.gauge('maildirector_gossip_link_open', 'This director\'s gossip link to the peer is open (1) or reconnecting (0).', ['peer']);
  const lag = registry.gauge('maildirector_gossip_peer_lag_seconds', 'Seconds since anything was heard from the peer (+Inf: never).', ['peer']);
  const clock = registry.gauge('maildirector_ring_state_version', 'Lamport clock of this director\'s ring state.');
  const batches = registry.counter('maildirector_gossip_messages_total', 'Gossip batches sent and received.', ['direction']);
  const entries = registry.counter('maildirector_gossip_entries_total', 'Ring entries sent and received in gossip batches.', ['direction']);
  const dropped = registry.counter('maildirector_gossip_dropped_total', 'Gossip messages or entries dropped as malformed.');
  const ackWait = registry.histogram(
    'maildirector_gossip_ack_duration_seconds',
    'Time from a local ring change until every live peer acknowledged it (result=all) or the wait timed out (partial).',
    ['result'],
  );

  registry.onCollect(() => {
    const list = source.backends();
    replaceAll(backendUp, list.map((b) => ({ labels: { backend: b.id }, value: b.up ? 1 : 0 })));
    replaceAll(backendAdmin, list.flatMap((b) => ADMIN_STATES.map((state) => ({ labels: { backend: b.id, state }, value: b.admin === state ? 1 : 0 }))));
    const peers = source.peers();
    const liveCount = peers.filter((p) => p.live).length + 1;
    replaceAll(directors, [
      { labels: { state: 'live' }, value: liveCount },
      { labels: { state: 'dead' }, value: peers.length + 1 - liveCount },
    ]);
    const t = now();
    replaceAll(peerUp, peers.map((p) => ({ labels: { peer: p.id }, value: p.live ? 1 : 0 })));
    replaceAll(linkOpen, peers.map((p) => ({ labels: { peer: p.id }, value: p.linkOpen ? 1 : 0 })));
    replaceAll(lag, peers.map((p) => ({ labels: { peer: p.id }, value: p.lastHeardMs > 0 ? Math.max(0, t - p.lastHeardMs) / 1000 : Infinity })));
    clock.set(source.clock());
    const s = source.stats();
    mirrorTotal(batches, [
      { labels: { direction: 'sent' }, total: s.batchesSent },
      { labels: { direction: 'received' }, total: s.batchesReceived },
    ]);
    mirrorTotal(entries, [
      { labels: { direction: 'sent' }, total: s.entriesSent },
      { labels: { direction: 'received' }, total: s.entriesReceived },
    ]);
    mirrorTotal(dropped, [{ labels: {}, total: s.malformed }]);
  });
  return ackWait;
}
