import type { SecureContext } from 'node:tls';
import { clientTlsContext } from '../net/server-tls.js';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import { ConfigError, formatProblem, loadConfig } from '../config/load.js';
import { createLogger, reopenLog } from '../adapters/log/logger.js';
import { MetricsRegistry } from '../adapters/metrics/metrics.js';
import { SessionMetrics } from '../adapters/metrics/session-metrics.js';
import { registerSessionGauge } from '../adapters/metrics/session-gauge.js';
import { registerRingMetrics } from '../adapters/metrics/ring-metrics.js';
import type { LdapRequestObserver, PassdbRequestObserver } from '../auth/build.js';
import { createPassdb } from '../auth/build.js';
import type { DirectorPassdb } from '../auth/build.js';
import { BackendRing } from '../ring/hash-ring.js';
import { selfAddressesFrom } from '../routing/self-addresses.js';
import { RingNode } from '../cluster/ring-node.js';
import { BackendProber } from '../cluster/backend-probe.js';
import { mailProbe } from '../cluster/mail-probe.js';
import { capabilityProbes } from '../protocols/registry.js';
import type { MutualTls } from '../adapters/grpc/security.js';
import { formatHostPort } from '../adapters/grpc/security.js';
import { startGrpcServer, type GrpcServerHandle } from '../adapters/grpc/server.js';
import { loadAdminProto } from '../adapters/grpc/load.js';
import { ringKeyOf, routeUser } from '../routing/route.js';
import { RingPlanner } from './ring-planner.js';
import type { UserFields } from '../auth/fields.js';
import type { Protocol } from '../core/protocol.js';
import type { BackendSpec } from '../ring/types.js';
import { RingKicker } from './ring-kicks.js';
import { RingLoginQuorum } from './ring-claims.js';
import { FenceWatch } from '../cluster/fence-watch.js';
import { MoveCoordinator } from './moves.js';
import { UserMover } from './user-move.js';
import { PresenceRegistry } from './presence-registry.js';
import { SessionPresence } from '../cluster/presence.js';
import { NetworkSet } from '../net/networks.js';
import { LoginSourceIps } from '../net/login-source-ips.js';
import { applyLoginSourceIps } from './login-source-ips.js';
import { LoginCore } from '../session/login-core.js';
import type { SessionDeps } from '../session/session.js';
import { LocalSessionRegistry } from '../session/registry.js';
import { createAdminService } from '../admin/service.js';
import { startHttpServer } from './http.js';
import { RingEventLog } from '../web/ring-events.js';
import { RingRoutes } from '../web/ring-routes.js';
import { ringSnapshot } from '../web/ring-snapshot.js';
import { Frontends } from './frontends.js';
import { hostname as osHostname } from 'node:os';
import { WorkerHub } from './workers/hub.js';
import { AuthPenalty } from '../auth/penalty.js';
import { SHUTDOWN_REASON } from '../core/failure.js';
import { claimSocketPath, ownSocketFile, removeSocketFile, type OwnedSocketFile } from '../net/unix-socket.js';

const FENCED_REASON = 'Disconnected by proxy: director cut off from the ring';
/** How long an operator's ring-wide kick waits for each peer's answer. */
const PEER_KICK_TIMEOUT_MS = 5_000;

/**
 * The composition root of one director process: builds every part from the
 * config, opens the ports, and owns reload (SIGHUP) and drain (SIGTERM).
 */
