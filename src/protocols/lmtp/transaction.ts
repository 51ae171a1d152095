import type { Logger } from 'pino';
import type { SmtpReply } from '../../net/smtp-reply.js';
import type { BackendTlsOptions } from '../../session/backend-login.js';
import type { XclientParams } from '../../session/smtp-xclient.js';
import { LmtpBackendClient, targetKey, type BackendVerdict } from './backend-client.js';
import type { EsmtpParam } from './command.js';
import { MessageStream } from './data-stream.js';
import { resolveRecipient, type RecipientDeps } from './recipient.js';
import { remoteNotAnswering } from './replies.js';

/** RFC 5321 §4.5.3.1.8 asks for at least 100; Postfix's LMTP sends 50 per transaction by default. */
export const MAX_RECIPIENTS = 1000;

export interface TransactionOptions {
  readonly deps: RecipientDeps;
  /** `MAIL FROM:<...> params` as each backend gets it. */
  readonly mailFrom: string;
  readonly sessionId: string;
  /** The TTL sent on to backends (already decremented for this hop). */
  readonly ttl: number;
  readonly lhloName: string;
  readonly tls: BackendTlsOptions;
  readonly xclient: Omit<XclientParams, 'ttl' | 'user' | 'forward'>;
  readonly log: Logger;
}

interface Accepted {
  readonly path: string;
  readonly user: string;
  /** The ring backend's id, '' for a host outside the ring (the log lines' `backend`). */
  readonly backendId: string;
  readonly backend: LmtpBackendClient;
}

/** A reply as one or more lines with its status, an enhanced code added when the backend gave none (lmtp-proxy.c). */
export function renderReply(reply: SmtpReply, defaultEnhanced: string): string {
  const hasCode = /^[245]\.\d{1,3}\.\d{1,3}( |$)/;
  return reply.lines
    .map((text, i) => {
      const sep = i === reply.lines.length - 1 ? ' ' : '-';
      const body = hasCode.test(text) ? text : text === '' ? defaultEnhanced : `${defaultEnhanced} ${text}`;
      return `${reply.status}${sep}${body}`;
    })
    .join('\r\n');
}

function enhancedClass(status: number, rest: string): string {
  return `${Math.floor(status / 100)}.${rest}`;
}

/**
 * One mail transaction (MAIL … DATA): its recipients in RCPT order, one
 * backend connection per destination opened at the first recipient for
 * it, the message streamed to all of them, and one reply per accepted
 * recipient from its own backend (RFC 2033 §4.2, Dovecot's lmtp-proxy.c).
 * Claims the placement made for its recipients are released when it ends.
 */
export class LmtpTransaction {
  readonly #opts: TransactionOptions;
  readonly #backends = new Map<string, LmtpBackendClient>();
  readonly #accepted: Accepted[] = [];
  readonly #claims: string[] = [];
  #recipients = 0;
  #closed = false;

  constructor(opts: TransactionOptions) {
    this.#opts = opts;
  }

  get acceptedCount(): number {
    return this.#accepted.length;
  }

  get recipientCount(): number {
    return this.#recipients;
  }

  /** RCPT: the reply line(s) for the MTA. */
  async addRecipient(path: string, params: readonly EsmtpParam[]): Promise<string> {
    const opts = this.#opts;
    const claimId = `${opts.sessionId}.r${++this.#recipients}`;
    const resolved = await resolveRecipient(opts.deps, { path, params, claimId, ttl: opts.ttl, log: opts.log });
    if (!resolved.ok) return resolved.reply;
    if (resolved.claimed) this.#claims.push(claimId);
    if (this.#closed) {
      this.#release(claimId);
      return remoteNotAnswering('connection lost');
    }
    const key = targetKey(resolved.target);
    let backend = this.#backends.get(key);
    if (backend === undefined) {
      backend = new LmtpBackendClient(resolved.target, {
        lhloName: opts.lhloName,
        tls: opts.tls,
        xclient: { ...opts.xclient, ttl: opts.ttl, user: resolved.user, forward: {} },
        mailFrom: opts.mailFrom,
        sourceIp: opts.deps.sourceIp,
        log: opts.log,
      });
      this.#backends.set(key, backend);
    }
    const verdict = await backend.rcpt(resolved.rcptLine);
    const log = { user: resolved.user, backend: resolved.backendId ?? '', backend_host: resolved.target.host, backend_port: resolved.target.port };
    if (verdict.kind === 'trouble') {
      opts.log.info({ ...log, trouble: verdict.trouble }, 'lmtp recipient: backend not answering');
      this.#release(claimId);
      return remoteNotAnswering(verdict.trouble);
    }
    const reply = verdict.reply;
    if (Math.floor(reply.status / 100) === 2) {
      // As lmtp-proxy.c: an accepted recipient is logged once, with its delivery ("lmtp delivered").
      opts.log.debug({ ...log, status: reply.status }, 'lmtp recipient');
      this.#accepted.push({ path, user: resolved.user, backendId: log.backend, backend });
      return renderReply(reply, '2.1.0');
    }
    opts.log.info({ ...log, status: reply.status }, 'lmtp recipient');
    this.#release(claimId);
    return renderReply(reply, enhancedClass(reply.status, '0.0'));
  }

