import type { Socket } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { newSessionId } from '../core/ids.js';
import type { Config, ListenKey } from '../config/types.js';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../adapters/log/logger.js';
import { MetricsRegistry } from '../adapters/metrics/metrics.js';
import { createPassdb } from '../auth/build.js';
import type { Passdb } from '../auth/passdb.js';
import { BackendRing } from '../ring/hash-ring.js';
import { selfAddressesFrom } from '../routing/self-addresses.js';
import { CapabilityProbe } from '../cluster/capability-probe.js';
import { Listener, type Endpoint } from '../net/listener.js';
import { NetworkSet } from '../net/networks.js';
import { LoginCore } from '../session/login-core.js';
import { ClientSession, type SessionDeps } from '../session/session.js';
import { LocalSessionRegistry } from '../session/registry.js';
import type { FrontendDriver } from '../session/frontend.js';
import { imapDriver } from '../protocols/imap/driver.js';
import { pop3Driver } from '../protocols/pop3/driver.js';
import { createAdminService, startAdminServer } from '../admin/service.js';
import { startHttpServer } from './http.js';

/** Which driver serves a listen key, and whether TLS starts at connect. */
const FRONTENDS: ReadonlyArray<{ key: ListenKey; driver: FrontendDriver; implicitTls: boolean }> = [
  { key: 'imap', driver: imapDriver, implicitTls: false },
  { key: 'imaps', driver: imapDriver, implicitTls: true },
  { key: 'pop3', driver: pop3Driver, implicitTls: false },
  { key: 'pop3s', driver: pop3Driver, implicitTls: true },
];

const CAPABILITY_PROBE_INTERVAL_MS = 30_000;
const TLS_HANDSHAKE_TIMEOUT_MS = 30_000;

/**
 * The composition root of one director process: builds every part from the
 * config, opens the ports, and owns reload (SIGHUP) and drain (SIGTERM).
 */
export class Director {
  #config: Config;
  readonly log: Logger;
  #passdb: Passdb;
  #ring: BackendRing;
  #selfAddresses: ReadonlySet<string>;
  #trusted: NetworkSet;
  #secureContext: SecureContext | undefined;
  readonly #registry = new LocalSessionRegistry();
  readonly #metrics = new MetricsRegistry();
  readonly #probe: CapabilityProbe;
  readonly #listeners: Listener[] = [];
  readonly #startedAt = Date.now();
  #http: Server | undefined;
  #admin: { close(): Promise<void> } | undefined;
  readonly #bound = new Map<string, number>();
  #draining = false;

  constructor(config: Config) {
    this.#config = config;
    this.log = createLogger(config.log, config.director.id);
    this.#passdb = createPassdb({ passdb: config.passdb, cache: config.cache }, this.log.child({ component: 'auth' }));
    this.#ring = BackendRing.fromConfig(config.ring);
    this.#selfAddresses = selfAddressesFrom(config);
    this.#trusted = new NetworkSet(config.director.trustedNetworks);
    this.#secureContext = Director.#serverTls(config);
    this.#probe = new CapabilityProbe(this.log.child({ component: 'probe' }));
  }

  static fromFile(file: string, id: string | undefined): Director {
    return new Director(loadConfig(file, id === undefined ? {} : { id }));
  }

