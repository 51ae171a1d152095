import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { LoginFailure } from '../../core/failure.js';
import { PROTOCOLS, type Protocol } from '../../core/protocol.js';
import type { AuthPenalty } from '../../auth/penalty.js';
import type { BackendRing } from '../../ring/hash-ring.js';
import type { LiveSession, SessionInfo } from '../../session/registry.js';
import type { PresenceRegistry } from '../presence-registry.js';
import type { MoveCoordinator } from '../moves.js';
import { TICKET_KEYS_ENV, ticketKeysHex } from '../../net/server-tls.js';
import type { MetricsSnapshot } from '../../adapters/metrics/metrics.js';
import { parseFromWorker, type FromWorker, type RingSnapshot, type ToWorker } from './messages.js';

export interface WorkerHubOptions {
  readonly count: number;
  /** The primary's registry: every worker's sessions are mirrored into it. */
  readonly registry: PresenceRegistry;
  readonly moves: MoveCoordinator;
  readonly ring: () => BackendRing;
  readonly capabilities: (protocol: Protocol) => ReadonlySet<string> | undefined;
  /** The director's auth penalty table, asked and fed by every worker's logins. */
  readonly penalty: AuthPenalty;
  readonly onLoginResult: (protocol: Protocol, result: string) => void;
  readonly log: Logger;
}

/** A worker's session as the primary's registry (who, kick, presence) sees it. */
class WorkerSession implements LiveSession {
  readonly #info: SessionInfo;
  readonly #worker: Worker;

  constructor(info: SessionInfo, worker: Worker) {
    this.#info = info;
    this.#worker = worker;
  }

  /** As reported when relaying began (byte counts are the worker's). */
  info(): SessionInfo {
    return this.#info;
  }

  kick(reason: string): void {
    send(this.#worker, { t: 'kick', sessionId: this.#info.sessionId, reason });
  }
}

function send(worker: Worker, message: ToWorker): void {
  if (worker.isConnected()) worker.send(message);
}

/**
 * The primary's side of a multi-worker director: forks the workers (they
 * share the mail ports through node's cluster module), keeps them supplied
 * with the ring, answers their placement questions from the ring-wide
 * presence, mirrors their sessions into this process's registry, and
 * replaces a worker that dies.
 */
export class WorkerHub {
  readonly #opts: WorkerHubOptions;
  readonly #sessionsOf = new Map<Worker, Set<string>>();
  #lastSnapshot = '';
  #capsTimer: NodeJS.Timeout | undefined;
  #stopping = false;
  #nextMetricsId = 1;
  readonly #metricsWaits = new Map<number, (metrics: MetricsSnapshot) => void>();

  constructor(opts: WorkerHubOptions) {
    this.#opts = opts;
  }

