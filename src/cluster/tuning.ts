/** Timing and size knobs of the gossip layer; defaults meet I2 (2 s) and I3 (3 s) of docs/invariants.md on loopback. */
export interface GossipTuning {
  /** Send a heartbeat when a stream has been quiet this long. */
  readonly heartbeatMs: number;
  /** A peer not heard from for this long is dead; its links are re-opened. */
  readonly deadAfterMs: number;
  /** Entries per batch message. */
  readonly batchMaxEntries: number;
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
  /** How long an admin change waits for live peers' acks. */
  readonly applyTimeoutMs: number;
}

export const DEFAULT_GOSSIP_TUNING: GossipTuning = Object.freeze({
  heartbeatMs: 500,
  deadAfterMs: 2_000,
  batchMaxEntries: 1_000,
  backoffMinMs: 100,
  backoffMaxMs: 5_000,
  applyTimeoutMs: 5_000,
});
