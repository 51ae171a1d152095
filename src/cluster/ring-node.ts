import { grantsSuffice, inMinority } from './fencing.js';
import type { ClaimRequest, ClaimRequest__Output } from '../adapters/grpc/generated/maildirector/ring/v1/ClaimRequest.js';
import type { ClaimResponse } from '../adapters/grpc/generated/maildirector/ring/v1/ClaimResponse.js';
import type { Logger } from 'pino';
import { createRingClient, isUnimplemented, ringServiceBinding } from '../adapters/grpc/ring-transport.js';
import type { MutualTls } from '../adapters/grpc/security.js';
import type { GrpcServiceBinding } from '../adapters/grpc/server.js';
import { BackendRing } from '../ring/hash-ring.js';
import type { BackendSpec, RingPlacement } from '../ring/types.js';
import { backendHealth, canonicalCapabilities, commonCapabilities, RingState, RingStateError, seedEntries, VOLATILE_KINDS } from '../ring/state.js';
import type { AdminState, Capabilities, Placement, ProbedProtocol, RingEntry, RingSeed } from '../ring/state.js';
import { Gossip } from './gossip.js';
import type { ApplyOutcome, GossipStats } from './gossip.js';
import { loadStateFile, StateFileWriter } from './state-file.js';
import type { GossipTuning } from './tuning.js';

export type { ApplyOutcome };

/** How often old presence tombstones are collected (ring/state.ts collectGarbage). */
const GC_INTERVAL_MS = 60_000;

export interface RingNodeOptions {
  readonly selfId: string;
  /** Backends and directors from the cluster config; they only seed a ring that has no newer entries. */
  readonly seed: RingSeed;
  readonly vnodes: number;
  /** ring.placement; every director of a ring must use the same (the gossip Hello checks it). Default ketama. */
  readonly placement?: RingPlacement | undefined;
  /** The hash key template in force (ring.hash_key; SIGHUP may change it); default %u. */
  readonly hashKey?: (() => string) | undefined;
  /** JSON file keeping the state across restarts; undefined keeps it in memory only (tests). */
  readonly stateFile: string | undefined;
  /** mTLS for director links (both directions); undefined only on loopback tests. */
  readonly tls: MutualTls | undefined;
  /** Name the peers' certificates are checked against, when not their address host. */
  readonly tlsServerName?: string | undefined;
  readonly log: Logger;
  readonly tuning?: Partial<GossipTuning> | undefined;
  /** ring.tie_breaker: the director whose side wins an even split (cluster/fencing.ts). */
  readonly tieBreaker?: (() => string | undefined) | undefined;
  /** ring.directors[].dial: where to dial a member instead of its ring address. */
  readonly dial?: ReadonlyMap<string, string> | undefined;
  /** ring.gossip.presence_hold: how long a dead director's sessions and claims still count. */
  readonly presenceHoldMs?: number | undefined;
}

/** What a login's claim got from the ring (docs/ring-protocol.md). */
export type ClaimOutcome =
  | { readonly ok: true; readonly granted: readonly string[] }
  | { readonly ok: false; readonly granted: readonly string[]; readonly refusedBy?: string; readonly holder?: string; readonly holderHost?: string };

export type EntrySource = 'local' | 'remote';

/** Kinds of entry that change the effective BackendRing or the membership. */
const RING_KINDS: ReadonlySet<RingEntry['kind']> = new Set(['backend', 'admin', 'verdict', 'director']);

/**
 * One director's member of the ring: the replicated state, its file, the
 * gossip links and the effective BackendRing derived from them. The
 * composition root builds one, adds `grpcService()` to its gRPC server,
 * calls `start()`, and swaps its routing ring on `onRingChange`.
 */
