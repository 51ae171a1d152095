import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { Bindings, Logger } from 'pino';
import type { Protocol } from '../core/protocol.js';
import type { Destination } from '../routing/decision.js';
import type { LimitsConfig } from '../config/types.js';
import { Relay, type RelayOwner, type RelayResult } from '../relay/relay.js';
import type { BackendLogin, FrontendContext, LoginOutcome, LoginRequest } from './frontend.js';
import type { ClientEndpoint } from './backend-login.js';
import type { LoginCore, LoginTrace } from './login-core.js';
import type { LiveSession, SessionInfo, SessionRegistry } from './registry.js';
import { closeEnd, relayEnd, type CloseReason, type SessionEnd } from './session-end.js';

export interface SessionDeps {
  readonly loginCore: LoginCore;
  readonly registry: SessionRegistry;
  readonly limits: () => LimitsConfig;
  readonly imapIdRetain: () => boolean;
  /** An `oauth2` section is configured: XOAUTH2 and OAUTHBEARER are offered. */
  readonly oauth2: () => boolean;
  readonly trustedForPlaintext: (ip: string) => boolean;
  readonly backendPreloginCapabilities: (protocol: Protocol) => ReadonlySet<string> | undefined;
  /** Every login attempt's result ('ok' or a LoginFailure kind), for metrics. */
  /** `seconds`: from the login command to its outcome, as the client waited. */
  readonly onLoginResult: (protocol: Protocol, result: string, seconds: number) => void;
  /** Called once when the connection is over, relayed or not. */
  readonly onEnd: (sessionId: string) => void;
}

type Result = 'logged_out' | 'relayed' | 'login_failed' | 'closed';

/** TLS on the client's side: `version` as node:tls names it (e.g. TLSv1.3), or a load balancer's PP2_SUBTYPE_SSL_VERSION. */
export interface ClientTls {
  readonly version: string | undefined;
}

/**
 * One client connection as the core sees it: the FrontendContext a driver
 * uses, and the single log line written when the connection ends.
 */
export class ClientSession implements FrontendContext, RelayOwner {
  readonly protocol: Protocol;
  readonly sessionId: string;
  readonly client: ClientEndpoint;
  readonly implicitTls: boolean;
  readonly secureContext: SecureContext | undefined;
  readonly log: Logger;
  readonly #deps: SessionDeps;
  readonly #startedAt = Date.now();
  readonly #trace: LoginTrace = { user: undefined, routeReason: undefined, backendId: undefined, backendHost: undefined, delayedMs: 0 };
  #tls: ClientTls | undefined;
  /** From the login command to its outcome (the last one's, when a client tried more than once). */
  #loginMs: number | undefined;
  /** The reason of the kick that ended the relay, to tell a shutdown from an operator's kick. */
  #kickReason: string | undefined;
  #lastFailure: string | undefined;
  #ended = false;
  #trusted: boolean | undefined;
  #onPreloginEnd: (() => void) | undefined;

  constructor(
    deps: SessionDeps,
    init: {
      protocol: Protocol;
      sessionId: string;
      client: ClientEndpoint;
      implicitTls: boolean;
      secureContext: SecureContext | undefined;
      log: Logger;
      /** Set when TLS started at connect (implicit TLS, or a balancer that terminated it). */
      tls?: ClientTls;
      /** Called once when the connection leaves pre-login: relayed, or closed (pre-login connection caps). */
      onPreloginEnd?: () => void;
    },
  ) {
    this.#onPreloginEnd = init.onPreloginEnd;
    this.#deps = deps;
    this.protocol = init.protocol;
    this.sessionId = init.sessionId;
    this.client = init.client;
    this.implicitTls = init.implicitTls;
    this.secureContext = init.secureContext;
    this.log = init.log;
    this.#tls = init.tls;
  }

  tlsEstablished(version: string | undefined): void {
    this.#tls = { version };
  }

  get limits(): LimitsConfig {
    return this.#deps.limits();
  }

  get imapIdRetain(): boolean {
    return this.#deps.imapIdRetain();
  }

  get oauth2(): boolean {
    return this.#deps.oauth2();
  }