export class Director {
  #config: Config;
  readonly log: Logger;
  #passdb: DirectorPassdb;
  #unwatchPassdb: () => void = () => undefined;
  #ring: BackendRing;
  #selfAddresses: ReadonlySet<string>;
  #trusted: NetworkSet;
  /** login_source_ips, resolved (at start and on SIGHUP). */
  readonly #sourceIps = new LoginSourceIps();
  #secureContext: SecureContext | undefined;
  readonly #registry: PresenceRegistry;
  readonly #presence: SessionPresence;
  readonly #moves: MoveCoordinator;
  readonly #fence: FenceWatch;
  readonly #metrics = new MetricsRegistry({ processMetrics: true });
  /** Dovecot's auth penalty, one table for this process and its workers. */
  readonly #penalty = new AuthPenalty();
  // --- metrics (ring, gossip, LDAP): see #registerRingMetrics ---
  readonly #ldapSeconds = this.#metrics.histogram('maildirector_ldap_request_duration_seconds', 'LDAP passdb requests (cache misses) by operation and result.', ['op', 'result']);
  readonly #observeLdap: LdapRequestObserver = (op, seconds, result) => this.#ldapSeconds.observe({ op, result }, seconds);
  readonly #sqlSeconds = this.#metrics.histogram('maildirector_sql_request_duration_seconds', 'SQL passdb queries (cache misses) by operation and result.', ['op', 'result']);
  readonly #observeSql: PassdbRequestObserver = (op, seconds, result) => this.#sqlSeconds.observe({ op, result }, seconds);
  readonly #node: RingNode;
  readonly #prober: BackendProber;
  readonly #kicker: RingKicker;
  /** The mail ports: in this process, or (director.workers > 1) in worker processes. */
  #frontends: Frontends | undefined;
  #workers: WorkerHub | undefined;
  readonly #startedAt = Date.now();
  #http: Server | undefined;
  #ringPage: RingRoutes | undefined;
  #ringEvents: RingEventLog | undefined;
  #grpc: GrpcServerHandle | undefined;
  readonly #bound = new Map<string, number>();
  #draining = false;
  /** The LMTP socket file the workers listen on (multi-worker only; a single process's Frontends owns its own). */
  #socketFile: OwnedSocketFile | undefined;

