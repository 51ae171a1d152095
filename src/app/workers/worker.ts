import { hostname as osHostname } from 'node:os';
import type { SecureContext } from 'node:tls';
import { clientTlsContext } from '../../net/server-tls.js';
import type { Logger } from 'pino';
import type { Config } from '../../config/types.js';
import { loadConfig } from '../../config/load.js';
import { createLogger, reopenLog } from '../../adapters/log/logger.js';
import { createPassdb, type DirectorPassdb } from '../../auth/build.js';
import { LoginFailure, SHUTDOWN_REASON } from '../../core/failure.js';
import type { Protocol } from '../../core/protocol.js';
import { BackendRing } from '../../ring/hash-ring.js';
import type { BackendSpec } from '../../ring/types.js';
import type { Destination } from '../../routing/decision.js';
import { selfAddressesFrom } from '../../routing/self-addresses.js';
import { NetworkSet } from '../../net/networks.js';
import { LoginSourceIps } from '../../net/login-source-ips.js';
import { applyLoginSourceIps } from '../login-source-ips.js';
import { LoginCore, type LoginPlacement } from '../../session/login-core.js';
import { LocalSessionRegistry, type LiveSession, type SessionInfo, type SessionRegistry } from '../../session/registry.js';
import type { SessionDeps } from '../../session/session.js';
import { Frontends } from '../frontends.js';
import { MetricsRegistry } from '../../adapters/metrics/metrics.js';
import { SessionMetrics } from '../../adapters/metrics/session-metrics.js';
import { parseToWorker, type FromWorker, type Question, type ToWorker } from './messages.js';

type Send = (message: FromWorker) => void;

/**
 * This worker's sessions, each reported to the primary (who, kick, metrics
 * and the ring-wide presence live there). Only sessions the primary knows
 * of (claimed or relaying) are reported as removed.
 */
class ReportingRegistry implements SessionRegistry {
  readonly #inner = new LocalSessionRegistry();
  readonly #reported = new Set<string>();
  readonly #send: Send;

  constructor(send: Send) {
    this.#send = send;
  }

  claimed(sessionId: string): void {
    this.#reported.add(sessionId);
  }

  add(session: LiveSession): void {
    this.#inner.add(session);
    const info = session.info();
    this.#reported.add(info.sessionId);
    this.#send({ t: 'add', info });
  }

  remove(sessionId: string): void {
    this.#inner.remove(sessionId);
    if (this.#reported.delete(sessionId)) this.#send({ t: 'remove', sessionId });
  }

  list(): SessionInfo[] {
    return this.#inner.list();
  }

  countForUser(user: string): number {
    return this.#inner.countForUser(user);
  }

  kickUser(user: string, reason: string, backendHost?: string): number {
    return this.#inner.kickUser(user, reason, backendHost);
  }

  kickSession(sessionId: string, reason: string): boolean {
    return this.#inner.kickSession(sessionId, reason);
  }
}

/** I1 (docs/invariants.md) placement answered by the primary, which sees every worker's and director's sessions. */
class PrimaryPlacement implements LoginPlacement {
  readonly #ask: (question: Question) => Promise<number | string | null>;
  readonly #ring: () => BackendRing;
  readonly #registry: ReportingRegistry;

  constructor(ask: (question: Question) => Promise<number | string | null>, ring: () => BackendRing, registry: ReportingRegistry) {
    this.#ask = ask;
    this.#ring = ring;
    this.#registry = registry;
  }

  async sticky(user: string, tag: string): Promise<BackendSpec | undefined> {
    const id = await this.#ask({ q: 'sticky', user, tag });
    return typeof id === 'string' ? this.#ring().backend(id) : undefined;
  }

  /** One question: the primary waits, then claims in the same step (no other login slips in between). */
  async awaitExclusive(user: string, destination: Destination, _log: Logger, sessionId: string): Promise<number> {
    // From here on the primary may hold a claim for this session: report its end.
    this.#registry.claimed(sessionId);
    const waited = await this.#ask({ q: 'exclusive', user, host: destination.host, backendId: destination.backend?.id ?? null, sessionId });
    return typeof waited === 'number' ? waited : 0;
  }

  release(sessionId: string): void {
    this.#registry.remove(sessionId);
  }
}

/**
 * One worker of a multi-worker director (`director.workers` > 1): opens the
 * mail ports (shared with the other workers through node's cluster module),
 * authenticates and relays. The ring view and every ring-wide decision come
 * from the primary over IPC (messages.ts).
 */
export class WorkerProcess {
  #config: Config;
  readonly log: Logger;
  /** The logger that owns log.file (this.log is its child with the worker index). */
  readonly #rootLog: Logger;
  #passdb: DirectorPassdb;
  #ring: BackendRing;
  /** The backends' pre-login capabilities, as sets built once per ring message (asked per greeting). */
  #capabilities = new Map<Protocol, ReadonlySet<string>>();
  #selfAddresses: ReadonlySet<string>;
  #trusted: NetworkSet;
  /** login_source_ips, resolved (at start and on SIGHUP). */
  readonly #sourceIps = new LoginSourceIps();
  #secureContext: SecureContext | undefined;
  readonly #registry: ReportingRegistry;
  readonly #frontends: Frontends;
  readonly #pending = new Map<number, { resolve: (v: number | string | null) => void; reject: (e: LoginFailure) => void }>();
  #nextAsk = 1;
  /** This worker's own series; the primary aggregates them with its own on each scrape. */
  readonly #metrics = new MetricsRegistry({ processMetrics: true });
  #firstRing: (() => void) | undefined;

