import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { UserFields } from '../../auth/fields.js';
import { LoginFailure } from '../../core/failure.js';
import type { BackendSpec } from '../../ring/types.js';
import { loginDelayMs } from '../../routing/delay.js';
import type { RouteDecision } from '../../routing/decision.js';
import { routeUser } from '../../routing/route.js';
import type { LoginCoreDeps } from '../../session/login-core.js';
import { xtext } from '../../session/smtp-xclient.js';
import { parseRecipient, rewrittenAddress, userFromAddress, type RecipientAddress } from './address.js';
import type { LmtpBackendTarget } from './backend-client.js';
import { formatParams, type EsmtpParam } from './command.js';
import { RCPT_TEXT } from './replies.js';

/** Dovecot's smtp port when protocol=smtp names no port. */
const SMTP_PORT = 25;

/** What a recipient needs from the director: the login core's dependencies (passdb, ring, placement). */
export type RecipientDeps = LoginCoreDeps;

export interface RecipientRequest {
  /** The path inside `<>`, as the MTA sent it (latin1: one character per byte). */
  readonly path: string;
  readonly params: readonly EsmtpParam[];
  /** The claim this recipient makes on its backend (placement), released when the transaction ends. */
  readonly claimId: string;
  /** The TTL this hop sends on (the MTA's XCLIENT TTL, else Dovecot's 5, minus one). */
  readonly ttl: number;
  readonly log: Logger;
}

export type Resolution =
  | { readonly ok: false; readonly reply: string }
  | {
      readonly ok: true;
      readonly user: string;
      readonly target: LmtpBackendTarget;
      /** `RCPT TO:<...> params` for the backend. */
      readonly rcptLine: string;
      /** The backend's id when it is a ring backend (for logs). */
      readonly backendId: string | undefined;
      /** placement.awaitExclusive claimed `claimId`: release it when the delivery ends. */
      readonly claimed: boolean;
    };

/**
 * RCPT TO: who the recipient is and which backend holds them, as
 * Dovecot's lmtp-proxy.c decides it (lmtp_proxy_rcpt), with the ring's
 * placement on top: the passdb is asked without a password, `nologin`
 * does not stop mail, a ring user goes where their sessions are (the
 * placement's sticky), and a user being moved is held as a login is
 * (placement.awaitExclusive, up to limits.move_wait), then refused with a
 * temporary failure so the MTA retries; never delivered to the old
 * backend after the move began.
 */
export async function resolveRecipient(deps: RecipientDeps, request: RecipientRequest): Promise<Resolution> {
  const config = deps.config();
  const address = parseRecipient(request.path, config.lmtp.recipientDelimiter);
  if (address === undefined) return { ok: false, reply: RCPT_TEXT.unknownUser(request.path) };
  const lookupName = userFromAddress(config.lmtp.user, address);

  const found = await deps.passdb().lookup(lookupName);
  if (found.kind === 'not_found') return { ok: false, reply: RCPT_TEXT.unknownUser(request.path) };
  if (found.kind === 'tempfail') {
    request.log.warn({ user: lookupName, detail: found.detail }, 'lmtp recipient lookup failed');
    return { ok: false, reply: RCPT_TEXT.lookupTempfail(request.path) };
  }
  // lmtp-proxy.c: nologin is for logins; mail is still delivered.
  const fields: UserFields = { ...found.fields, nologin: false };

  let decision = route(deps, fields, undefined);
  if (decision.kind === 'proxy' && decision.reason === 'ring' && deps.placement !== undefined) {
    const hint = deps.placement.sticky(fields.user, fields.directorTag);
    const sticky = hint instanceof Promise ? await hint : hint;
    if (sticky !== undefined && sticky.id !== decision.destination.backend?.id) decision = route(deps, fields, sticky);
  }
  if (decision.kind === 'refuse') {
    if (decision.failure === 'proxy_loop') {
      request.log.error({ user: fields.user, backend_host: fields.host }, 'Proxying loops to itself');
      return { ok: false, reply: RCPT_TEXT.loops(request.path) };
    }
    return { ok: false, reply: RCPT_TEXT.noBackend(request.path) };
  }
  if (request.ttl <= 0) {
    request.log.error({ user: fields.user }, 'Proxying appears to be looping (TTL=0)');
    return { ok: false, reply: RCPT_TEXT.ttlZero(request.path) };
  }

  // A move writes host and delay_until together: mail waits as a login would.
  const delayMs = loginDelayMs(fields.delayUntil, Date.now(), Math.random, config.limits.maxLoginDelayMs);
  if (delayMs > 0) {
    request.log.info({ user: fields.user, delayMs }, 'lmtp recipient held by delay_until');
    await sleep(delayMs);
  }

  let claimed = false;
  if (deps.placement !== undefined) {
    try {
      await deps.placement.awaitExclusive(fields.user, decision.destination, request.log, request.claimId);
      claimed = true;
    } catch (err: unknown) {
      if (!(err instanceof LoginFailure)) throw err;
      request.log.warn({ user: fields.user, detail: err.message }, 'lmtp recipient not delivered: user is moving');
      return { ok: false, reply: RCPT_TEXT.moving(request.path) };
    }
  }

  const protocol = fields.protocol === 'smtp' ? 'smtp' : 'lmtp';
  const target: LmtpBackendTarget = {
    host: decision.destination.host,
    port: protocol === 'smtp' ? (fields.port ?? SMTP_PORT) : decision.destination.port,
    sourceIp: fields.sourceIp,
    ssl: fields.ssl,
    starttls: fields.starttls,
    protocol,
    timeoutMs: fields.proxyTimeoutMs ?? config.limits.proxyTimeoutMs,
    notTrusted: fields.proxyNotTrusted,
  };
  return {
    ok: true,
    user: fields.user,
    target,
    rcptLine: rcptLine(request, address, lookupName, fields),
    backendId: decision.destination.backend?.id,
    claimed,
  };
}

function route(deps: RecipientDeps, fields: UserFields, sticky: BackendSpec | undefined): RouteDecision {
  const config = deps.config();
  const ring = deps.ring();
  const localId = config.director.localBackend;
  return routeUser({
    fields,
    protocol: 'lmtp',
    selfAddresses: deps.selfAddresses(),
    ring,
    hashKey: config.ring.hashKey,
    localBackend: localId === undefined ? undefined : ring.backend(localId),
    sticky,
  });
}

/**
 * The backend's RCPT: the address as sent, unless the passdb names another
 * user (destuser, or a `user` that differs from the name looked up); then
 * that user with the detail kept, and the original address as ORCPT
 * (RFC 3461 §4.2) unless the MTA gave one.
 */
function rcptLine(request: RecipientRequest, address: RecipientAddress, lookupName: string, fields: UserFields): string {
  const target = fields.destuser ?? fields.user;
  const rewritten = target === lookupName ? request.path : rewrittenAddress(target, address);
  if (rewritten === request.path) return `RCPT TO:<${request.path}>${formatParams(request.params)}`;
  const params = [...request.params];
  if (!params.some((p) => p.keyword === 'ORCPT')) params.push({ keyword: 'ORCPT', value: `rfc822;${xtext(request.path, 'latin1')}` });
  return `RCPT TO:<${rewritten}>${formatParams(params)}`;
}