  /** The client is in trusted_networks (asked per command: computed once). */
  #isTrusted(): boolean {
    this.#trusted ??= this.#deps.trustedForPlaintext(this.client.remoteIp);
    return this.#trusted;
  }

  plaintextAllowed(tlsActive: boolean): boolean {
    return tlsActive || this.#isTrusted();
  }

  backendPreloginCapabilities(): ReadonlySet<string> | undefined {
    return this.#deps.backendPreloginCapabilities(this.protocol);
  }

  async login(request: LoginRequest, backendLogin: BackendLogin): Promise<LoginOutcome> {
    const started = performance.now();
    const outcome = await this.#deps.loginCore.login(
      {
        trustedClient: this.#isTrusted(),
        protocol: this.protocol,
        sessionId: this.sessionId,
        client: this.client,
        log: this.log,
      },
      request,
      backendLogin,
      this.#trace,
    );
    const elapsedMs = performance.now() - started;
    this.#loginMs = Math.round(elapsedMs);
    this.#deps.onLoginResult(this.protocol, outcome.ok ? 'ok' : outcome.failure.kind, elapsedMs / 1000);
    // The driver will not relay for a client that left meanwhile: release the login's claim.
    if (outcome.ok && this.#ended) this.#deps.registry.remove(this.sessionId);
    if (!outcome.ok) {
      this.#lastFailure = outcome.failure.kind;
      this.log.info(
        {
          user: this.#trace.user,
          mech: request.mechanism,
          result: outcome.failure.kind,
          detail: outcome.failure.message,
          backend: this.#trace.backendId ?? (this.#trace.backendHost === undefined ? undefined : ''),
          backend_host: this.#trace.backendHost,
          login_ms: this.#loginMs,
        },
        'login failed',
      );
    }
    return outcome;
  }

  relay(client: Socket, outcome: Extract<LoginOutcome, { ok: true }>, clientPending: Buffer, kickText: (reason: string) => string): void {
    this.#preloginEnded();
    try {
      this.#startRelay(client, outcome, clientPending, kickText);
    } catch (err: unknown) {
      this.log.error({ err }, 'relay failed to start');
      client.destroy();
      outcome.backend.socket.destroy();
      this.#deps.registry.remove(this.sessionId);
      this.closed('relay failed');
    }
  }

  #startRelay(client: Socket, outcome: Extract<LoginOutcome, { ok: true }>, clientPending: Buffer, kickText: (reason: string) => string): void {
    // No promise or suspended frame per session: the relay calls relayEnded.
    const relay = new Relay(client, outcome.backend.socket, {
      clientPending,
      backendPending: outcome.backend.pending,
      idleTimeoutMs: this.#deps.limits().idleTimeoutMs,
      owner: this,
    });
    // The registry entry lives as long as the session: it keeps only what it
    // reports, not the login outcome (its pending bytes and capabilities).
    const user = outcome.user;
    const destination = outcome.destination;
    this.#deps.registry.add(new RelayedSession(this, user, destination, relay, kickText));
    // Checked first: with the level above info (e.g. warn on a busy director) build nothing per login.
    if (this.log.isLevelEnabled('info')) {
      this.log.info({ user, backend: destination.backend?.id ?? '', backend_host: destination.host, route: this.#trace.routeReason, login_ms: this.#loginMs }, 'proxied login');
    }
  }

  /** The Relay's owner callback: both sides closed. */
  relayEnded(result: RelayResult): void {
    try {
      this.#finish('relayed', relayEnd(result.end, this.#kickReason), undefined, result.bytesFromClient, result.bytesFromBackend);
    } finally {
      this.#deps.registry.remove(this.sessionId);
    }
  }

  /** For the registry entry: when this session started. */
  get startedAt(): number {
    return this.#startedAt;
  }

  /** The kick about to end this session's relay (RelayedSession.kick). */
  kicking(reason: string): void {
    this.#kickReason ??= reason;
  }

  closed(reason: CloseReason): void {
    this.#preloginEnded();
    const end = closeEnd(reason);
    this.#finish(this.#lastFailure === undefined ? (end === 'logout' ? 'logged_out' : 'closed') : 'login_failed', end, reason, 0, 0);
  }

  #preloginEnded(): void {
    const end = this.#onPreloginEnd;
    this.#onPreloginEnd = undefined;
    end?.();
  }

  /** The session line: every field of docs/logging.md's table, in that order, on every session. */
  #finish(result: Result, end: SessionEnd, reason: string | undefined, bytesFromClient: number, bytesFromBackend: number): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.log.isLevelEnabled('info')) {
      const trace = this.#trace;
      this.log.info(
        {
          user: trace.user,
          backend: trace.backendId ?? (trace.backendHost === undefined ? undefined : ''),
          backend_host: trace.backendHost,
          route: trace.routeReason,
          result,
          end,
          reason: reason ?? this.#kickReason,
          lastFailure: this.#lastFailure,
          local_port: this.client.localPort,
          tls: this.#tls !== undefined,
          tls_version: this.#tls?.version,
          login_ms: this.#loginMs,
          delayedMs: trace.delayedMs || undefined,
          durationMs: Date.now() - this.#startedAt,
          bytesFromClient,
          bytesFromBackend,
        },
        'session end',
      );
    }
    this.#deps.registry.remove(this.sessionId);
    this.#deps.onEnd(this.sessionId);
  }
}