  constructor(config: Config, workerIndex: number) {
    this.#config = config;
    this.#rootLog = createLogger(config.log, config.director.id);
    this.log = this.#rootLog.child({ worker: workerIndex });
    this.#passdb = WorkerProcess.#createPassdb(config, this.log);
    this.#ring = BackendRing.fromConfig(config.ring);
    this.#selfAddresses = selfAddressesFrom(config);
    this.#trusted = new NetworkSet(config.director.trustedNetworks);
    this.#secureContext = WorkerProcess.#serverTls(config);
    const send: Send = (message) => {
      if (process.connected) process.send?.(message);
    };
    this.#registry = new ReportingRegistry(send);
    const sessionMetrics = new SessionMetrics(this.#metrics);
    sessionMetrics.watchBackendConnects();
    const placement = new PrimaryPlacement((q) => this.#askPrimary(q, send), () => this.#ring, this.#registry);
    const loginCore = new LoginCore({
      config: () => this.#config,
      passdb: () => this.#passdb,
      ring: () => this.#ring,
      selfAddresses: () => this.#selfAddresses,
      sourceIp: (host) => this.#sourceIps.next(host),
      placement,
      penalty: {
        delayMs: async (ip) => {
          const ms = await this.#askPrimary({ q: 'penalty', ip }, send);
          return typeof ms === 'number' ? ms : 0;
        },
        record: (ip, ok) => send({ t: 'auth', ip, ok }),
      },
    });
    const deps: SessionDeps = {
      loginCore,
      registry: this.#registry,
      limits: () => this.#config.limits,
      imapIdRetain: () => this.#config.director.imapIdRetain,
      oauth2: () => this.#config.oauth2 !== undefined,
      trustedForPlaintext: (ip) => this.#trusted.has(ip),
      backendPreloginCapabilities: (protocol: Protocol) => this.#capabilities.get(protocol),
      // An ok login is counted by the primary when the session's 'add' arrives: one message less per login.
      onLoginResult: (protocol, result, seconds) => {
        sessionMetrics.observeLogin(protocol, result, seconds);
        if (result !== 'ok') send({ t: 'login', protocol, result });
      },
      onEnd: () => undefined,
    };
    this.#frontends = new Frontends({
      listen: (key) => this.#config.listen[key],
      director: () => this.#config.director,
      secureContext: () => this.#secureContext,
      session: deps,
      // Recipients are placed like logins: the primary answers sticky and awaitExclusive.
      lmtp: {
        config: () => this.#config,
        passdb: () => this.#passdb,
        ring: () => this.#ring,
        selfAddresses: () => this.#selfAddresses,
        sourceIp: (host) => this.#sourceIps.next(host),
        placement,
        hostname: osHostname(),
        capabilities: () => this.#capabilities.get('lmtp'),
        log: this.log,
      },
      lmtpSocket: this.#config.lmtpSocket,
      ownsSocketFiles: false,
      log: this.log,
    });
  }

  /** Only the primary polls LDAP for changed entries; it tells the workers which cached users to drop. */
  static #createPassdb(config: Config, log: Logger): DirectorPassdb {
    const passdb = config.passdb.driver === 'ldap' ? { ...config.passdb, changePollMs: 0 } : config.passdb;
    return createPassdb({ passdb, cache: config.cache, cryptLimits: config.cryptLimits }, log.child({ component: 'auth' }));
  }