  /**
   * DATA: every backend with accepted recipients is sent DATA; the stream
   * takes the message to those that answered 354. Those that did not keep
   * their answer for their recipients.
   */
  async startData(): Promise<{ stream: MessageStream; finish: () => Promise<string[]> }> {
    const live = [...new Set(this.#accepted.map((a) => a.backend))];
    const refusals = new Map<LmtpBackendClient, BackendVerdict>();
    await Promise.all(
      live.map(async (backend) => {
        const verdict = await backend.startData();
        if (verdict.kind === 'reply' && verdict.reply.status === 354) return;
        refusals.set(backend, verdict);
        if (verdict.kind === 'reply') backend.quit();
      }),
    );
    const sinks = live.filter((b) => !refusals.has(b));
    return { stream: new MessageStream(sinks), finish: () => this.#finish(sinks, refusals) };
  }

  async #finish(sinks: readonly LmtpBackendClient[], refusals: ReadonlyMap<LmtpBackendClient, BackendVerdict>): Promise<string[]> {
    const replies = new Map<LmtpBackendClient, BackendVerdict[]>();
    await Promise.all(
      sinks.map(async (backend) => {
        replies.set(backend, await backend.dataReplies());
      }),
    );
    const next = new Map<LmtpBackendClient, number>();
    const out: string[] = [];
    for (const a of this.#accepted) {
      const refused = refusals.get(a.backend);
      let verdict: BackendVerdict | undefined = refused;
      if (verdict === undefined) {
        const i = next.get(a.backend) ?? 0;
        next.set(a.backend, i + 1);
        verdict = replies.get(a.backend)?.[i];
      }
      out.push(this.#dataReply(a, verdict));
    }
    return out;
  }

  #dataReply(a: Accepted, verdict: BackendVerdict | undefined): string {
    const log = { user: a.user, backend: a.backendId, backend_host: a.backend.target.host, backend_port: a.backend.target.port };
    if (verdict === undefined || verdict.kind === 'trouble') {
      const trouble = verdict?.trouble ?? 'connection lost';
      this.#opts.log.info({ ...log, trouble }, 'lmtp delivery failed: backend not answering');
      return remoteNotAnswering(trouble);
    }
    const reply = verdict.reply;
    if (Math.floor(reply.status / 100) === 2) {
      this.#opts.log.info({ ...log, status: reply.status }, 'lmtp delivered');
      // lmtp-proxy.c: our own success text naming the recipient, the backend's enhanced code kept.
      const code = /^(2\.\d{1,3}\.\d{1,3})( |$)/.exec(reply.lines[0] ?? '')?.[1] ?? '2.0.0';
      return `250 ${code} <${a.path}> ${this.#opts.sessionId} Saved`;
    }
    this.#opts.log.info({ ...log, status: reply.status }, 'lmtp delivery refused by backend');
    return renderReply(reply, enhancedClass(reply.status, '0.0'));
  }

  /** RSET, a new MAIL after DATA, QUIT or a closed connection: QUIT the backends, release the claims. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const backend of this.#backends.values()) backend.quit();
    this.#backends.clear();
    for (const id of this.#claims.splice(0)) this.#opts.deps.placement?.release(id);
  }

  /** The MTA went away mid-message: drop the backend connections (a QUIT now would be message text). */
  abort(): void {
    for (const backend of this.#backends.values()) backend.destroy();
    this.close();
  }

  #release(claimId: string): void {
    const at = this.#claims.indexOf(claimId);
    if (at < 0) return;
    this.#claims.splice(at, 1);
    this.#opts.deps.placement?.release(claimId);
  }
}
