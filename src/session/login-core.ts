import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { LoginFailure } from '../core/failure.js';
import type { Protocol } from '../core/protocol.js';
import type { Config } from '../config/types.js';
import type { Passdb } from '../auth/passdb.js';
import type { AuthResult } from '../auth/passdb.js';
import type { UserFields } from '../auth/fields.js';
import { isOAuth2Mechanism, oauth2FailureChallenge } from '../auth/sasl-oauth2.js';
import type { TokenValidator } from '../auth/oauth2/verdict.js';
import { tokenValidatorFor } from '../auth/oauth2/validator.js';
import type { BackendSpec, RingView } from '../ring/types.js';
import type { Destination, RouteDecision } from '../routing/decision.js';
import { routeUser } from '../routing/route.js';
import { loginDelayMs } from '../routing/delay.js';
import type { BackendLogin, LoginOutcome, LoginRequest } from './frontend.js';
import type { BackendLoginParams, ClientEndpoint } from './backend-login.js';

/** Dovecot starts proxy TTL at 5; each hop decrements it. */
export const INITIAL_PROXY_TTL = 5;

export interface LoginCoreDeps {
  readonly config: () => Config;
  readonly passdb: () => Passdb;
  readonly ring: () => RingView;
  readonly selfAddresses: () => ReadonlySet<string>;
  /** The ring-wide view of the user's sessions (I1, I5 in docs/invariants.md); absent: a director on its own. */
  readonly placement?: LoginPlacement | undefined;
  /** Per-address auth penalty (auth/penalty.ts; a worker asks its primary); absent: none. */
  readonly penalty?: LoginPenalty | undefined;
  /** Checks XOAUTH2/OAUTHBEARER tokens; by default the one config().oauth2 describes. */
  readonly tokenValidator?: (() => TokenValidator | undefined) | undefined;
  /**
   * login_source_ips: the local address for the next backend connection to
   * `host` (net/login-source-ips.ts); the passdb's source_ip wins over it.
   */
  readonly sourceIp?: ((host: string) => string | undefined) | undefined;
}

/** The auth penalty as the login path sees it. */
export interface LoginPenalty {
  delayMs(ip: string): number | Promise<number>;
  record(ip: string, ok: boolean): void;
}

/** What the login path needs to keep a user on one backend across the ring. */
export interface LoginPlacement {
  /**
   * The up ring backend where `user` has live sessions on some live
   * director, if any (asked only for users the ring places; a worker asks
   * its primary, hence the promise).
   */
  sticky(user: string, tag: string): BackendSpec | undefined | Promise<BackendSpec | undefined>;
  /**
   * Resolves (with the ms waited) once no live director holds sessions of
   * `user` on another destination (meanwhile those sessions are asked to
   * end), and in the same step claims `destination` for `sessionId`: the
   * login counts as the user's session there from now on, so the ring sees
   * it before the backend login. The claim is released by `release` or the
   * registry's remove(sessionId), and taken over by its add(). Throws
   * LoginFailure('backend_unavailable') when limits.move_wait passes first.
   */
  awaitExclusive(user: string, destination: Destination, log: Logger, sessionId: string): Promise<number>;
  release(sessionId: string): void;
}

export interface LoginAttempt {
  /** The client is in trusted_networks: its ID x-* fields (another proxy's) are believed. */
  readonly trustedClient: boolean;
  readonly protocol: Protocol;
  readonly sessionId: string;
  readonly client: ClientEndpoint;
  readonly log: Logger;
}

/** What the core learned during a login, for the session's log line. */
export interface LoginTrace {
  user: string | undefined;
  routeReason: string | undefined;
  /** The ring backend's id; undefined for a host outside the ring (logged as ''). */
  backendId: string | undefined;
  backendHost: string | undefined;
  delayedMs: number;
}

/**
 * The protocol-free login path: authenticate → route → hold (delay_until) →
 * backend login. Each failure is a LoginFailure kind; the driver renders it.
 */
export class LoginCore {
  readonly #deps: LoginCoreDeps;

  constructor(deps: LoginCoreDeps) {
    this.#deps = deps;
  }

