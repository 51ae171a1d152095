import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import type { Protocol } from '../core/protocol.js';
import type { LimitsConfig } from '../config/types.js';
import { Relay } from '../relay/relay.js';
import type { BackendLogin, FrontendContext, LoginOutcome, LoginRequest } from './frontend.js';
import type { ClientEndpoint } from './backend-login.js';
import type { LoginCore, LoginTrace } from './login-core.js';
import type { LiveSession, SessionInfo, SessionRegistry } from './registry.js';

export interface SessionDeps {
  readonly loginCore: LoginCore;
  readonly registry: SessionRegistry;
  readonly limits: () => LimitsConfig;
  readonly imapIdRetain: () => boolean;
  readonly trustedForPlaintext: (ip: string) => boolean;
  readonly backendPreloginCapabilities: (protocol: Protocol) => ReadonlySet<string> | undefined;
  /** Every login attempt's result ('ok' or a LoginFailure kind), for metrics. */
  readonly onLoginResult: (protocol: Protocol, result: string) => void;
  /** Called once when the connection is over, relayed or not. */
  readonly onEnd: (sessionId: string) => void;
}

type Result = 'logged_out' | 'relayed' | 'login_failed' | 'closed';

/**
 * One client connection as the core sees it: the FrontendContext a driver
 * uses, and the single log line written when the connection ends.
 */
export class ClientSession implements FrontendContext {
  readonly protocol: Protocol;
  readonly sessionId: string;
  readonly client: ClientEndpoint;
  readonly implicitTls: boolean;
  readonly secureContext: SecureContext | undefined;
  readonly log: Logger;
  readonly #deps: SessionDeps;
  readonly #startedAt = Date.now();
  readonly #trace: LoginTrace = { user: undefined, routeReason: undefined, backend: undefined, delayedMs: 0 };
  #lastFailure: string | undefined;
  #ended = false;

  constructor(
    deps: SessionDeps,
    init: { protocol: Protocol; sessionId: string; client: ClientEndpoint; implicitTls: boolean; secureContext: SecureContext | undefined; log: Logger },
  ) {
    this.#deps = deps;
    this.protocol = init.protocol;
    this.sessionId = init.sessionId;
    this.client = init.client;
    this.implicitTls = init.implicitTls;
    this.secureContext = init.secureContext;
    this.log = init.log;
  }

  get limits(): LimitsConfig {
    return this.#deps.limits();
  }

  get imapIdRetain(): boolean {
    return this.#deps.imapIdRetain();
  }

  plaintextAllowed(tlsActive: boolean): boolean {
    return tlsActive || this.#deps.trustedForPlaintext(this.client.remoteIp);
  }

  backendPreloginCapabilities(): ReadonlySet<string> | undefined {
    return this.#deps.backendPreloginCapabilities(this.protocol);
  }

  async login(request: LoginRequest, backendLogin: BackendLogin): Promise<LoginOutcome> {
    const outcome = await this.#deps.loginCore.login(
      {
        trustedClient: this.#deps.trustedForPlaintext(this.client.remoteIp),
        protocol: this.protocol,
        sessionId: this.sessionId,
        client: this.client,
        log: this.log,
      },
      request,
      backendLogin,
      this.#trace,
    );
    this.#deps.onLoginResult(this.protocol, outcome.ok ? 'ok' : outcome.failure.kind);
    if (!outcome.ok) {
      this.#lastFailure = outcome.failure.kind;
      this.log.info(
        { user: this.#trace.user, mech: request.mechanism, result: outcome.failure.kind, detail: outcome.failure.message, backend: this.#trace.backend },
        'login failed',
      );
    }
    return outcome;
  }

  async relay(client: Socket, outcome: Extract<LoginOutcome, { ok: true }>, clientPending: Buffer, kickText: string): Promise<void> {
    const relay = new Relay(client, outcome.backend.socket, {
      clientPending,
      backendPending: outcome.backend.pending,
      idleTimeoutMs: this.#deps.limits().idleTimeoutMs,
    });
    const destination = outcome.destination;
    const live: LiveSession = {
      info: (): SessionInfo => ({
        sessionId: this.sessionId,
        user: outcome.user,
        protocol: this.protocol,
        clientIp: this.client.remoteIp,
        clientPort: this.client.remotePort,
        backendId: destination.backend?.id,
        backendHost: destination.host,
        backendPort: destination.port,
        startedAt: this.#startedAt,
        ...relay.byteCounts(),
      }),
      kick: (reason: string): void => {
        this.log.info({ user: outcome.user, reason }, 'session kicked');
        relay.kick(kickText);
      },
    };
    this.#deps.registry.add(live);
    this.log.info({ user: outcome.user, backend: destination.backend?.id ?? destination.host, route: this.#trace.routeReason }, 'proxied login');
    try {
      const result = await relay.done;
      this.#finish('relayed', { end: result.end, bytesFromClient: result.bytesFromClient, bytesFromBackend: result.bytesFromBackend });
    } finally {
      this.#deps.registry.remove(this.sessionId);
    }
  }

  closed(reason: string): void {
    this.#finish(this.#lastFailure === undefined ? (reason === 'logout' ? 'logged_out' : 'closed') : 'login_failed', { end: reason });
  }

  #finish(result: Result, extra: Record<string, unknown>): void {
    if (this.#ended) return;
    this.#ended = true;
    this.log.info(
      {
        user: this.#trace.user,
        backend: this.#trace.backend,
        route: this.#trace.routeReason,
        result,
        lastFailure: this.#lastFailure,
        delayedMs: this.#trace.delayedMs || undefined,
        durationMs: Date.now() - this.#startedAt,
        ...extra,
      },
      'session end',
    );
    this.#deps.onEnd(this.sessionId);
  }
}
