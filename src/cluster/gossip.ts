import { status as grpcStatus } from '@grpc/grpc-js';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { ClaimRequest, ClaimRequest__Output } from '../adapters/grpc/generated/maildirector/ring/v1/ClaimRequest.js';
import type { ClaimResponse, ClaimResponse__Output } from '../adapters/grpc/generated/maildirector/ring/v1/ClaimResponse.js';
import type { Entry__Output } from '../adapters/grpc/generated/maildirector/ring/v1/Entry.js';
import type { GossipMessage, GossipMessage__Output } from '../adapters/grpc/generated/maildirector/ring/v1/GossipMessage.js';
import { peerCertificateNames } from '../adapters/grpc/peer-certificate.js';
import type { RingHandlers, RingPeerClient } from '../adapters/grpc/ring-transport.js';
import type { RingEntry, RingState } from '../ring/state.js';
import { PeerLink } from './peer-link.js';
import { placementMismatch, type PlacementSignature } from './placement-agreement.js';
import type { LinkHost } from './peer-link.js';
import type { GossipTuning } from './tuning.js';
import { DEFAULT_GOSSIP_TUNING } from './tuning.js';
import { entryFromWire, entryToWire } from './wire.js';

/*
 * DESIGN NOTE: liveness and the down rule.
 * A peer is live while this director has heard anything from it (on the
 * stream it dialed to us, or on ours to it) within `deadAfterMs`. The live
 * set feeds ring/state.ts effectiveDown: only live directors' probe verdicts
 * vote. Liveness is a local view, so two directors can briefly disagree on
 * it after a crash; both views converge within `deadAfterMs`, and during that
 * window the dead director's last verdicts are the only difference.
 */

export interface GossipStats {
  /** Messages or entries dropped as malformed. */
  malformed: number;
  batchesSent: number;
  entriesSent: number;
  batchesReceived: number;
  entriesReceived: number;
}

export interface GossipOptions {
  readonly state: RingState;
  readonly log: Logger;
  /** A client for a peer's Ring service at `address` (mTLS is the factory's business). */
  readonly connect: (address: string) => RingPeerClient;
  readonly tuning?: Partial<GossipTuning>;
  /** Entries from peers that changed the state. */
  readonly onRemoteChange: (changed: RingEntry[]) => void;
  /** The live set changed (ids, self included). */
  readonly onLivenessChange: (live: ReadonlySet<string>) => void;
  /**
   * An operator change arriving by the Apply RPC: apply it locally (with this
   * director's versions) and resolve once live peers acknowledged.
   */
  readonly onApply: (entries: RingEntry[], timeoutMs: number) => Promise<ApplyOutcome>;
  /** Backend ids the effective ring treats as down, pending ones left out (for Snapshot). */
  readonly effectiveDown: () => ReadonlySet<string>;
  /** A peer's ring-wide kick (the Kick RPC): end this director's sessions of the user; how many. */
  readonly onKick?: (user: string, reason: string, backendHost: string | undefined) => number;
  /** This director's placement (placement-agreement.ts); default ketama with hash key %u. */
  readonly placement?: (() => PlacementSignature) | undefined;
  /** Where to dial a member instead of its ring address (ring.directors[].dial). */
  readonly dial?: ReadonlyMap<string, string>;
  /** A peer's login claim (the Claim RPC), from the director its certificate names. */
  readonly onClaim?: (request: ClaimRequest__Output) => ClaimResponse;
}

/** One live peer's answer to a ring-wide kick. */
export interface PeerKick {
  readonly directorId: string;
  /** undefined: it did not answer in time (or refused). */
  readonly kicked: number | undefined;
}

const DEFAULT_PLACEMENT: PlacementSignature = Object.freeze({ placement: 'ketama', hashKey: '%u' });

export interface ApplyOutcome {
  readonly applied: number;
  readonly ackedBy: readonly string[];
  readonly notAcked: readonly string[];
}

type IncomingCall = ServerDuplexStream<GossipMessage__Output, GossipMessage>;

/** What the server side of one incoming stream remembers. */
interface Incoming {
  readonly call: IncomingCall;
  readonly write: (msg: GossipMessage) => void;
  peerId: string | undefined;
  /** Last FULL batch we sent on this stream (answering `want_state`). */
  sentSeq: number;
}

/**
 * Full-mesh gossip: one PeerLink dialed to every other ring member, and the
 * server side of the links the others dial to us. Entries that change our
 * state are passed on to every link (so one broken link between two
 * directors is bridged by a third); entries that change nothing stop there.
 */