  static #serverTls(config: Config): SecureContext | undefined {
    return config.tls === undefined ? undefined : createSecureContext({ cert: config.tls.cert, key: config.tls.key });
  }

  get config(): Config {
    return this.#config;
  }

  /** Ports actually bound, by listen key. */
  get boundPorts(): ReadonlyMap<string, number> {
    return this.#bound;
  }

  async start(): Promise<void> {
    const loginsTotal = this.#metrics.counter('maildirector_logins_total', 'Login attempts by protocol and result.', ['protocol', 'result']);
    const sessionsGauge = this.#metrics.gauge('maildirector_sessions', 'Relayed sessions by protocol and backend.', ['protocol', 'backend']);
    this.#metrics.onCollect(() => {
      const counts = new Map<string, { labels: [string, string]; value: number }>();
      for (const s of this.#registry.list()) {
        const backend = s.backendId ?? s.backendHost;
        const key = `${s.protocol}\u0000${backend}`;
        const slot = counts.get(key) ?? { labels: [s.protocol, backend], value: 0 };
        slot.value++;
        counts.set(key, slot);
      }
      sessionsGauge.replaceAll([...counts.values()]);
    });

    await this.#probe.probeAll(this.#ring.backends());
    this.#probe.start(() => this.#ring.backends(), CAPABILITY_PROBE_INTERVAL_MS);

    const loginCore = new LoginCore({
      config: () => this.#config,
      passdb: () => this.#passdb,
      ring: () => this.#ring,
      selfAddresses: () => this.#selfAddresses,
    });
    const deps: SessionDeps = {
      loginCore,
      registry: this.#registry,
      limits: () => this.#config.limits,
      imapIdRetain: () => this.#config.director.imapIdRetain,
      trustedForPlaintext: (ip) => this.#trusted.has(ip),
      backendPreloginCapabilities: (protocol) =>
        protocol === 'imap' || protocol === 'pop3' ? this.#probe.capabilities(protocol) : undefined,
      onLoginResult: (protocol, result) => loginsTotal.inc([protocol, result]),
      onEnd: () => undefined,
    };

    for (const { key, driver, implicitTls } of FRONTENDS) {
      const address = this.#config.listen[key];
      if (address === undefined) continue;
      if (implicitTls && this.#secureContext === undefined) throw new Error(`listen.${key} needs tls.cert and tls.key`);
      const listener = new Listener({
        host: address.host,
        port: address.port,
        implicitTls: implicitTls ? this.#secureContext : undefined,
        handshakeTimeoutMs: TLS_HANDSHAKE_TIMEOUT_MS,
        onConnection: (socket, endpoint) => this.#accept(deps, driver, socket, endpoint, implicitTls),
        onError: (error) => this.log.error({ err: error, listen: key }, 'listener error'),
      });
      this.#bound.set(key, await listener.listen());
      this.#listeners.push(listener);
    }

    const grpc = this.#config.listen.grpc;
    if (grpc !== undefined) {
      const service = createAdminService({
        directorId: this.#config.director.id,
        startedAt: this.#startedAt,
        registry: this.#registry,
        passdb: { flushCache: (user?: string) => this.#passdb.flushCache(user) },
        ring: () => this.#ring,
      });
      const admin = await startAdminServer(grpc, service, undefined);
      this.#admin = admin;
      this.#bound.set('grpc', admin.port);
    }
    const http = this.#config.listen.http;
    if (http !== undefined) {
      const started = await startHttpServer(http, this.#metrics, () => this.status());
      this.#http = started.server;
      this.#bound.set('http', started.port);
    }
    this.log.info({ ports: Object.fromEntries(this.#bound) }, 'director started');
  }

  status(): Record<string, unknown> {
    return {
      director: this.#config.director.id,
      uptimeSeconds: Math.round((Date.now() - this.#startedAt) / 1000),
      sessions: this.#registry.list().length,
      draining: this.#draining,
      backends: this.#ring.backends().map((b) => ({ id: b.id, host: b.host, weight: b.weight, tag: b.tag })),
    };
  }

  #accept(deps: SessionDeps, driver: FrontendDriver, socket: Socket, endpoint: Endpoint, implicitTls: boolean): void {
    if (this.#draining) {
      socket.destroy();
      return;
    }
    const sessionId = newSessionId();
    const session = new ClientSession(deps, {
      protocol: driver.protocol,
      sessionId,
      client: endpoint,
      implicitTls,
      secureContext: this.#secureContext,
      log: this.log.child({ session: sessionId, protocol: driver.protocol, rip: endpoint.remoteIp, rport: endpoint.remotePort }),
    });
    try {
      driver.handle(socket, session);
    } catch (error: unknown) {
      this.log.error({ err: error, session: sessionId }, 'protocol driver failed');
      socket.destroy();
    }
  }

  /** SIGHUP: re-read the config; a broken file keeps the running config. */
  reload(): void {
    let next: Config;
    try {
      next = loadConfig(this.#config.file, { id: this.#config.director.id });
    } catch (error: unknown) {
      this.log.error({ err: error instanceof Error ? error.message : String(error) }, 'reload refused: config has problems; keeping the running config');
      return;
    }
    const oldPassdb = this.#passdb;
    this.#config = next;
    this.#passdb = createPassdb({ passdb: next.passdb, cache: next.cache }, this.log.child({ component: 'auth' }));
    this.#ring = this.#ring.withBackends(next.ring.backends, next.ring.vnodes);
    this.#selfAddresses = selfAddressesFrom(next);
    this.#trusted = new NetworkSet(next.director.trustedNetworks);
    this.#secureContext = Director.#serverTls(next);
    void oldPassdb.close();
    this.log.info('configuration reloaded (listen addresses take effect on restart)');
  }

  /** SIGTERM: stop accepting, let sessions finish for the grace period, then close the rest. */
  async drain(): Promise<void> {
    this.#draining = true;
    await Promise.all(this.#listeners.map((l) => l.stopAccepting()));
    const deadline = Date.now() + this.#config.director.shutdownGraceMs;
    while (this.#registry.list().length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const s of this.#registry.list()) this.#registry.kickUser(s.user, 'shutdown');
    for (const l of this.#listeners) l.destroyAll();
    await this.stop();
  }

  async stop(): Promise<void> {
    this.#probe.stop();
    for (const l of this.#listeners) l.destroyAll();
    await Promise.all(this.#listeners.map((l) => l.stopAccepting()));
    await this.#admin?.close();
    await new Promise<void>((resolve) => (this.#http === undefined ? resolve() : this.#http.close(() => resolve())));
    await this.#passdb.close();
    this.log.flush();
  }
}
