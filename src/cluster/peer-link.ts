import type { Logger } from 'pino';
import type { Entry__Output } from '../adapters/grpc/generated/maildirector/ring/v1/Entry.js';
import type { GossipMessage__Output } from '../adapters/grpc/generated/maildirector/ring/v1/GossipMessage.js';
import type { ClaimRequest } from '../adapters/grpc/generated/maildirector/ring/v1/ClaimRequest.js';
import type { ClaimResponse__Output } from '../adapters/grpc/generated/maildirector/ring/v1/ClaimResponse.js';
import type { GossipStream, RingPeerClient } from '../adapters/grpc/ring-transport.js';
import type { RingEntry } from '../ring/state.js';
import { entryKey } from '../ring/state.js';
import { placementMismatch, type PlacementSignature } from './placement-agreement.js';
import type { GossipTuning } from './tuning.js';
import { entryToWire } from './wire.js';

/** What a link needs from the gossip node that owns it. */
export interface LinkHost {
  readonly selfId: string;
  readonly tuning: GossipTuning;
  readonly log: Logger;
  clock(): number;
  /** This director's placement, sent in every Hello and checked against the peer's. */
  placement(): PlacementSignature;
  /** A peer whose placement differs (placement-agreement.ts): its link is refused. */
  refused(peerId: string, reason: string): void;
  /** The whole state, for the exchange when a link opens. */
  allEntries(): RingEntry[];
  observeClock(counter: number): void;
  heard(peerId: string): void;
  malformed(peerId: string, reason: string): void;
  countSent(batches: number, entries: number): void;
  /** A batch of the peer's whole state, answered on the stream we dialed; merged before the Ack. */
  mergeBatch(peerId: string, entries: readonly Entry__Output[]): void;
  /** The last batch of the peer's whole state was merged. */
  wholeStateMerged(peerId: string): void;
}

interface Awaiting {
  readonly seq: number;
  readonly resolve: (acked: boolean) => void;
}

/** A batch sent and not yet acknowledged, with when it left. */
interface InFlight {
  readonly seq: number;
  readonly sentAt: number;
}

/**
 * The stream this director dials to one peer: Hello (asking for the peer's
 * state), the whole state in FULL batches, then coalesced DELTA batches and
 * heartbeats. The peer answers Hello, its own whole state in FULL batches
 * (we Ack them), Acks and heartbeats. grpc-js re-opens nothing, so a failed
 * stream is re-opened here with exponential backoff and jitter; silence
 * longer than `deadAfterMs` counts as failure. `redial()` cuts the backoff
 * short when the peer shows it is back.
 *
 * A quiet link sends an empty DELTA batch instead of a heartbeat: the peer
 * acknowledges it, so `confirmedAt` tells when the peer last heard this
 * director for sure. Fencing counts those confirmations, not what this
 * director hears: a link that drops only our direction leaves us hearing
 * the peer while it counts us dead (docs/ring-protocol.md).
 */
export class PeerLink {
  readonly peerId: string;
  readonly address: string;
  readonly #host: LinkHost;
  readonly #newClient: () => RingPeerClient;
  #client: RingPeerClient;
  /** The next dial uses a new channel: the old one may sit in grpc-js's own reconnect backoff. */
  #renewClient = false;
  /** Pending entries by key: a burst of writes to one key sends only the last. */
  #queue = new Map<string, RingEntry>();
  #call: GossipStream | undefined;
  #open = false;
  #stopped = false;
  #blocked = false;
  #flushScheduled = false;
  #seq = 0;
  #ackedSeq = 0;
  #barriers: Array<(acked: boolean) => void> = [];
  #awaiting: Awaiting[] = [];
  #attempt = 0;
  #lastHeard = 0;
  #lastSent = 0;
  #inFlight: InFlight[] = [];
  #confirmedAt = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #beatTimer: NodeJS.Timeout | undefined;

  constructor(peerId: string, address: string, newClient: () => RingPeerClient, host: LinkHost) {
    this.peerId = peerId;
    this.address = address;
    this.#newClient = newClient;
    this.#client = newClient();
    this.#host = host;
  }

  /** The peer's Ring service, for the unary calls besides the gossip stream. */
  get client(): RingPeerClient {
    return this.#client;
  }

  /** Hello received on the current stream: the peer is taking our batches. */
  get isOpen(): boolean {
    return this.#open;
  }

  /** When the latest batch the peer acknowledged was sent (ms; 0: none yet). */
  get confirmedAt(): number {
    return this.#confirmedAt;
  }

  /** Ask the peer to grant a login's claim (cluster/claims.ts), on this link's channel. */
  claim(request: ClaimRequest, timeoutMs: number): Promise<ClaimResponse__Output> {
    return this.#client.claim(request, timeoutMs);
  }