  constructor(config: Config) {
    this.#config = config;
    this.log = createLogger(config.log, config.director.id);
    this.#logWarnings(config);
    this.#passdb = createPassdb({ passdb: config.passdb, cache: config.cache, cryptLimits: config.cryptLimits }, this.log.child({ component: 'auth' }), { observeLdap: this.#observeLdap, observeSql: this.#observeSql });
    this.#selfAddresses = selfAddressesFrom(config);
    this.#trusted = new NetworkSet(config.director.trustedNetworks);
    this.#secureContext = Director.#serverTls(config);
    const selfId = config.director.id;
    this.#node = new RingNode({
      selfId,
      seed: { backends: config.ring.backends, directors: Director.#members(config) },
      vnodes: config.ring.vnodes,
      placement: config.ring.placement,
      hashKey: () => this.#config.ring.hashKey,
      stateFile: config.ring.stateFile,
      tls: Director.#grpcTls(config),
      log: this.log.child({ component: 'ring' }),
      tuning: { heartbeatMs: config.ring.gossip.heartbeatMs, deadAfterMs: config.ring.gossip.deadAfterMs },
      tieBreaker: () => this.#config.ring.tieBreaker,
      dial: new Map(config.ring.directors.flatMap((d) => (d.dial === undefined ? [] : [[d.id, d.dial] as const]))),
      presenceHoldMs: config.ring.gossip.presenceHoldMs,
    });
    // A ring state file from an earlier run wins over the config's backends (they only seed it).
    this.#ring = this.#node.ring();
    this.#fence = new FenceWatch({
      fenced: () => this.#config.ring.fenceMinority && this.#node.inMinority(),
      joinWaitMs: () => this.#config.limits.moveWaitMs,
      blipWaitMs: () => this.#config.ring.gossip.deadAfterMs,
    });
    this.#presence = new SessionPresence(this.#node);
    this.#registry = new PresenceRegistry(new LocalSessionRegistry(), this.#presence);
    this.#moves = new MoveCoordinator({
      node: this.#node,
      presence: this.#presence,
      registry: this.#registry,
      claims: this.#registry,
      ring: () => this.#ring,
      route: (fields, protocol) => this.#route(fields, protocol),
      moveWaitMs: () => this.#config.limits.moveWaitMs,
      maxDisconnectDelayMs: () => this.#config.limits.maxDisconnectDelayMs,
      fence: this.#fence,
      quorum: new RingLoginQuorum(this.#node, this.#presence, this.log.child({ component: 'claims' })),
      claimTimeoutMs: Math.max(200, Math.floor(config.ring.gossip.deadAfterMs / 2)),
      forgetUser: (user) => this.#flushCache(user),
      log: this.log.child({ component: 'moves' }),
    });
    this.#node.onLivenessChange(() => this.#fenceIfCutOff());
    // A peer's ring-wide `user kick`: the reason was sanitised by the director the operator reached.
    this.#node.onKickRequest((user, reason, backendHost) => {
      const kicked = this.#registry.kickUser(user, reason, backendHost);
      this.log.info({ user, kicked, reason }, 'ring-wide kick from a peer');
      return kicked;
    });
    // A login granted before the fence and done after it would outlive the
    // fence's sweep of the sessions it found: end it as it starts.
    this.#presence.onLocalStart((user) => {
      if (this.#fenced()) setImmediate(() => this.#registry.kickUser(user, FENCED_REASON));
    });
    this.#kicker = new RingKicker({
      registry: this.#registry,
      maxDelayMs: () => this.#config.limits.maxDisconnectDelayMs,
      ring: () => this.#ring,
      log: this.log.child({ component: 'ring' }),
    });
    this.#node.onRingChange((ring) => {
      this.#ring = ring;
      this.#workers?.pushRing();
      this.#kicker.ringChanged(ring);
    });
    const probe = config.ring.probe;
    this.#prober = new BackendProber({
      settings: { intervalMs: probe.intervalMs, timeoutMs: probe.timeoutMs, failuresToDown: probe.failures, successesToUp: probe.successes },
      backends: () => this.#node.ring().backends(),
      previous: (id) => this.#node.state.verdict(selfId, id)?.down,
      publish: (id, down, caps) => this.#node.publishVerdict(id, down, caps),
      probe: mailProbe({ conversations: capabilityProbes() }),
      log: this.log.child({ component: 'probe' }),
    });
  }

  /** Ring members from the config; without any, a ring of one (this director). */
  static #members(config: Config): Array<{ id: string; address: string }> {
    if (config.ring.directors.length > 0) return config.ring.directors.map((d) => ({ id: d.id, address: d.address }));
    const grpc = config.listen.grpc;
    // Nobody dials a ring of one; the address only has to be well-formed.
    return [{ id: config.director.id, address: grpc === undefined ? '127.0.0.1:0' : formatHostPort(grpc.host, grpc.port) }];
  }

  static #grpcTls(config: Config): MutualTls | undefined {
    const t = config.grpcTls;
    return t === undefined ? undefined : { ca: t.ca, cert: t.cert, key: t.key };
  }

  /** The ring node (tests and the admin service). */
  get ringNode(): RingNode {
    return this.#node;
  }

  static fromFile(file: string, id: string | undefined): Director {
    return new Director(loadConfig(file, id === undefined ? {} : { id }));
  }

  static #serverTls(config: Config): SecureContext | undefined {
    return clientTlsContext(config.tls);
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
    const sessionMetrics = new SessionMetrics(this.#metrics);
    sessionMetrics.watchBackendConnects();
    const penalized = this.#metrics.gauge('maildirector_auth_penalty_addresses', 'Client addresses whose next authentication waits (the auth penalty after failed logins).');
    const draining = this.#metrics.gauge('maildirector_draining', 'This director stopped accepting (SIGTERM) and waits for its sessions to end (1), or serves (0).');
    this.#metrics.onCollect(() => {
      penalized.set(this.#penalty.size);
      draining.set(this.#draining ? 1 : 0);
    });
    registerSessionGauge(this.#metrics, { sessions: () => this.#registry.list(), backends: () => this.#ring.backends().map((b) => b.id) });
    this.#registerRingMetrics();

    // Two rounds settle the hysteresis, so the first clients already get the backends' capabilities.
    await this.#prober.round();
    await this.#prober.round();
    this.#prober.start();

    await applyLoginSourceIps(this.#sourceIps, this.#config.director.loginSourceIps, this.log);
    const loginCore = new LoginCore({
      config: () => this.#config,
      passdb: () => this.#passdb,
      ring: () => this.#ring,
      selfAddresses: () => this.#selfAddresses,
      sourceIp: (host) => this.#sourceIps.next(host),
      placement: this.#moves,
      penalty: this.#penalty,
    });
    this.#watchPassdb();
    const deps: SessionDeps = {
      loginCore,
      registry: this.#registry,
      limits: () => this.#config.limits,
      imapIdRetain: () => this.#config.director.imapIdRetain,
      oauth2: () => this.#config.oauth2 !== undefined,
      trustedForPlaintext: (ip) => this.#trusted.has(ip),
      backendPreloginCapabilities: (protocol) => this.#node.capabilities(protocol),
      onLoginResult: (protocol, result, seconds) => {
        loginsTotal.inc({ protocol, result });
        sessionMetrics.observeLogin(protocol, result, seconds);
      },
      onEnd: () => undefined,
    };

    if (this.#config.director.workers > 1) {
      this.#workers = new WorkerHub({
        count: this.#config.director.workers,
        registry: this.#registry,
        moves: this.#moves,
        ring: () => this.#ring,
        capabilities: (protocol) => this.#node.capabilities(protocol),
        penalty: this.#penalty,
        onLoginResult: (protocol, result) => loginsTotal.inc({ protocol, result }),
        log: this.log.child({ component: 'workers' }),
      });
      // The cluster module binds the workers' unix socket in this process: the file is ours to prepare and remove.
      const unix = this.#config.lmtpSocket;
      if (unix !== undefined) await claimSocketPath(unix.path);
      for (const [key, port] of await this.#workers.start()) this.#bound.set(key, port);
      if (unix !== undefined) this.#socketFile = await ownSocketFile(unix.path, unix.mode);
    } else {
      this.#frontends = new Frontends({
        listen: (key) => this.#config.listen[key],
        director: () => this.#config.director,
        secureContext: () => this.#secureContext,
        session: deps,
        lmtp: {
          config: () => this.#config,
          passdb: () => this.#passdb,
          ring: () => this.#ring,
          selfAddresses: () => this.#selfAddresses,
          sourceIp: (host) => this.#sourceIps.next(host),
          placement: this.#moves,
          hostname: osHostname(),
          capabilities: () => this.#node.capabilities('lmtp'),
          log: this.log,
        },
        lmtpSocket: this.#config.lmtpSocket,
        ownsSocketFiles: true,
        log: this.log,
      });
      for (const [key, port] of await this.#frontends.start()) this.#bound.set(key, port);
    }

    const grpc = this.#config.listen.grpc;
    if (grpc !== undefined) {
      const startTls = this.#config.grpcTls;
      const service = createAdminService({
        directorId: this.#config.director.id,
        startedAt: this.#startedAt,
        registry: this.#registry,
        passdb: { flushCache: (user?: string) => this.#flushCache(user) },
        ring: () => this.#ring,
        isBackendDown: (id) => !this.#ring.isUp(id),
        onError: (method, err) => this.log.warn({ err, method }, 'admin call failed'),
        // The port's TLS is fixed when it opens; the admin list follows SIGHUP (a reload without grpc_tls keeps it).
        access: { tls: startTls !== undefined, admins: () => this.#config.grpcTls?.admins ?? startTls?.admins ?? [] },
        // Audit lines are kept whatever log.level says.
        audit: this.log.child({ component: 'audit' }, { level: 'info' }),
        backendLoad: () => this.#presence.perBackend(),
        kickPeers: (user, reason, backendHost) => this.#node.gossip.kickOnPeers(user, reason, backendHost, PEER_KICK_TIMEOUT_MS),
        userExists: async (user) => (await this.#passdb.lookup(user)).kind !== 'not_found',
        ringAdmin: {
          node: this.#node,
          passdb: { lookup: (user: string) => this.#passdb.lookup(user) },
          route: (fields, protocol) => this.#route(fields, protocol),
          flushUsers: (backendId: string) =>
            this.#moves.flushBackend(backendId, (user) => this.#passdb.lookup(user), (fields, protocol) => this.#route(fields, protocol, false)),
          planRing: (request) => this.#planner().plan(request),
          holders: (user: string) =>
            this.#presence
              .holders(user)
              .map((h) => ({ directorId: h.directorId, backendId: h.backendId, backendHost: h.host, sessions: h.sessions })),
          mover: new UserMover({
            passdb: () => this.#config.passdb,
            lookup: (user) => this.#passdb.lookup(user),
            route: (fields, protocol) => this.#route(fields, protocol),
            ring: () => this.#ring,
            node: this.#node,
            moves: this.#moves,
            forgetUser: (user) => this.#flushCache(user),
            moveWaitMs: () => this.#config.limits.moveWaitMs,
            log: this.log.child({ component: 'moves' }),
          }),
        },
      });
      const admin = { definition: loadAdminProto().maildirector.admin.v1.Admin.service, handlers: service };
      // One port, one mTLS setup: the CLI and the other directors present certificates from grpc_tls.ca.
      this.#grpc = await startGrpcServer(grpc, [admin, this.#node.grpcService()], Director.#grpcTls(this.#config));
      this.#bound.set('grpc', this.#grpc.port);
    }
    this.#node.start();
    const http = this.#config.listen.http;
    if (http !== undefined) {
      const events = new RingEventLog(this.#node);
      this.#ringPage = new RingRoutes({
        snapshot: (showUsers) =>
          ringSnapshot(
            { directorId: this.#config.director.id, node: this.#node, fenced: () => this.#fenced(), draining: () => this.#draining, events: () => events.list() },
            showUsers,
          ),
        events,
        usersToken: () => this.#config.http.usersToken,
        plan: (request) => this.#planner().plan(request),
        onError: (err) => this.log.warn({ err }, 'ring plan failed'),
      });
      this.#ringEvents = events;
      const started = await startHttpServer(http, {
        metrics: async () => this.#metrics.renderWith((await this.#workers?.metrics()) ?? []),
        metricsContentType: this.#metrics.contentType,
        // A draining director still answers, but a load balancer must send new clients elsewhere.
        status: () => ({ serving: !this.#draining && !this.#fenced(), body: this.status() }),
        routes: this.#ringPage,
      });
      this.#http = started.server;
      this.#bound.set('http', started.port);
    }
    this.log.info({ ports: Object.fromEntries(this.#bound), lmtpSocket: this.#config.lmtpSocket?.path }, 'director started');
  }

  /** Backend health, ring members and gossip lag/convergence on /metrics (ids only, no users or IPs). */
  #registerRingMetrics(): void {
    const node = this.#node;
    const ackSeconds = registerRingMetrics(this.#metrics, {
      backends: () => this.#ring.backends().map((b) => ({ id: b.id, up: this.#ring.isUp(b.id), admin: node.state.adminState(b.id) })),
      peers: () => node.gossip.peers(),
      clock: () => node.state.clock,
      stats: () => node.stats(),
    });
    node.gossip.onAckWait((ms, all) => ackSeconds.observe({ result: all ? 'all' : 'partial' }, ms / 1000));
  }

  /** Plans of ring changes (admin PlanRing, /ring/plan), with the config and ring of the moment. */
  #planner(): RingPlanner {
    const all = this.#passdb.listUsers;
    return new RingPlanner({
      ring: () => this.#ring,
      presentUsers: () => this.#presence.users(),
      lookup: (user) => this.#passdb.lookup(user),
      route: (fields) => this.#route(fields, 'imap', false),
      ringKey: (fields) => ringKeyOf(fields, this.#config.ring.hashKey, this.#ring.placement),
      held: (user, tag) => this.#moves.sticky(user, tag)?.id,
      allUsers: all === undefined ? undefined : () => all.call(this.#passdb),
    });
  }

  #route(fields: UserFields, protocol: Protocol, sticky = true): ReturnType<typeof routeUser> {
    const config = this.#config;
    const ring = this.#ring;
    const localId = config.director.localBackend;
    return routeUser({
      fields,
      protocol,
      selfAddresses: this.#selfAddresses,
      ring,
      hashKey: config.ring.hashKey,
      localBackend: localId === undefined ? undefined : ring.backend(localId),
      sticky: sticky ? this.#moves.sticky(fields.user, fields.directorTag) : undefined,
    });
  }

  /** I5 (docs/invariants.md): an LDAP entry that now routes elsewhere ends this director's sessions of that user. */
  #watchPassdb(): void {
    this.#unwatchPassdb();
    this.#unwatchPassdb = this.#passdb.onUsersChanged((changes) => {
      // Workers do not poll LDAP themselves (one poller per director).
      this.#workers?.flushCache(changes.map((c) => c.user));
      this.#moves.usersChanged(changes);
    });
  }

  status(): Record<string, unknown> {
    return {
      director: this.#config.director.id,
      uptimeSeconds: Math.round((Date.now() - this.#startedAt) / 1000),
      sessions: this.#registry.list().length,
      draining: this.#draining,
      // Not serving: no majority of the ring hears it (still joining, or cut off).
      fenced: this.#fenced(),
      joining: this.#fence.joining(),
      backends: this.#ring.backends().map((b) => ({ id: b.id, host: b.host, weight: b.weight, tag: b.tag, up: this.#ring.isUp(b.id) })),
      ring: {
        directors: this.#node.state.directors().map((d) => ({ id: d.id, live: this.#node.live().has(d.id) })),
        clock: this.#node.state.clock,
      },
    };
  }

  #fenced(): boolean {
    return this.#fence.fenced();
  }

  /** I1 (docs/invariants.md) under a partition: the majority now places this director's users elsewhere. */
  #fenceIfCutOff(): void {
    if (!this.#fenced()) return;
    const sessions = this.#registry.list();
    // `acknowledging`: the peers that heard this director lately (RingNode.inMinority counts those).
    this.log.warn(
      { sessions: sessions.length, live: [...this.#node.live()].sort(), acknowledging: [...this.#node.gossip.confirmed()].sort() },
      'cut off from the majority of the ring: ending sessions and holding no logins until it returns',
    );
    for (const user of new Set(sessions.map((s) => s.user))) this.#registry.kickUser(user, FENCED_REASON);
  }

  /** Drops cached passdb entries here and in every worker. */
  #flushCache(user: string | undefined): number {
    this.#workers?.flushCache(user === undefined ? undefined : [user]);
    return this.#passdb.flushCache(user);
  }

  /**
   * SIGHUP: re-read the config and build what it names (client TLS context,
   * passdb) before swapping anything in; any failure keeps the running
   * config whole. Never throws: it runs from a signal handler.
   */
  reload(): void {
    let next: Config;
    let secureContext: SecureContext | undefined;
    let passdb: DirectorPassdb;
    try {
      next = loadConfig(this.#config.file, { id: this.#config.director.id });
      secureContext = Director.#serverTls(next);
      passdb = createPassdb({ passdb: next.passdb, cache: next.cache, cryptLimits: next.cryptLimits }, this.log.child({ component: 'auth' }), { observeLdap: this.#observeLdap, observeSql: this.#observeSql });
    } catch (error: unknown) {
      const problems = error instanceof ConfigError ? error.problems.map(formatProblem) : [error instanceof Error ? error.message : String(error)];
      this.log.error({ problems }, 'reload refused: config has problems; keeping the running config');
      return;
    }
    this.#logWarnings(next);
    try {
      const oldPassdb = this.#passdb;
      const previous = this.#config;
      this.#config = next;
      this.#passdb = passdb;
      this.#secureContext = secureContext;
      this.#watchPassdb();
      this.#applyConfigBackends(previous.ring.backends, next.ring.backends);
      this.#selfAddresses = selfAddressesFrom(next);
      this.#trusted = new NetworkSet(next.director.trustedNetworks);
      void applyLoginSourceIps(this.#sourceIps, next.director.loginSourceIps, this.log);
      // Child loggers made without a level of their own inherit it through their prototype: one setter covers them.
      this.log.level = next.log.level;
      if (previous.log.file !== next.log.file) this.log.warn({ file: next.log.file ?? 'stdout' }, 'log.file changed: it takes effect on restart');
      void oldPassdb.close().catch((err: unknown) => this.log.warn({ err }, 'closing the previous passdb failed'));
      this.#workers?.reload();
      if (!sameGrpcTls(previous, next)) this.log.warn('grpc_tls changed: the gRPC port and ring links keep the running certificates until a restart');
      if (previous.ring.placement !== next.ring.placement) {
        this.log.warn({ running: previous.ring.placement, file: next.ring.placement }, 'ring.placement changed: it takes effect on restart, and every director of the ring must change with it');
      }
      this.log.info('configuration reloaded (listen addresses take effect on restart)');
    } catch (error: unknown) {
      this.log.error({ err: error }, 'reload failed while applying the new config');
    }
  }

  /** A secret every user of the host can read, and the like: the director runs, the operator is told. */
  #logWarnings(config: Config): void {
    for (const warning of config.warnings) this.log.warn({ file: warning.file, key: warning.key }, `config warning: ${formatProblem(warning)}`);
  }

  /** SIGUSR1: log.file opened again by name here and in every worker (logrotate renamed it). */
  reopenLog(): void {
    if (reopenLog(this.log)) this.log.info({ file: this.#config.log.file }, 'log file reopened');
    this.#workers?.reopenLog();
  }

  /**
   * ring.backends edited in the file: the ring state is shared, so the edit is
   * applied as the operator's `backend add/remove/weight` would be (ring-wide).
   * Backends the file never changed keep whatever the ring says about them.
   */
  #applyConfigBackends(before: readonly BackendSpec[], after: readonly BackendSpec[]): void {
    const same = (a: BackendSpec, b: BackendSpec): boolean => JSON.stringify(a) === JSON.stringify(b);
    const writes: Array<Promise<unknown>> = [];
    for (const b of after) {
      const old = before.find((o) => o.id === b.id);
      if (old === undefined || !same(old, b)) writes.push(this.#node.addBackend(b));
    }
    for (const o of before) if (!after.some((b) => b.id === o.id)) writes.push(this.#node.removeBackend(o.id));
    if (writes.length === 0) return;
    void Promise.all(writes).then(
      () => this.log.info({ changes: writes.length }, 'ring backends from the reloaded config applied'),
      (err: unknown) => this.log.error({ err }, 'could not apply ring backends from the reloaded config'),
    );
  }

  /** SIGTERM: stop accepting, let sessions finish for the grace period, then close the rest. */
  async drain(): Promise<void> {
    this.#draining = true;
    // Unlinked first: the workers stop accepting at once, but the socket stays bound until they exit.
    await this.#removeSocketFile();
    if (this.#workers !== undefined) await this.#workers.drain(this.#config.director.shutdownGraceMs);
    await this.#frontends?.stopAccepting();
    const deadline = Date.now() + this.#config.director.shutdownGraceMs;
    while (this.#registry.list().length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const s of this.#registry.list()) this.#registry.kickUser(s.user, SHUTDOWN_REASON);
    this.#frontends?.destroyAll();
    await this.stop();
  }

  async #removeSocketFile(): Promise<void> {
    const file = this.#socketFile;
    this.#socketFile = undefined;
    if (file !== undefined) await removeSocketFile(file);
  }

  async stop(): Promise<void> {
    this.#prober.stop();
    this.#kicker.stop();
    this.#moves.stop();
    this.#unwatchPassdb();
    this.#moves.close();
    this.#presence.close();
    this.#frontends?.destroyAll();
    await this.#frontends?.stopAccepting();
    if (this.#workers !== undefined) await this.#workers.drain(0);
    await this.#removeSocketFile();
    await this.#node.close();
    await this.#grpc?.close();
    this.#ringPage?.close();
    this.#ringEvents?.close();
    await new Promise<void>((resolve) => (this.#http === undefined ? resolve() : this.#http.close(() => resolve())));
    await this.#passdb.close();
    this.log.flush();
  }
}

function sameGrpcTls(a: Config, b: Config): boolean {
  const x = a.grpcTls;
  const y = b.grpcTls;
  if (x === undefined || y === undefined) return x === y;
  return x.ca.equals(y.ca) && x.cert.equals(y.cert) && x.key.equals(y.key);
}