export class RingNode {
  readonly state: RingState;
  readonly gossip: Gossip;
  readonly #opts: RingNodeOptions;
  readonly #log: Logger;
  readonly #writer: StateFileWriter | undefined;
  readonly #ringListeners = new Set<(ring: BackendRing) => void>();
  readonly #entryListeners = new Set<(changed: readonly RingEntry[], source: EntrySource) => void>();
  readonly #livenessListeners = new Set<(live: ReadonlySet<string>) => void>();
  #ring: BackendRing;
  #ringKey: string;
  #dirty = false;
  #recomputeScheduled = false;
  readonly #capabilities = new Map<ProbedProtocol, ReadonlySet<string> | undefined>();
  #closed = false;
  #gcTimer: NodeJS.Timeout | undefined;
  #kickHandler: ((user: string, reason: string, backendHost: string | undefined) => number) | undefined;
  #claimHandler: ((request: ClaimRequest__Output) => ClaimResponse) | undefined;

  constructor(opts: RingNodeOptions) {
    this.#opts = opts;
    this.#log = opts.log;
    const loaded = opts.stateFile === undefined ? undefined : loadStateFile(opts.stateFile);
    this.state = new RingState(opts.selfId);
    if (loaded !== undefined) {
      this.state.merge(loaded.state.entries);
      this.state.observe(loaded.state.clock);
      if (loaded.dropped > 0) this.#log.warn({ dropped: loaded.dropped }, 'ring state file: dropped unreadable entries');
    }
    this.state.merge(seedEntries(opts.seed));
    this.#writer =
      opts.stateFile === undefined
        ? undefined
        : new StateFileWriter(opts.stateFile, () => this.state.toJSON(), (err) => this.#log.error({ err }, 'could not save ring state'));
    this.#writer?.schedule();

    const tls = opts.tls;
    this.gossip = new Gossip({
      state: this.state,
      log: opts.log,
      tuning: opts.tuning,
      connect: (address) => createRingClient({ target: address, tls, tlsServerName: opts.tlsServerName }),
      onRemoteChange: (changed) => this.#changed(changed, 'remote'),
      onLivenessChange: (live) => {
        this.#capabilities.clear();
        this.#markDirty();
        for (const listener of this.#livenessListeners) listener(live);
      },
      onApply: (entries, timeoutMs) => this.applyEntries(entries, timeoutMs),
      onKick: (user, reason, backendHost) => this.#kickHandler?.(user, reason, backendHost) ?? 0,
      effectiveDown: () => new Set(this.ring().downNotPending()),
      placement: () => ({ placement: opts.placement ?? 'ketama', hashKey: opts.hashKey?.() ?? '%u' }),
      dial: opts.dial,
      // Refused until the director's claim table is wired in (cluster/claims.ts).
      onClaim: (request) => this.#claimHandler?.(request) ?? { granted: false, holder: this.state.selfId, holderHost: '' },
    });
    const { ring, key } = this.#build();
    this.#ring = ring;
    this.#ringKey = key;
  }

  /** Who ends this director's sessions when a peer asks (the Kick RPC); returns how many. */
  onKickRequest(handler: (user: string, reason: string, backendHost: string | undefined) => number): void {
    this.#kickHandler = handler;
  }

  /** The Ring gRPC service; serve it on the director's gRPC port (mTLS). */
  grpcService(): GrpcServiceBinding {
    return ringServiceBinding(this.gossip.handlers());
  }

  /** Dial every other member. Call once the gRPC server is listening. */
  start(): void {
    this.gossip.start();
    this.#gcTimer = setInterval(() => this.state.collectGarbage(), GC_INTERVAL_MS);
    this.#gcTimer.unref();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#gcTimer !== undefined) clearInterval(this.#gcTimer);
    this.gossip.stop();
    this.#writer?.flush();
  }

  /** The effective ring: live backends, down or pending per ring/state.ts backendHealth. */
  ring(): BackendRing {
    if (this.#dirty) this.#recompute();
    return this.#ring;
  }

  /** Called with each new BackendRing (after the change, coalesced per tick). Returns an unsubscribe. */
  onRingChange(listener: (ring: BackendRing) => void): () => void {
    this.#ringListeners.add(listener);
    return () => this.#ringListeners.delete(listener);
  }

  /** The set of live directors (self included) changed. */
  onLivenessChange(listener: (live: ReadonlySet<string>) => void): () => void {
    this.#livenessListeners.add(listener);
    return () => this.#livenessListeners.delete(listener);
  }

  /**
   * Fewer than a majority of the ring's members (this one included) are
   * live here: this director is cut off, and the others count it dead and
   * ignore its sessions. Never true for rings of one or two, where a
   * majority cannot survive any failure.
   */
  inMinority(): boolean {
    return inMinority(this.state.directors().map((d) => d.id), this.gossip.confirmed(), this.#opts.tieBreaker?.());
  }

  /**
   * Whether a director's sessions and claims still count here: it is live,
   * or was heard within ring.gossip.presence_hold. A director that went
   * silent may be paused or cut off with its backend connections still
   * open; its users stay where it put them until the hold is over, it comes
   * back and says otherwise, or it leaves the ring.
   */
  counts(directorId: string): boolean {
    if (directorId === this.state.selfId || this.gossip.live().has(directorId)) return true;
    const hold = this.#opts.presenceHoldMs ?? 0;
    return hold > 0 && Date.now() - this.gossip.lastHeard(directorId) <= hold && this.state.directors().some((d) => d.id === directorId);
  }

  /** Who answers peers' claims (the director's claim table, cluster/claims.ts). */
  setClaimHandler(handler: (request: ClaimRequest__Output) => ClaimResponse): void {
    this.#claimHandler = handler;
  }

  /**
   * Ask every other member to grant `user` on `host` (this director granted
   * it already): resolves ok as soon as the grants make a side that cannot be
   * fenced (cluster/fencing.ts grantsSuffice), not ok on the first refusal or
   * when the answers, or `timeoutMs`, are through without one.
   */
  claimRing(user: string, host: string, presenceCounter: number, timeoutMs: number): Promise<ClaimOutcome> {
    const self = this.state.selfId;
    const members = this.state.directors().map((d) => d.id);
    const granted = new Set([self]);
    const tie = this.#opts.tieBreaker?.();
    const suffices = (): boolean => grantsSuffice(members, granted, this.gossip.live(), tie);
    if (suffices()) return Promise.resolve({ ok: true, granted: [self] });
    const peers = members.filter((id) => id !== self);
    const request: ClaimRequest = { user, host, directorId: self, presenceCounter, release: false };
    return new Promise<ClaimOutcome>((resolve) => {
      let pending = peers.length;
      let done = false;
      const finish = (outcome: ClaimOutcome): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const timer = setTimeout(() => finish({ ok: false, granted: [...granted] }), timeoutMs);
      for (const id of peers) {
        this.gossip.claimPeer(id, request, timeoutMs).then(
          (answer) => {
            pending -= 1;
            if (answer.granted) {
              granted.add(id);
              if (suffices()) finish({ ok: true, granted: [...granted] });
            } else {
              finish({ ok: false, granted: [...granted], refusedBy: id, holder: answer.holder, holderHost: answer.holderHost });
            }
            if (pending === 0) finish({ ok: suffices(), granted: [...granted] });
          },
          (err: unknown) => {
            pending -= 1;
            // A director of an earlier version has no Claim RPC: during a
            // rolling upgrade it is counted as granting, which is what
            // logins had before claims existed (docs/ring-protocol.md).
            if (isUnimplemented(err)) {
              granted.add(id);
              if (suffices()) finish({ ok: true, granted: [...granted] });
            }
            if (pending === 0) finish({ ok: suffices(), granted: [...granted] });
          },
        );
      }
    });
  }

  /** Withdraw a claim that got no majority from the peers that may have granted it (best effort). */
  releaseClaim(user: string, host: string, presenceCounter: number, peers: readonly string[], timeoutMs: number): void {
    const self = this.state.selfId;
    // The claim's counter: a peer keeps a grant of a later claim this release overtook.
    const request: ClaimRequest = { user, host, directorId: self, presenceCounter, release: true };
    for (const id of peers) {
      if (id === self) continue;
      this.gossip.claimPeer(id, request, timeoutMs).catch(() => undefined);
    }
  }

  /** Every entry that changed the state, local or from a peer (moves, verdicts, ...). */
  onEntries(listener: (changed: readonly RingEntry[], source: EntrySource) => void): () => void {
    this.#entryListeners.add(listener);
    return () => this.#entryListeners.delete(listener);
  }

  live(): ReadonlySet<string> {
    return this.gossip.live();
  }

  stats(): GossipStats {
    return { ...this.gossip.stats };
  }

  /**
   * Pre-login capabilities every backend offered to the live directors'
   * probes. Asked for every client greeting, so kept until a verdict, a
   * backend, a member or liveness changes (computing it walks the state).
   */
  capabilities(protocol: ProbedProtocol): ReadonlySet<string> | undefined {
    if (this.#capabilities.has(protocol)) return this.#capabilities.get(protocol);
    const caps = commonCapabilities(this.state, this.gossip.live(), protocol);
    this.#capabilities.set(protocol, caps);
    return caps;
  }

  /** Operator moves in force (user → backend id). */
  moves(): ReadonlyMap<string, string> {
    return this.state.moves();
  }

  // --- probe verdicts (cluster/backend-probe.ts) ---

  /** Publish this director's verdict when it differs from the one in the state. */
  publishVerdict(backendId: string, down: boolean, capabilities: Capabilities): void {
    if (this.#closed) return;
    const current = this.state.verdict(this.state.selfId, backendId);
    if (
      current !== undefined &&
      current.down === down &&
      sameCapabilities(current.capabilities, capabilities)
    ) {
      return;
    }
    const entry = this.state.setVerdict(backendId, down, capabilities);
    this.#changed([entry], 'local');
  }

  // --- admin mutations: each resolves after local apply + live peers' acks ---

  addBackend(spec: BackendSpec, timeoutMs?: number): Promise<ApplyOutcome> {
    return this.#local(() => [this.state.setBackend(spec)], timeoutMs);
  }

  removeBackend(backendId: string, timeoutMs?: number): Promise<ApplyOutcome> {
    return this.#local(() => [this.state.removeBackend(backendId)], timeoutMs);
  }

  setWeight(backendId: string, weight: number, timeoutMs?: number): Promise<ApplyOutcome> {
    return this.#local(() => {
      const spec = this.state.backends().find((b) => b.id === backendId);
      if (spec === undefined) throw new RingStateError(`unknown backend "${backendId}"`);
      return [this.state.setBackend({ ...spec, weight })];
    }, timeoutMs);
  }

  /** 'down'/'up' override the probes until set back to 'none'. */
  setAdminState(backendId: string, state: AdminState, timeoutMs?: number): Promise<ApplyOutcome> {
    return this.#local(() => {
      if (!this.state.backends().some((b) => b.id === backendId)) throw new RingStateError(`unknown backend "${backendId}"`);
      return [this.state.setAdmin(backendId, state)];
    }, timeoutMs);
  }

  addDirector(directorId: string, address: string, timeoutMs?: number): Promise<ApplyOutcome> {
    return this.#local(() => [this.state.setDirector(directorId, address)], timeoutMs);
  }

  removeDirector(directorId: string, timeoutMs?: number): Promise<ApplyOutcome> {
    return this.#local(() => [this.state.setDirector(directorId, null)], timeoutMs);
  }

  /**
   * A ring-wide kick request: every director ends its sessions of `user` not
   * on `host` (app/moves.ts obeys it). null clears it.
   */
  moveUser(user: string, backendId: string | null, timeoutMs?: number, host?: string): Promise<ApplyOutcome> {
    return this.#local(() => [this.state.setMove(user, backendId, undefined, host)], timeoutMs);
  }

  /**
   * This director's live sessions of `user` (cluster/presence.ts). Volatile:
   * gossiped like any entry, never saved, and nobody waits for acks.
   */
  publishPresence(user: string, placements: readonly Placement[]): void {
    if (this.#closed) return;
    this.#changed([this.state.setPresence(user, placements)], 'local');
  }

  /**
   * Apply operator entries (the Ring.Apply RPC): each gets a fresh version
   * from this director, so a command always orders after everything this
   * director has seen, whatever version it came with.
   */
  applyEntries(entries: readonly RingEntry[], timeoutMs?: number): Promise<ApplyOutcome> {
    return this.#local(() => {
      const written: RingEntry[] = [];
      for (const e of entries) {
        if (e.kind === 'verdict') throw new RingStateError('verdicts come only from probes');
        const version = this.state.nextVersion();
        const entry: RingEntry = { ...e, version };
        this.state.merge([entry]);
        written.push(entry);
      }
      return written;
    }, timeoutMs);
  }

  async #local(write: () => RingEntry[], timeoutMs: number | undefined): Promise<ApplyOutcome> {
    if (this.#closed) throw new RingStateError('ring node is closed');
    const written = write();
    this.#changed(written, 'local');
    // Durable before anyone is told it happened.
    await this.#writer?.durable();
    const { ackedBy, notAcked } = await this.gossip.waitForPeers(timeoutMs ?? this.gossip.tuning.applyTimeoutMs);
    return { applied: written.length, ackedBy, notAcked };
  }

  #changed(changed: readonly RingEntry[], source: EntrySource): void {
    if (changed.length === 0) return;
    if (source === 'local') this.gossip.publish(changed);
    // Presence changes with every login: no disk write for those.
    if (changed.some((e) => !VOLATILE_KINDS.has(e.kind))) this.#writer?.schedule();
    let ringKinds = false;
    let members = false;
    for (const e of changed) {
      if (RING_KINDS.has(e.kind)) ringKinds = true;
      if (e.kind === 'director') members = true;
    }
    if (members) this.gossip.reconcileMembers();
    if (ringKinds) {
      this.#capabilities.clear();
      this.#markDirty();
    }
    for (const listener of this.#entryListeners) listener(changed, source);
  }

  #markDirty(): void {
    this.#dirty = true;
    if (this.#recomputeScheduled) return;
    this.#recomputeScheduled = true;
    setImmediate(() => {
      this.#recomputeScheduled = false;
      if (this.#dirty) this.#recompute();
    });
  }

  #recompute(): void {
    this.#dirty = false;
    const { ring, key } = this.#build();
    if (key === this.#ringKey) return;
    this.#ring = ring;
    this.#ringKey = key;
    this.#log.info(
      { backends: ring.backends().length, down: ring.downNotPending(), pending: [...ring.pending].sort() },
      'effective ring changed',
    );
    // Config check and `backend add` refuse these; a ring state from before the placement changed may still hold one.
    if (ring.unplaceable.length > 0) this.#log.error({ backends: ring.unplaceable, placement: ring.placement }, 'backends without an IP address take no users with this placement');
    for (const listener of this.#ringListeners) listener(ring);
  }

  #build(): { ring: BackendRing; key: string } {
    const backends = this.state.backends();
    const down = new Set<string>();
    const pending = new Set<string>();
    for (const [id, health] of backendHealth(this.state, this.gossip.live())) {
      if (health === 'down') down.add(id);
      else if (health === 'pending') pending.add(id);
    }
    const key = JSON.stringify([backends, [...down].sort(), [...pending].sort()]);
    return { ring: new BackendRing(backends, this.#opts.vnodes, down, pending, this.#opts.placement ?? 'ketama'), key };
  }
}

function sameCapabilities(a: Capabilities, b: Capabilities): boolean {
  return JSON.stringify(canonicalCapabilities(a)) === JSON.stringify(canonicalCapabilities(b));
}
