import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import type { Protocol } from '../core/protocol.js';
import type { Secret } from '../core/secret.js';
import type { LoginFailure } from '../core/failure.js';
import type { LimitsConfig } from '../config/types.js';
import type { Destination } from '../routing/decision.js';
import type { BackendLoginParams, BackendLoginSuccess, ClientEndpoint } from './backend-login.js';
import type { CloseReason } from './session-end.js';

/** Credentials a protocol driver has parsed from LOGIN, AUTHENTICATE, USER/PASS or AUTH. */
export interface LoginRequest {
  readonly user: string;
  readonly password: Secret;
  /** SASL authorization identity; a non-empty one different from `user` is refused. */
  readonly authzid: string | undefined;
  /** SASL mechanism or command used: 'LOGIN', 'PLAIN', 'USER', 'XOAUTH2', 'OAUTHBEARER' (then `password` is the bearer token). */
  readonly mechanism: string;
  /** IMAP ID parameters sent by the client before login, if any. */
  readonly clientId: ReadonlyArray<readonly [string, string | null]> | undefined;
  /** Submission: the client's EHLO/HELO domain, passed on in XCLIENT HELO. */
  readonly helo?: string | undefined;
  /**
   * XOAUTH2/OAUTHBEARER: send this base64 challenge (the refused token's
   * JSON status) and wait for the client's one answer before the failure
   * reply (Dovecot's mech-oauth2.c). Set by the session kit; resolves false
   * when the client left instead.
   */
  readonly saslFailureChallenge?: ((challengeBase64: string) => Promise<boolean>) | undefined;
}

export type LoginOutcome =
  | {
      readonly ok: true;
      readonly user: string;
      readonly destination: Destination;
      readonly backend: BackendLoginSuccess;
    }
  | { readonly ok: false; readonly failure: LoginFailure };

/** Backend side of one protocol: connect, banner, (STARTTLS), ID/XCLIENT, login. Throws LoginFailure. */
export type BackendLogin = (params: BackendLoginParams) => Promise<BackendLoginSuccess>;

/**
 * What the protocol-free session core gives a protocol driver for one
 * connection. The driver owns the pre-login conversation (framing, parsing,
 * STARTTLS, replies); the core owns auth, routing, backend choice, relay,
 * registry and the per-session log line.
 */
export interface FrontendContext {
  readonly protocol: Protocol;
  readonly sessionId: string;
  readonly client: ClientEndpoint;
  /** The connection arrived on an implicit-TLS port (993/995). */
  readonly implicitTls: boolean;
  /** Undefined when no certificate is configured: STARTTLS/STLS is then not offered. */
  readonly secureContext: SecureContext | undefined;
  /** Plaintext authentication allowed on this connection now (trusted network, or TLS active). */
  plaintextAllowed(tlsActive: boolean): boolean;
  readonly limits: LimitsConfig;
  readonly imapIdRetain: boolean;
  /** XOAUTH2 and OAUTHBEARER are offered (an `oauth2` section is configured). */
  readonly oauth2: boolean;
  /** Session-scoped logger (session id, client address, director already bound). */
  readonly log: Logger;
  /**
   * Capabilities every configured backend announced before login (banner or
   * CAPABILITY), or undefined if not yet known. Pre-login CAPABILITY must not
   * advertise more than this.
   */
  backendPreloginCapabilities(): ReadonlySet<string> | undefined;
  /**
   * Authenticate, route, honour delay_until/moves, and log in to the backend
   * with `backendLogin`. On failure the core has already applied the
   * auth-failure delay; the driver only renders the reply.
   */
  login(request: LoginRequest, backendLogin: BackendLogin): Promise<LoginOutcome>;
  /**
   * After the driver wrote the success reply: relay bytes both ways until one
   * side closes. `clientPending` are bytes the client sent after its login
   * command (pipelined); they go to the backend first. Returns at once; the
   * session ends by itself (and never throws: a failure to start closes both
   * sockets). `kickText(reason)` is written to the client when it is kicked.
   */
  relay(client: Socket, outcome: Extract<LoginOutcome, { ok: true }>, clientPending: Buffer, kickText: (reason: string) => string): void;
  /** STARTTLS completed; `version` as the TLS socket names it (for the session line). */
  tlsEstablished(version: string | undefined): void;
  /** The driver is closing the connection without a relayed session (logout, limits, errors). */
  closed(reason: CloseReason): void;
}

/** One protocol front end, registered with the listener for its ports. */
export interface FrontendDriver {
  readonly protocol: Protocol;
  readonly backendLogin: BackendLogin;
  /** Written (CRLF included) to a connection refused because the director is at its pre-login connection caps. */
  readonly busyText: string;
  /** Take over a freshly accepted socket (already TLS on implicit-TLS ports). */
  handle(socket: Socket, context: FrontendContext): void;
}