/** A relayed session as the registry (who, kick) sees it; one object, no closures. */
class RelayedSession implements LiveSession {
  readonly #session: ClientSession;
  readonly #user: string;
  readonly #destination: Destination;
  readonly #relay: Relay;
  readonly #kickText: (reason: string) => string;

  constructor(session: ClientSession, user: string, destination: Destination, relay: Relay, kickText: (reason: string) => string) {
    this.#session = session;
    this.#user = user;
    this.#destination = destination;
    this.#relay = relay;
    this.#kickText = kickText;
  }

  info(): SessionInfo {
    const session = this.#session;
    const destination = this.#destination;
    return {
      sessionId: session.sessionId,
      user: this.#user,
      protocol: session.protocol,
      clientIp: session.client.remoteIp,
      clientPort: session.client.remotePort,
      backendId: destination.backend?.id,
      backendHost: destination.host,
      backendPort: destination.port,
      startedAt: session.startedAt,
      ...this.#relay.byteCounts(),
    };
  }

  kick(reason: string): void {
    this.#session.log.info({ user: this.#user, reason }, 'session kicked');
    this.#session.kicking(reason);
    this.#relay.kick(this.#kickText(reason));
  }
}

const kBindings = Symbol('sessionBindings');
const kChild = Symbol('sessionChild');

interface LazyChildState {
  [kBindings]: Bindings;
  [kChild]: Logger | undefined;
}

/** One prototype per parent logger: the per-session object holds only its bindings. */
const lazyPrototypes = new WeakMap<Logger, object>();

/**
 * A session's logger: the same lines as `parent.child(bindings)`, but the
 * child is only created when a line is actually written. At the usual
 * production level most sessions write nothing before their end line, and
 * at warn nothing at all, so creating (and keeping) a pino child per
 * connection would be pure cost.
 */
export function sessionLogger(parent: Logger, bindings: Bindings): Logger {
  let proto = lazyPrototypes.get(parent);
  if (proto === undefined) {
    proto = lazyPrototype(parent);
    lazyPrototypes.set(parent, proto);
  }
  const state: LazyChildState = Object.create(proto) as LazyChildState;
  state[kBindings] = bindings;
  state[kChild] = undefined;
  return state as unknown as Logger;
}

function lazyPrototype(parent: Logger): object {
  const proto: object = Object.create(parent) as object;
  const materialize = (state: LazyChildState): Logger => {
    let child = state[kChild];
    if (child === undefined) {
      child = parent.child(state[kBindings]);
      state[kChild] = child;
    }
    return child;
  };
  for (const level of Object.keys(parent.levels.values)) {
    Object.defineProperty(proto, level, {
      value(this: LazyChildState, ...args: unknown[]): void {
        if (!parent.isLevelEnabled(level)) return;
        const child = materialize(this);
        Reflect.apply(Reflect.get(child, level) as (...a: unknown[]) => void, child, args);
      },
    });
  }
  Object.defineProperty(proto, 'child', {
    value(this: LazyChildState, ...args: unknown[]): Logger {
      const child = materialize(this);
      return Reflect.apply(child.child, child, args) as Logger;
    },
  });
  Object.defineProperty(proto, 'bindings', {
    value(this: LazyChildState): Bindings {
      return materialize(this).bindings();
    },
  });
  return proto;
}