  async login(attempt: LoginAttempt, request: LoginRequest, backendLogin: BackendLogin, trace: LoginTrace): Promise<LoginOutcome> {
    try {
      return await this.#login(attempt, request, backendLogin, trace);
    } catch (error: unknown) {
      if (error instanceof LoginFailure) {
        if (error.kind === 'auth_failed' || error.kind === 'backend_auth_failed' || error.kind === 'invalid_input') {
          await sleep(this.#deps.config().limits.authFailureDelayMs);
        }
        return { ok: false, failure: error };
      }
      attempt.log.error({ err: error }, 'login failed with an unexpected error');
      return { ok: false, failure: new LoginFailure('auth_temp', 'internal error') };
    }
  }

  async #login(attempt: LoginAttempt, request: LoginRequest, backendLogin: BackendLogin, trace: LoginTrace): Promise<LoginOutcome> {
    const config = this.#deps.config();
    trace.user = request.user;
    if (request.authzid !== undefined && request.authzid !== '' && request.authzid !== request.user) {
      throw new LoginFailure('auth_failed', 'authorization identity differs from the authentication identity');
    }
    // Trusted networks (another proxy, a webmail) speak for many users: no penalty there, as Dovecot.
    const penalty = attempt.trustedClient ? undefined : this.#deps.penalty;
    if (penalty !== undefined) {
      const asked = penalty.delayMs(attempt.client.remoteIp);
      const wait = typeof asked === 'number' ? asked : await asked;
      if (wait > 0) {
        attempt.log.debug({ penaltyMs: wait }, 'auth penalty: delaying the authentication');
        await sleep(wait);
      }
    }
    const oauth2 = isOAuth2Mechanism(request.mechanism);
    const result = oauth2
      ? await this.#tokenLogin(request)
      : await this.#deps.passdb().authenticate({
          user: request.user,
          password: request.password,
          protocol: attempt.protocol,
          sessionId: attempt.sessionId,
          remoteIp: attempt.client.remoteIp,
          localIp: attempt.client.localIp,
        });
    if (result.kind !== 'tempfail') penalty?.record(attempt.client.remoteIp, result.kind === 'ok');
    if (result.kind === 'fail') {
      // mech-oauth2.c: a refused token gets its JSON status as a challenge, the client answers, then the failure.
      if (oauth2) await request.saslFailureChallenge?.(oauth2FailureChallenge(request.mechanism));
      throw new LoginFailure('auth_failed', result.detail);
    }
    if (result.kind === 'tempfail') throw new LoginFailure('auth_temp', result.detail);
    const fields = result.fields;
    trace.user = fields.user;

    let decision = this.#route(fields, attempt.protocol, undefined);
    if (decision.kind === 'proxy' && decision.reason === 'ring' && this.#deps.placement !== undefined) {
      const hint = this.#deps.placement.sticky(fields.user, fields.directorTag);
      const sticky = hint instanceof Promise ? await hint : hint;
      if (sticky !== undefined && sticky.id !== decision.destination.backend?.id) decision = this.#route(fields, attempt.protocol, sticky);
    }
    if (decision.kind === 'refuse') {
      switch (decision.failure) {
        case 'nologin':
          throw new LoginFailure('nologin', 'nologin', decision.detail);
        case 'proxy_loop':
          attempt.log.error({ user: fields.user, backend_host: fields.host }, 'Proxying loops');
          throw new LoginFailure('proxy_loop', decision.detail);
        case 'no_backend':
          throw new LoginFailure('backend_unavailable', decision.detail);
      }
    }
    trace.routeReason = decision.reason;
    trace.backendId = decision.destination.backend?.id;
    trace.backendHost = decision.destination.host;

    const delayMs = loginDelayMs(fields.delayUntil, Date.now(), Math.random, config.limits.maxLoginDelayMs);
    if (delayMs > 0) {
      trace.delayedMs = delayMs;
      attempt.log.info({ user: fields.user, delayMs }, 'login held by delay_until');
      await sleep(delayMs);
    }

    const placement = this.#deps.placement;
    if (placement !== undefined) {
      // Last, right before the backend login, so it sees the freshest ring view.
      const waitedMs = await placement.awaitExclusive(fields.user, decision.destination, attempt.log, attempt.sessionId);
      trace.delayedMs += waitedMs;
    }

    const ttl = proxyTtl(attempt, request) - 1;
    if (ttl <= 0) {
      placement?.release(attempt.sessionId);
      attempt.log.error({ user: fields.user, backend: decision.destination.backend?.id ?? '', backend_host: decision.destination.host }, 'Proxying loops: proxy TTL reached zero');
      throw new LoginFailure('proxy_loop', 'proxy TTL reached zero');
    }
    const params = this.#backendParams(attempt, request, fields, decision, config, ttl);
    const backend = await backendLogin(params).catch((error: unknown) => {
      placement?.release(attempt.sessionId);
      throw error;
    });
    return { ok: true, user: fields.user, destination: decision.destination, backend };
  }

  /**
   * A bearer token in place of a password (Dovecot's oauth2 passdb): the
   * token must be valid for the user the client named; then the user's
   * fields come from a passdb lookup without a password, as for LMTP. An
   * unknown user fails like a refused token.
   */
  async #tokenLogin(request: LoginRequest): Promise<AuthResult> {
    const validator = this.#deps.tokenValidator !== undefined ? this.#deps.tokenValidator() : tokenValidatorFor(this.#deps.config().oauth2);
    if (validator === undefined) return { kind: 'fail', detail: `${request.mechanism} is not configured` };
    const verdict = await validator.validate(request.password, request.user);
    if (verdict.kind === 'invalid') return { kind: 'fail', detail: verdict.detail };
    if (verdict.kind === 'tempfail') return verdict;
    const found = await this.#deps.passdb().lookup(verdict.user);
    if (found.kind === 'not_found') return { kind: 'fail', detail: 'token valid, but the user is unknown to the passdb' };
    return found;
  }

  #route(fields: UserFields, protocol: Protocol, sticky: BackendSpec | undefined): RouteDecision {
    const config = this.#deps.config();
    const ring = this.#deps.ring();
    const localId = config.director.localBackend;
    return routeUser({
      fields,
      protocol,
      selfAddresses: this.#deps.selfAddresses(),
      ring,
      hashKey: config.ring.hashKey,
      localBackend: localId === undefined ? undefined : ring.backend(localId),
      sticky,
    });
  }

  #backendParams(
    attempt: LoginAttempt,
    request: LoginRequest,
    fields: UserFields,
    decision: Extract<RouteDecision, { kind: 'proxy' }>,
    config: Config,
    ttl: number,
  ): BackendLoginParams {
    const masterLogin = fields.master !== undefined && fields.pass !== undefined;
    return {
      host: decision.destination.host,
      port: decision.destination.port,
      sourceIp: fields.sourceIp ?? this.#deps.sourceIp?.(decision.destination.host),
      ssl: fields.ssl,
      starttls: fields.starttls,
      tls: {
        ca: config.backendTls.ca,
        clientCert: config.backendTls.clientCert,
        clientKey: config.backendTls.clientKey,
      },
      user: fields.destuser ?? fields.user,
      password: masterLogin && fields.pass !== undefined ? fields.pass : request.password,
      master: masterLogin ? fields.master : undefined,
      proxyMech: proxyMech(fields.proxyMech, request.mechanism),
      timeoutMs: fields.proxyTimeoutMs ?? config.limits.proxyTimeoutMs,
      nopipelining: fields.proxyNopipelining,
      notTrusted: fields.proxyNotTrusted,
      noauth: fields.proxyNoauth === true,
      clientHelo: request.helo,
      ttl,
      sessionId: attempt.sessionId,
      client: attempt.client,
      forward: fields.forward,
      clientId: config.director.imapIdRetain ? request.clientId : undefined,
      log: attempt.log,
    };
  }
}