  /** Forks the workers and resolves with the ports they bound once all are ready. */
  async start(): Promise<Map<string, number>> {
    // The kernel hands connections to the workers directly: with node's
    // default round robin the primary accepts every one and passes it on.
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    const ready: Array<Promise<Record<string, number>>> = [];
    for (let i = 0; i < this.#opts.count; i++) ready.push(this.#fork(i));
    const ports = await Promise.all(ready);
    // Capabilities arrive with probe verdicts, not ring changes: check them once a second.
    this.#capsTimer = setInterval(() => this.pushRing(), 1000);
    this.#capsTimer.unref();
    return new Map(Object.entries(ports[0] ?? {}));
  }

  #fork(index: number): Promise<Record<string, number>> {
    // The same ticket keys in every worker: a client resumes whichever worker it reaches.
    const worker = cluster.fork({ MAIL_DIRECTOR_WORKER: String(index), [TICKET_KEYS_ENV]: ticketKeysHex() });
    this.#sessionsOf.set(worker, new Set());
    return new Promise((resolve, reject) => {
      let isReady = false;
      worker.on('message', (raw: unknown) => {
        const message = parseFromWorker(raw);
        if (message === undefined) {
          this.#opts.log.warn({ worker: index }, 'ignoring a malformed message from a worker');
          return;
        }
        if (message.t === 'ready') {
          isReady = true;
          resolve(message.ports);
          return;
        }
        this.#handle(worker, message);
      });
      worker.on('exit', (code, signal) => {
        this.#forget(worker);
        if (!isReady) {
          reject(new Error(`worker ${index} exited before it was ready (code ${code}, signal ${signal})`));
          return;
        }
        if (this.#stopping) return;
        this.#opts.log.error({ worker: index, code, signal }, 'worker died; starting a new one');
        this.#fork(index).catch((err: unknown) => this.#opts.log.error({ err, worker: index }, 'could not restart a worker'));
      });
    });
  }

  #handle(worker: Worker, message: FromWorker): void {
    const registry = this.#opts.registry;
    switch (message.t) {
      case 'add':
        this.#sessionsOf.get(worker)?.add(message.info.sessionId);
        registry.add(new WorkerSession(message.info, worker));
        this.#opts.onLoginResult(message.info.protocol, 'ok');
        return;
      case 'remove':
        this.#sessionsOf.get(worker)?.delete(message.sessionId);
        registry.remove(message.sessionId);
        return;
      case 'login':
        this.#opts.onLoginResult(message.protocol, message.result);
        return;
      case 'auth':
        this.#opts.penalty.record(message.ip, message.ok);
        return;
      case 'ask':
        if (message.q === 'penalty') {
          send(worker, { t: 'reply', id: message.id, value: this.#opts.penalty.delayMs(message.ip) });
          return;
        }
        if (message.q === 'sticky') {
          send(worker, { t: 'reply', id: message.id, value: this.#opts.moves.sticky(message.user, message.tag)?.id ?? null });
          return;
        }
        this.#exclusive(worker, message.id, message.user, message.host, message.backendId, message.sessionId);
        return;
      case 'hello':
        send(worker, { t: 'ring', ring: this.#snapshot() });
        return;
      case 'metrics':
        this.#metricsWaits.get(message.id)?.(message.metrics);
        this.#metricsWaits.delete(message.id);
        return;
      case 'ready':
        return;
    }
  }

  #exclusive(worker: Worker, id: number, user: string, host: string, backendId: string | null, sessionId: string): void {
    const backend = backendId === null ? undefined : this.#opts.ring().backend(backendId);
    const destination = { host, port: 0, backend };
    // The claim made when the wait ends is this worker's until it says the session is gone (or dies).
    this.#sessionsOf.get(worker)?.add(sessionId);
    this.#opts.moves.awaitExclusive(user, destination, this.#opts.log, sessionId).then(
      (waited) => send(worker, { t: 'reply', id, value: waited }),
      (err: unknown) => {
        const failure = err instanceof LoginFailure ? err : new LoginFailure('backend_unavailable', 'placement failed');
        send(worker, { t: 'fail', id, kind: failure.kind, message: failure.message });
      },
    );
  }

  /** A dead worker's sessions died with it: out of the registry and the ring-wide presence. */
  #forget(worker: Worker): void {
    const ids = this.#sessionsOf.get(worker);
    this.#sessionsOf.delete(worker);
    for (const id of ids ?? []) this.#opts.registry.remove(id);
  }

  #snapshot(): RingSnapshot {
    const ring = this.#opts.ring();
    const caps = (p: Protocol): string[] | null => {
      const set = this.#opts.capabilities(p);
      return set === undefined ? null : [...set];
    };
    return { backends: ring.backends(), vnodes: ring.vnodes, placement: ring.placement, down: [...ring.down], capabilities: Object.fromEntries(PROTOCOLS.map((p) => [p, caps(p)])) };
  }

  /** Sends the ring to every worker if it changed since the last push. */
  pushRing(): void {
    const snapshot = this.#snapshot();
    const text = JSON.stringify(snapshot);
    if (text === this.#lastSnapshot) return;
    this.#lastSnapshot = text;
    this.#broadcast({ t: 'ring', ring: snapshot });
  }

  /**
   * Every worker's metrics for one scrape. A worker that does not answer
   * within `timeoutMs` is left out of this scrape (its counters come back
   * with the next), so /metrics never hangs on a stuck worker.
   */
  async metrics(timeoutMs = 2000): Promise<MetricsSnapshot[]> {
    const asks = [...this.#sessionsOf.keys()]
      .filter((w) => w.isConnected())
      .map((worker) => {
        const id = this.#nextMetricsId++;
        return new Promise<MetricsSnapshot | undefined>((resolve) => {
          const timer = setTimeout(() => {
            this.#metricsWaits.delete(id);
            resolve(undefined);
          }, timeoutMs);
          this.#metricsWaits.set(id, (metrics) => {
            clearTimeout(timer);
            resolve(metrics);
          });
          send(worker, { t: 'metrics', id });
        });
      });
    return (await Promise.all(asks)).filter((m): m is MetricsSnapshot => m !== undefined);
  }

  /** Drop cached passdb entries in every worker (these users, or all). */
  flushCache(users: readonly string[] | undefined): void {
    this.#broadcast({ t: 'flush', users: users ?? null });
  }

  reload(): void {
    this.#broadcast({ t: 'reload' });
  }

  reopenLog(): void {
    this.#broadcast({ t: 'reopen' });
  }

  #broadcast(message: ToWorker): void {
    for (const worker of this.#sessionsOf.keys()) send(worker, message);
  }

  /** Tells the workers to drain (they keep sessions for the grace period) and waits until they exit. */
  async drain(graceMs: number): Promise<void> {
    this.#stopping = true;
    if (this.#capsTimer !== undefined) clearInterval(this.#capsTimer);
    const workers = [...this.#sessionsOf.keys()];
    const exits = workers.map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve()))));
    this.#broadcast({ t: 'drain' });
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, graceMs + 5000).unref());
    await Promise.race([Promise.all(exits), deadline]);
    for (const w of workers) if (!w.isDead()) w.kill('SIGKILL');
  }
}
