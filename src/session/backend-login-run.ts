import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { connectBackendWithRetry, LOGIN_RECONNECT_DELAY_MS } from '../net/backend-connect.js';
import { backendLoginFailure } from '../net/backend-failure.js';
import { Deadline } from '../net/deadline.js';
import type { BackendLoginParams, BackendLoginSuccess } from './backend-login.js';

/**
 * What every protocol's backend login shares around its own exchange
 * (Dovecot's login-common/login-proxy.c around imap-proxy.c, pop3-proxy.c,
 * submission-proxy.c, managesieve-proxy.c): one deadline for the whole
 * login, the connect with the reconnect rule, and one mapping of whatever
 * went wrong to the LoginFailure the front end renders.
 */

/** One login's exchange with the backend, as a state machine whose state names reach the logs. */
export interface BackendLoginMachine {
  readonly state: string;
  run(): Promise<BackendLoginSuccess>;
  /** The login failed: close whatever it opened. */
  destroy(): void;
}

/** Run `create`'s machine under one deadline of params.timeoutMs; rejects with a LoginFailure. */
export async function runBackendLogin(
  protocol: string,
  params: BackendLoginParams,
  log: Logger | undefined,
  create: (deadline: Deadline) => BackendLoginMachine,
): Promise<BackendLoginSuccess> {
  const deadline = new Deadline(params.timeoutMs);
  const started = Date.now();
  const machine = create(deadline);
  try {
    return await machine.run();
  } catch (err: unknown) {
    machine.destroy();
    const failure = backendLoginFailure(err, {
      backend: `${params.host}:${params.port}`,
      state: machine.state,
      elapsedMs: Date.now() - started,
      timedOut: deadline.expired,
    });
    log?.debug({ state: machine.state, kind: failure.kind }, `${protocol} backend login failed`);
    throw failure;
  } finally {
    deadline.clear();
  }
}

export interface LoginConnectOptions {
  readonly protocol: string;
  readonly log?: Logger | undefined;
  /** Reconnects after a failed connect (net/backend-connect.ts's default unless given). */
  readonly maxReconnects?: number | undefined;
  readonly delayMs?: number | undefined;
}

/**
 * The login's connection: TLS at connect for `ssl`, plain when STARTTLS
 * follows (the TLS layer then reads the socket itself, so no shared read
 * buffers), reconnecting by Dovecot's rule within the login's deadline.
 */
export function connectForLogin(params: BackendLoginParams, deadline: Deadline, options: LoginConnectOptions): Promise<Socket> {
  const starttls = params.starttls !== 'no';
  return connectBackendWithRetry(
    {
      host: params.host,
      port: params.port,
      sourceIp: params.sourceIp,
      tls: starttls ? 'no' : params.ssl,
      ca: params.tls.ca,
      cert: params.tls.clientCert,
      key: params.tls.clientKey,
      deadline,
      sharedReads: !starttls,
    },
    {
      maxReconnects: options.maxReconnects,
      delayMs: options.delayMs ?? LOGIN_RECONNECT_DELAY_MS,
      onRetry: (attempt, err) => options.log?.debug({ attempt, err }, `${options.protocol} backend reconnecting`),
    },
  );
}