  static #serverTls(config: Config): SecureContext | undefined {
    return clientTlsContext(config.tls);
  }

  /** Waits for the primary's first ring, opens the ports, says ready. */
  async start(): Promise<void> {
    const firstRing = new Promise<void>((resolve) => (this.#firstRing = resolve));
    process.on('message', (raw: unknown) => this.#onMessage(raw));
    // The primary is gone: nobody can answer placement questions any more.
    process.on('disconnect', () => void this.#drainAndExit());
    // Messages sent before a listener existed are lost: ask for the ring now.
    process.send?.({ t: 'hello' } satisfies FromWorker);
    await firstRing;
    await applyLoginSourceIps(this.#sourceIps, this.#config.director.loginSourceIps, this.log);
    const ports = await this.#frontends.start();
    process.send?.({ t: 'ready', ports: Object.fromEntries(ports) } satisfies FromWorker);
  }

  #askPrimary(question: Question, send: Send): Promise<number | string | null> {
    const id = this.#nextAsk++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      send({ t: 'ask', id, ...question });
    });
  }

  #onMessage(raw: unknown): void {
    const message = parseToWorker(raw);
    if (message === undefined) {
      this.log.warn('ignoring a malformed message from the primary');
      return;
    }
    this.#handle(message);
  }

  #handle(message: ToWorker): void {
    switch (message.t) {
      case 'ring': {
        const r = message.ring;
        try {
          this.#ring = new BackendRing(r.backends, r.vnodes, new Set(r.down), new Set(), r.placement);
        } catch (err: unknown) {
          this.log.error({ err }, 'ring from the primary refused; keeping the previous one');
        }
        const known = new Map<Protocol, ReadonlySet<string>>();
        for (const [protocol, caps] of Object.entries(r.capabilities) as Array<[Protocol, readonly string[] | null | undefined]>) {
          if (caps !== null && caps !== undefined) known.set(protocol, new Set(caps));
        }
        this.#capabilities = known;
        this.#firstRing?.();
        this.#firstRing = undefined;
        return;
      }
      case 'kick':
        this.#registry.kickSession(message.sessionId, message.reason);
        return;
      case 'flush':
        if (message.users === null) this.#passdb.flushCache();
        else for (const user of message.users) this.#passdb.flushCache(user);
        return;
      case 'reply': {
        const pending = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        pending?.resolve(message.value);
        return;
      }
      case 'fail': {
        const pending = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        pending?.reject(new LoginFailure(message.kind, message.message));
        return;
      }
      case 'reload':
        this.#reload();
        return;
      case 'reopen':
        this.reopenLog();
        return;
      case 'drain':
        void this.#drainAndExit();
        return;
      case 'metrics': {
        const id = message.id;
        this.#metrics.snapshot().then(
          (metrics) => {
            if (process.connected) process.send?.({ t: 'metrics', id, metrics } satisfies FromWorker);
          },
          (err: unknown) => this.log.warn({ err }, 'could not collect metrics for the primary'),
        );
        return;
      }
    }
  }

  #reload(): void {
    let next: Config;
    try {
      next = loadConfig(this.#config.file, { id: this.#config.director.id });
    } catch {
      return; // the primary logs the problems once
    }
    // Built before anything is swapped: a failure keeps this worker on the running config.
    let secureContext: SecureContext | undefined;
    let passdb: DirectorPassdb;
    try {
      secureContext = WorkerProcess.#serverTls(next);
      passdb = WorkerProcess.#createPassdb(next, this.log);
    } catch (error: unknown) {
      this.log.error({ err: error }, 'reload refused in a worker; keeping the running config');
      return;
    }
    const old = this.#passdb;
    this.#config = next;
    this.#passdb = passdb;
    this.#selfAddresses = selfAddressesFrom(next);
    this.#trusted = new NetworkSet(next.director.trustedNetworks);
    void applyLoginSourceIps(this.#sourceIps, next.director.loginSourceIps, this.log);
    this.#secureContext = secureContext;
    this.#rootLog.level = next.log.level;
    void old.close().catch(() => undefined);
  }

  reopenLog(): void {
    reopenLog(this.#rootLog);
  }

  #draining = false;

  async #drainAndExit(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    await this.#frontends.stopAccepting();
    const deadline = Date.now() + this.#config.director.shutdownGraceMs;
    while (this.#registry.list().length > 0 && Date.now() < deadline && process.connected) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const s of this.#registry.list()) this.#registry.kickUser(s.user, SHUTDOWN_REASON);
    this.#frontends.destroyAll();
    for (const p of this.#pending.values()) p.reject(new LoginFailure('backend_unavailable', 'director shutting down'));
    await this.#passdb.close();
    this.log.flush();
    process.exit(0);
  }
}

/** `serve` in a cluster worker. */
export async function runWorker(file: string, id: string | undefined): Promise<number> {
  const config = loadConfig(file, id === undefined ? {} : { id });
  const index = Number.parseInt(process.env.MAIL_DIRECTOR_WORKER ?? '0', 10);
  const worker = new WorkerProcess(config, index);
  process.on('uncaughtException', (error) => {
    worker.log.fatal({ err: error }, 'uncaught exception in a worker');
    worker.log.flush();
    process.exit(70);
  });
  // SIGTERM/SIGHUP go to the primary, which tells the workers.
  process.on('SIGTERM', () => undefined);
  process.on('SIGHUP', () => undefined);
  process.on('SIGINT', () => undefined);
  // Its default would end the worker: `systemctl kill -s USR1` reaches every process of the unit.
  process.on('SIGUSR1', () => worker.reopenLog());
  await worker.start();
  return new Promise<number>(() => undefined);
}