export class Gossip {
  readonly tuning: GossipTuning;
  readonly stats: GossipStats = { malformed: 0, batchesSent: 0, entriesSent: 0, batchesReceived: 0, entriesReceived: 0 };
  readonly #opts: GossipOptions;
  readonly #state: RingState;
  readonly #log: Logger;
  readonly #links = new Map<string, PeerLink>();
  readonly #incoming = new Set<IncomingCall>();
  readonly #ackWaitListeners = new Set<(ms: number, allAcked: boolean) => void>();
  readonly #heard = new Map<string, number>();
  readonly #startedAt = Date.now();
  #live: ReadonlySet<string>;
  #confirmed: ReadonlySet<string>;
  /** Peers whose whole state (the FULL batches of a link's opening) was merged since this director started. */
  readonly #wholeStateFrom = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #malformedLoggedAt = 0;
  readonly #refusedLoggedAt = new Map<string, number>();
  readonly #linkHost: LinkHost;

  constructor(opts: GossipOptions) {
    this.#opts = opts;
    this.#state = opts.state;
    this.#log = opts.log;
    this.tuning = Object.freeze({ ...DEFAULT_GOSSIP_TUNING, ...opts.tuning });
    this.#live = new Set([opts.state.selfId]);
    this.#confirmed = this.#live;
    this.#linkHost = {
      selfId: opts.state.selfId,
      tuning: this.tuning,
      log: opts.log,
      clock: () => this.#state.clock,
      placement: () => this.#placement(),
      refused: (peerId, reason) => this.#refused(peerId, reason),
      allEntries: () => this.#state.sortedEntries(),
      observeClock: (counter) => this.#state.observe(counter),
      heard: (peerId) => this.#markHeard(peerId),
      malformed: (peerId, reason) => this.#countMalformed(peerId, reason),
      countSent: (batches, entries) => {
        this.stats.batchesSent += batches;
        this.stats.entriesSent += entries;
      },
      wholeStateMerged: (peerId) => this.#wholeStateFrom.add(peerId),
      mergeBatch: (peerId, entries) => {
        try {
          this.#mergeWire(peerId, entries);
        } catch (err) {
          // Whatever a peer sends, the director stays up.
          this.#countMalformed(peerId, err instanceof Error ? err.message : 'merge threw');
        }
      },
    };
  }

  get selfId(): string {
    return this.#state.selfId;
  }

  start(): void {
    this.reconcileMembers();
    this.#timer = setInterval(() => this.#recheckLiveness(), Math.max(50, Math.floor(this.tuning.heartbeatMs / 2)));
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    for (const link of this.#links.values()) link.stop();
    this.#links.clear();
    for (const call of this.#incoming) call.end();
    this.#incoming.clear();
  }

  /** Director ids heard from within deadAfterMs, self included. */
  live(): ReadonlySet<string> {
    return this.#live;
  }

  /**
   * Director ids that acknowledged a batch of ours sent within
   * deadAfterMs - heartbeatMs / 2, self included: peers that still count
   * this director live for at least that much longer (PeerLink). Fencing
   * asks this, not live(): hearing a peer does not mean it hears us.
   */
  confirmed(): ReadonlySet<string> {
    return this.#confirmed;
  }

  /** Whether the whole state of every other member has been merged here since this director started. */
  hasWholeStateOfAll(): boolean {
    return this.#state.directors().every((d) => d.id === this.selfId || this.#wholeStateFrom.has(d.id));
  }

  /** When a director was last heard from (ms); before anything was heard, when this node started. */
  lastHeard(directorId: string): number {
    return this.#heard.get(directorId) ?? this.#startedAt;
  }

  /** Ask one member to grant a claim; rejects when there is no link to it or the call fails. */
  claimPeer(directorId: string, request: ClaimRequest, timeoutMs: number): Promise<ClaimResponse__Output> {
    const link = this.#links.get(directorId);
    if (link === undefined) return Promise.reject(new Error(`no link to ${directorId}`));
    return link.claim(request, timeoutMs);
  }

  peers(): Array<{ id: string; live: boolean; lastHeardMs: number; linkOpen: boolean }> {
    return this.#state
      .directors()
      .filter((d) => d.id !== this.selfId)
      .map((d) => ({
        id: d.id,
        live: this.#live.has(d.id),
        lastHeardMs: this.#heard.get(d.id) ?? 0,
        linkOpen: this.#links.get(d.id)?.isOpen ?? false,
      }));
  }

  /** Open links to new members, close links to removed ones, re-dial moved ones. */
  reconcileMembers(): void {
    if (this.#stopped) return;
    const members = new Map(this.#state.directors().map((d) => [d.id, this.#opts.dial?.get(d.id) ?? d.address]));
    for (const [id, link] of this.#links) {
      if (members.get(id) !== link.address) {
        link.stop();
        this.#links.delete(id);
      }
    }
    for (const [id, address] of members) {
      if (id === this.selfId || this.#links.has(id)) continue;
      const link = new PeerLink(id, address, () => this.#opts.connect(address), this.#linkHost);
      this.#links.set(id, link);
      link.start();
    }
    this.#recheckLiveness();
  }

  /** Send entries that changed our state to every peer. */
  publish(entries: readonly RingEntry[]): void {
    if (entries.length === 0) return;
    for (const link of this.#links.values()) link.enqueue(entries);
  }

  /** Told how long each waitForPeers with live peers took, and whether all of them acked (metrics). */
  onAckWait(listener: (ms: number, allAcked: boolean) => void): () => void {
    this.#ackWaitListeners.add(listener);
    return () => this.#ackWaitListeners.delete(listener);
  }

  /**
   * Wait until every live peer acknowledged all it was sent up to now.
   * Peers that are not live are not waited for: they get the whole state
   * when their link opens again.
   */
  async waitForPeers(timeoutMs: number): Promise<{ ackedBy: string[]; notAcked: string[] }> {
    const started = Date.now();
    const waiting = [...this.#links].filter(([id]) => this.#live.has(id));
    const acked = new Set<string>();
    const waits = waiting.map(([id, link]) =>
      link.waitAcked().then((ok) => {
        if (ok) acked.add(id);
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.all(waits), timeout]);
    clearTimeout(timer);
    const ids = waiting.map(([id]) => id).sort();
    if (ids.length > 0) for (const listener of this.#ackWaitListeners) listener(Date.now() - started, acked.size === ids.length);
    return { ackedBy: ids.filter((id) => acked.has(id)), notAcked: ids.filter((id) => !acked.has(id)) };
  }

  /** Ask every live peer to end its sessions of `user` (an operator's ring-wide kick). */
  async kickOnPeers(user: string, reason: string, backendHost: string | undefined, timeoutMs: number): Promise<PeerKick[]> {
    const asks = [...this.#links]
      .filter(([id]) => this.#live.has(id))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(async ([id, link]): Promise<PeerKick> => {
        try {
          const r = await link.client.kick({ user, reason, backendHost: backendHost ?? '' }, timeoutMs);
          return { directorId: id, kicked: r.kicked };
        } catch (err: unknown) {
          this.#opts.log.warn({ peer: id, user, err }, 'ring-wide kick: peer did not answer');
          return { directorId: id, kicked: undefined };
        }
      });
    return Promise.all(asks);
  }

  /** Handlers of the Ring service, for the director's gRPC server. */
  handlers(): RingHandlers {
    return {
      Gossip: (call: IncomingCall) => this.#serveGossip(call),
      Apply: (call, callback) => {
        const entries: RingEntry[] = [];
        for (const wire of call.request.entries) {
          const entry = entryFromWire(wire);
          if (entry === undefined || entry.kind === 'verdict') {
            callback({ code: grpcStatus.INVALID_ARGUMENT, details: 'malformed entry (verdicts come only from probes)' });
            return;
          }
          entries.push(entry);
        }
        const timeoutMs = call.request.timeoutMs > 0 ? call.request.timeoutMs : this.tuning.applyTimeoutMs;
        this.#opts.onApply(entries, timeoutMs).then(
          (outcome) => callback(null, { applied: outcome.applied, ackedBy: [...outcome.ackedBy], notAcked: [...outcome.notAcked] }),
          (err: unknown) => callback({ code: grpcStatus.INTERNAL, details: err instanceof Error ? err.message : 'apply failed' }),
        );
      },
      Kick: (call, callback) => {
        const { user, reason, backendHost } = call.request;
        if (user === '' || this.#opts.onKick === undefined) {
          callback({ code: grpcStatus.INVALID_ARGUMENT, details: user === '' ? 'user is required' : 'this director takes no kicks' });
          return;
        }
        try {
          callback(null, { kicked: this.#opts.onKick(user, reason, backendHost === '' ? undefined : backendHost) });
        } catch (err: unknown) {
          callback({ code: grpcStatus.INTERNAL, details: err instanceof Error ? err.message : 'kick failed' });
        }
      },
      Claim: (call, callback) => {
        const req = call.request;
        const certified = peerCertificateNames(call);
        const id = req.directorId;
        if (id === '' || id === this.selfId || (certified !== undefined && !certified.includes(id) && !certified.includes(`director-${id}`))) {
          callback({ code: grpcStatus.PERMISSION_DENIED, details: 'claims come only from ring members, in their own name' });
          return;
        }
        if (req.user === '' || req.host === '' || this.#opts.onClaim === undefined) {
          callback({ code: grpcStatus.INVALID_ARGUMENT, details: 'a claim needs a user and a host' });
          return;
        }
        this.#markHeard(id);
        callback(null, this.#opts.onClaim({ ...req, directorId: id }));
      },
      Snapshot: (_call, callback) => {
        callback(null, {
          directorId: this.selfId,
          clock: this.#state.clock,
          entries: this.#state.sortedEntries().map(entryToWire),
          peers: this.peers().map((p) => ({ directorId: p.id, live: p.live, lastHeardMs: p.lastHeardMs })),
          down: [...this.#opts.effectiveDown()].sort(),
        });
      },
    };
  }

  #serveGossip(call: IncomingCall): void {
    this.#incoming.add(call);
    let lastSent = Date.now();
    const write = (msg: GossipMessage): void => {
      lastSent = Date.now();
      call.write(msg);
    };
    const stream: Incoming = { call, write, peerId: undefined, sentSeq: 0 };
    const beat = setInterval(() => {
      if (Date.now() - lastSent >= this.tuning.heartbeatMs) write({ heartbeat: { sentAtMs: Date.now() } });
    }, this.tuning.heartbeatMs);
    beat.unref();
    const done = (): void => {
      clearInterval(beat);
      this.#incoming.delete(call);
    };
    // An unhandled 'error' on a stream crashes the process.
    call.on('error', (err: Error) => {
      this.#log.debug({ peer: stream.peerId, err }, 'incoming gossip stream error');
      done();
    });
    call.on('cancelled', done);
    call.on('end', () => {
      done();
      call.end();
    });
    call.on('data', (msg: GossipMessage__Output) => {
      try {
        this.#receiveIncoming(stream, msg);
      } catch (err) {
        // Whatever a peer sends, the director stays up.
        this.#countMalformed(stream.peerId ?? '?', err instanceof Error ? err.message : 'handler threw');
      }
    });
  }

  #receiveIncoming(stream: Incoming, msg: GossipMessage__Output): void {
    const { call, write } = stream;
    const peerId = stream.peerId;
    if (msg.body === 'hello') {
      const id = msg.hello?.directorId;
      if (typeof id !== 'string' || id === '' || id.length > 256 || id === this.selfId || (peerId !== undefined && id !== peerId)) {
        this.#countMalformed(peerId ?? '?', 'bad hello');
        call.end();
        return;
      }
      const certified = peerCertificateNames(call);
      if (certified !== undefined && !certified.includes(id) && !certified.includes(`director-${id}`)) {
        // Any certificate of the ring's CA (an admin's, another director's) must not speak for a director.
        this.#countMalformed(id, `hello as ${id} from a certificate for ${certified.join(', ') || 'nobody'}`);
        call.end();
        return;
      }
      const ours = this.#placement();
      const mismatch = placementMismatch(ours, msg.hello ?? { placement: '', hashKey: '' });
      if (mismatch !== undefined) {
        // Not answered and not heard: the peer never counts as live here.
        this.#refused(id, mismatch);
        call.end();
        return;
      }
      this.#state.observe(msg.hello?.clock ?? 0);
      write({ hello: { directorId: this.selfId, clock: this.#state.clock, placement: ours.placement, hashKey: ours.hashKey } });
      stream.peerId = id;
      this.#markHeard(id);
      if (peerId === undefined && msg.hello?.wantState === true) this.#sendFullState(stream);
      // It dialed us, so it is up: our own link to it need not wait out its backoff.
      this.#links.get(id)?.redial();
      return;
    }
    if (peerId === undefined) {
      this.#countMalformed('?', `${msg.body ?? 'empty'} before hello`);
      return;
    }
    this.#markHeard(peerId);
    switch (msg.body) {
      case 'batch': {
        const batch = msg.batch;
        if (batch == null || batch.seq < 1) {
          this.#countMalformed(peerId, 'batch without seq');
          return;
        }
        this.#mergeWire(peerId, batch.entries);
        if (batch.kind === 'BATCH_KIND_FULL' && batch.lastOfFull) this.#wholeStateFrom.add(peerId);
        write({ ack: { seq: batch.seq } });
        return;
      }
      case 'ack': {
        // Acks for the FULL batches answering want_state; nothing waits on them.
        const seq = msg.ack?.seq;
        if (typeof seq !== 'number' || seq < 1 || seq > stream.sentSeq) this.#countMalformed(peerId, 'ack for a batch never sent');
        return;
      }
      case 'heartbeat':
        return;
      default:
        this.#countMalformed(peerId, `unexpected ${msg.body ?? 'empty'} message`);
    }
  }

  /** Our whole state on an incoming stream, in FULL batches: the dialer catches up on this stream alone. */
  #sendFullState(stream: Incoming): void {
    const all = this.#state.sortedEntries();
    const max = this.tuning.batchMaxEntries;
    let batches = 0;
    for (let i = 0; i === 0 || i < all.length; i += max) {
      stream.sentSeq += 1;
      batches += 1;
      const chunk = all.slice(i, i + max);
      stream.write({ batch: { seq: stream.sentSeq, kind: 'BATCH_KIND_FULL', lastOfFull: i + max >= all.length, entries: chunk.map(entryToWire) } });
    }
    this.stats.batchesSent += batches;
    this.stats.entriesSent += all.length;
  }

  /** Merge a peer's batch; entries that changed our state go on to every link and to the owner. */
  #mergeWire(peerId: string, wireEntries: readonly Entry__Output[]): void {
    const entries: RingEntry[] = [];
    let bad = 0;
    for (const wire of wireEntries) {
      const entry = entryFromWire(wire);
      if (entry === undefined) bad += 1;
      else entries.push(entry);
    }
    if (bad > 0) this.#countMalformed(peerId, `${bad} malformed entries in a batch`, bad);
    this.stats.batchesReceived += 1;
    this.stats.entriesReceived += wireEntries.length;
    const { changed } = this.#state.merge(entries);
    if (changed.length > 0) {
      this.publish(changed);
      this.#opts.onRemoteChange(changed);
    }
  }

  #countMalformed(peerId: string, reason: string, count = 1): void {
    this.stats.malformed += count;
    const now = Date.now();
    // Rate-limited: a peer sending garbage must not flood the log either.
    if (now - this.#malformedLoggedAt > 5_000) {
      this.#malformedLoggedAt = now;
      this.#log.warn({ peer: peerId, reason, malformedTotal: this.stats.malformed }, 'dropped malformed gossip');
    }
  }

  #placement(): PlacementSignature {
    return this.#opts.placement?.() ?? DEFAULT_PLACEMENT;
  }

  /** Logged as an error once a minute per peer: an operator has two configs to bring in line. */
  #refused(peerId: string, reason: string): void {
    const now = Date.now();
    if (now - (this.#refusedLoggedAt.get(peerId) ?? 0) < 60_000) return;
    this.#refusedLoggedAt.set(peerId, now);
    this.#log.error({ peer: peerId, reason }, 'gossip link refused: directors of one ring must place users alike');
  }

  #markHeard(peerId: string): void {
    this.#heard.set(peerId, Date.now());
    if (!this.#live.has(peerId)) this.#recheckLiveness();
  }

  #recheckLiveness(): void {
    const now = Date.now();
    const live = new Set([this.selfId]);
    const confirmed = new Set([this.selfId]);
    const fenceAfter = this.tuning.deadAfterMs - this.tuning.heartbeatMs / 2;
    for (const d of this.#state.directors()) {
      const last = this.#heard.get(d.id);
      if (last !== undefined && now - last <= this.tuning.deadAfterMs) live.add(d.id);
      const at = this.#links.get(d.id)?.confirmedAt ?? 0;
      if (at > 0 && now - at <= fenceAfter) confirmed.add(d.id);
    }
    const before = this.#live;
    const confirmedBefore = this.#confirmed;
    const confirmedSame = confirmed.size === confirmedBefore.size && [...confirmed].every((id) => confirmedBefore.has(id));
    if (!confirmedSame) this.#confirmed = confirmed;
    if (live.size === before.size && [...live].every((id) => before.has(id))) {
      if (!confirmedSame) this.#opts.onLivenessChange(before);
      return;
    }
    for (const id of before) if (!live.has(id)) this.#log.warn({ peer: id }, 'director marked dead (heartbeat timeout)');
    for (const id of live) if (!before.has(id) && id !== this.selfId) this.#log.info({ peer: id }, 'director live');
    this.#live = live;
    this.#opts.onLivenessChange(live);
  }
}