/** The TTL this hop starts from: a trusted upstream proxy's x-proxy-ttl, else Dovecot's initial 5. */
function proxyTtl(attempt: LoginAttempt, request: LoginRequest): number {
  if (!attempt.trustedClient || request.clientId === undefined) return INITIAL_PROXY_TTL;
  for (const [key, value] of request.clientId) {
    if (key.toLowerCase() !== 'x-proxy-ttl' || value === null) continue;
    const upstream = Number.parseInt(value, 10);
    if (Number.isInteger(upstream) && upstream >= 0) return Math.min(upstream, INITIAL_PROXY_TTL);
  }
  return INITIAL_PROXY_TTL;
}

/**
 * The passdb's proxy_mech with `%m` (Dovecot's variable for the client's
 * mechanism) filled in: `proxy_mech=%m` logs in to the backend with the
 * client's own mechanism, so a bearer token goes on as XOAUTH2 or
 * OAUTHBEARER. POP3's USER/PASS is PLAIN to Dovecot.
 */
export function proxyMech(field: string | undefined, clientMechanism: string): string | undefined {
  if (field === undefined || !field.includes('%m')) return field;
  const mech = clientMechanism.toUpperCase() === 'USER' ? 'PLAIN' : clientMechanism.toUpperCase();
  return field.replaceAll('%m', mech);
}