  start(): void {
    this.#connect();
    // Half the heartbeat: an acknowledged beat leaves at most every heartbeat, so confirmations stay fresh.
    this.#beatTimer = setInterval(() => this.#tick(), Math.max(5, Math.floor(this.#host.tuning.heartbeatMs / 2)));
    this.#beatTimer.unref();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#beatTimer !== undefined) clearInterval(this.#beatTimer);
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#teardown();
    for (const resolve of this.#barriers) resolve(false);
    this.#barriers = [];
    this.#client.close();
  }

  /**
   * The peer dialed us, so it is up: if this link is waiting out a backoff,
   * dial now on a fresh channel instead of after up to `backoffMaxMs`. Called
   * once per incoming Hello, so two directors cannot ping-pong redials: a
   * dial already in flight is left alone (its failure retries quickly).
   */
  redial(): void {
    if (this.#stopped || this.#open) return;
    this.#attempt = 0;
    this.#renewClient = true;
    if (this.#retryTimer === undefined) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#connect();
  }

  enqueue(entries: readonly RingEntry[]): void {
    // While closed, the next open sends the whole state anyway.
    if (!this.#open) return;
    for (const e of entries) this.#queue.set(entryKey(e), e);
    this.#scheduleFlush();
  }

  /**
   * Resolves true once the peer has merged everything this director held
   * when called. While the link is (re)connecting the wait carries over: the
   * whole-state exchange on open covers it. Resolves false only on stop();
   * callers bound the wait with their own timeout.
   */
  waitAcked(): Promise<boolean> {
    if (this.#stopped) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      this.#barriers.push(resolve);
      this.#scheduleFlush();
    });
  }

  #connect(): void {
    if (this.#stopped) return;
    if (this.#renewClient) {
      this.#renewClient = false;
      this.#client.close();
      this.#client = this.#newClient();
    }
    const call = this.#client.openGossip();
    this.#call = call;
    this.#lastHeard = Date.now();
    // An unhandled 'error' on a stream crashes the process.
    call.on('error', (err: Error & { code?: number }) => this.#failed(call, `stream error: ${err.message.split('\n', 1)[0] ?? ''}`));
    call.on('end', () => this.#failed(call, 'stream ended by peer'));
    call.on('data', (msg: GossipMessage__Output) => this.#receive(call, msg));
    const { placement, hashKey } = this.#host.placement();
    this.#write({ hello: { directorId: this.#host.selfId, clock: this.#host.clock(), wantState: true, placement, hashKey } });
  }

  #receive(call: GossipStream, msg: GossipMessage__Output): void {
    if (call !== this.#call) return;
    switch (msg.body) {
      case 'hello': {
        const hello = msg.hello;
        if (hello == null || hello.directorId !== this.peerId) {
          this.#host.malformed(this.peerId, `hello from ${JSON.stringify(hello?.directorId ?? '').slice(0, 80)}`);
          this.#failed(call, 'peer answered with another director id');
          return;
        }
        const mismatch = placementMismatch(this.#host.placement(), hello);
        if (mismatch !== undefined) {
          this.#host.refused(this.peerId, mismatch);
          this.#failed(call, mismatch);
          return;
        }
        this.#host.observeClock(hello.clock);
        this.#heard();
        if (!this.#open) this.#opened();
        return;
      }
      case 'ack': {
        const seq = msg.ack?.seq;
        if (typeof seq !== 'number' || seq > this.#seq) {
          this.#host.malformed(this.peerId, 'ack for a batch never sent');
          return;
        }
        this.#heard();
        if (seq > this.#ackedSeq) this.#ackedSeq = seq;
        this.#confirm(seq);
        this.#settleAwaiting();
        return;
      }
      case 'batch': {
        // The peer's whole state, asked for in our Hello.
        const batch = msg.batch;
        if (!this.#open || batch == null || batch.seq < 1 || batch.kind !== 'BATCH_KIND_FULL') {
          this.#host.malformed(this.peerId, 'unexpected batch on dialed stream');
          return;
        }
        this.#heard();
        this.#host.mergeBatch(this.peerId, batch.entries);
        if (batch.lastOfFull) this.#host.wholeStateMerged(this.peerId);
        this.#write({ ack: { seq: batch.seq } });
        return;
      }
      case 'heartbeat':
        this.#heard();
        return;
      default:
        this.#host.malformed(this.peerId, 'unexpected message on dialed stream');
    }
  }

  #heard(): void {
    this.#lastHeard = Date.now();
    this.#host.heard(this.peerId);
  }

  /** Peer said Hello: send the whole state, then deltas. */
  #opened(): void {
    this.#open = true;
    this.#attempt = 0;
    this.#queue.clear();
    const all = this.#host.allEntries();
    const max = this.#host.tuning.batchMaxEntries;
    let sentBatches = 0;
    for (let i = 0; i === 0 || i < all.length; i += max) {
      const chunk = all.slice(i, i + max);
      this.#seq += 1;
      sentBatches += 1;
      const last = i + max >= all.length;
      const ok = this.#write({ batch: { seq: this.#seq, kind: 'BATCH_KIND_FULL', lastOfFull: last, entries: chunk.map(entryToWire) } });
      if (!ok) this.#waitDrain();
    }
    this.#host.countSent(sentBatches, all.length);
    this.#log().debug({ peer: this.peerId, entries: all.length, batches: sentBatches }, 'gossip link open, full state sent');
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#blocked || !this.#open) return;
    this.#flushScheduled = true;
    // setImmediate: writes made in the same tick travel in one batch.
    setImmediate(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    if (!this.#open || this.#blocked) return;
    const max = this.#host.tuning.batchMaxEntries;
    let batches = 0;
    let entries = 0;
    while (this.#queue.size > 0 && !this.#blocked) {
      const chunk: RingEntry[] = [];
      for (const [key, e] of this.#queue) {
        chunk.push(e);
        this.#queue.delete(key);
        if (chunk.length >= max) break;
      }
      this.#seq += 1;
      batches += 1;
      entries += chunk.length;
      if (!this.#write({ batch: { seq: this.#seq, kind: 'BATCH_KIND_DELTA', lastOfFull: false, entries: chunk.map(entryToWire) } })) {
        this.#waitDrain();
      }
    }
    if (batches > 0) this.#host.countSent(batches, entries);
    if (this.#queue.size === 0 && this.#barriers.length > 0) {
      // Everything held when the barriers were set is in batches up to #seq.
      for (const resolve of this.#barriers) this.#awaiting.push({ seq: this.#seq, resolve });
      this.#barriers = [];
      this.#settleAwaiting();
    }
  }

  #waitDrain(): void {
    const call = this.#call;
    if (call === undefined || this.#blocked) return;
    this.#blocked = true;
    call.once('drain', () => {
      if (call !== this.#call) return;
      this.#blocked = false;
      this.#scheduleFlush();
    });
  }

  #confirm(seq: number): void {
    let i = 0;
    while (i < this.#inFlight.length && (this.#inFlight[i]?.seq ?? Infinity) <= seq) {
      this.#confirmedAt = Math.max(this.#confirmedAt, this.#inFlight[i]?.sentAt ?? 0);
      i += 1;
    }
    if (i > 0) this.#inFlight.splice(0, i);
  }

  #settleAwaiting(): void {
    if (this.#awaiting.length === 0) return;
    const still: Awaiting[] = [];
    for (const a of this.#awaiting) {
      if (a.seq <= this.#ackedSeq) a.resolve(true);
      else still.push(a);
    }
    this.#awaiting = still;
  }

  #write(msg: Parameters<GossipStream['write']>[0]): boolean {
    const call = this.#call;
    if (call === undefined) return true;
    this.#lastSent = Date.now();
    const seq = Number(msg.batch?.seq ?? 0);
    if (seq > 0) {
      this.#inFlight.push({ seq, sentAt: this.#lastSent });
      // A peer that never acknowledges must not grow this without bound.
      if (this.#inFlight.length > 10_000) this.#inFlight.splice(0, this.#inFlight.length - 10_000);
    }
    return call.write(msg);
  }

  #tick(): void {
    if (this.#call === undefined) return;
    const now = Date.now();
    if (now - this.#lastHeard > this.#host.tuning.deadAfterMs) {
      this.#failed(this.#call, 'heartbeat timeout');
      return;
    }
    if (this.#open && !this.#blocked && this.#queue.size === 0 && now - this.#lastSent >= this.#host.tuning.heartbeatMs / 2) {
      this.#seq += 1;
      this.#write({ batch: { seq: this.#seq, kind: 'BATCH_KIND_DELTA', lastOfFull: false, entries: [] } });
    }
  }

  #failed(call: GossipStream, reason: string): void {
    if (call !== this.#call) return;
    const wasOpen = this.#open;
    this.#teardown();
    if (this.#stopped) return;
    const { backoffMinMs, backoffMaxMs } = this.#host.tuning;
    const ceiling = Math.min(backoffMaxMs, backoffMinMs * 2 ** this.#attempt);
    // Equal jitter: never a hot loop, and peers that lost the same director spread out.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    const level = wasOpen ? 'warn' : 'debug';
    this.#log()[level]({ peer: this.peerId, reason, retryInMs: Math.round(delay) }, 'gossip link down');
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#connect();
    }, delay);
    this.#retryTimer.unref();
  }

  #teardown(): void {
    const call = this.#call;
    this.#call = undefined;
    this.#open = false;
    this.#blocked = false;
    this.#queue.clear();
    this.#seq = 0;
    this.#ackedSeq = 0;
    this.#inFlight = [];
    // Unacknowledged waits move back to barriers: the next open's full state satisfies them.
    for (const a of this.#awaiting) this.#barriers.push(a.resolve);
    this.#awaiting = [];
    if (call !== undefined) {
      // Keep the error listener: cancel() makes grpc-js emit a CANCELLED error.
      call.removeAllListeners('data');
      call.removeAllListeners('end');
      call.cancel();
    }
  }

  #log(): Logger {
    return this.#host.log;
  }
}
