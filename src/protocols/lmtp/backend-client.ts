import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { TlsMode } from '../../auth/fields.js';
import { BackendConnectError, connectBackendWithRetry, LOGIN_RECONNECT_DELAY_MS, upgradeClientSocket } from '../../net/backend-connect.js';
import { BackendLineError, BackendLines } from '../../net/backend-lines.js';
import { Deadline } from '../../net/deadline.js';
import { ehloCapabilities, findCapability, readReply, type SmtpReply } from '../../net/smtp-reply.js';
import type { BackendTlsOptions } from '../../session/backend-login.js';
import { xclientLines, type XclientParams } from '../../session/smtp-xclient.js';
import type { BackendTrouble } from './replies.js';

/** Where one backend connection of a transaction goes, from the recipient's passdb fields. */
export interface LmtpBackendTarget {
  readonly host: string;
  readonly port: number;
  readonly sourceIp: string | undefined;
  readonly ssl: TlsMode;
  readonly starttls: TlsMode;
  /** `protocol=smtp`: an SMTP server (EHLO, one reply after DATA for all recipients). */
  readonly protocol: 'lmtp' | 'smtp';
  /** Budget of the connect-to-MAIL exchange, and of each later reply (proxy_timeout). */
  readonly timeoutMs: number;
  /** proxy_not_trusted: no XCLIENT. */
  readonly notTrusted: boolean;
}

export interface LmtpBackendContext {
  /** Our name in LHLO/EHLO. */
  readonly lhloName: string;
  readonly tls: BackendTlsOptions;
  /** What XCLIENT tells a backend that offers it about the MTA. */
  readonly xclient: XclientParams;
  /** `MAIL FROM:<...> params`, as the transaction will send it. */
  readonly mailFrom: string;
  /** login_source_ips: a local address for this connection when the passdb gave no source_ip. */
  readonly sourceIp?: ((host: string) => string | undefined) | undefined;
  readonly log: Logger | undefined;
}

/** A backend's answer to one command: its reply, or why there is none. */
export type BackendVerdict = { readonly kind: 'reply'; readonly reply: SmtpReply } | { readonly kind: 'trouble'; readonly trouble: BackendTrouble };

/** The one key under which a transaction shares a backend connection (lmtp-proxy.c lmtp_proxy_get_connection). */
export function targetKey(t: LmtpBackendTarget): string {
  return `${t.protocol}|${t.host}|${t.port}|${t.ssl}|${t.starttls}|${t.sourceIp ?? ''}`;
}

function troubleOf(err: unknown): BackendTrouble {
  if (err instanceof BackendConnectError) return err.code === 'timeout' ? 'timed out' : 'connect';
  if (err instanceof BackendLineError) {
    if (err.code === 'timeout') return 'timed out';
    if (err.code === 'too-long' || /^(invalid|inconsistent) SMTP reply|too many reply lines/.test(err.message)) return 'bad reply';
  }
  return 'connection lost';
}

/**
 * One backend connection of one LMTP transaction (Dovecot's
 * lmtp_proxy_connection over lib-smtp's client): opened at the first
 * recipient for it, it speaks LHLO (EHLO for protocol=smtp), STARTTLS when
 * asked, XCLIENT to a trusted backend that offers it, MAIL FROM, then each
 * RCPT; DATA bytes are written as they come and one reply per accepted
 * recipient is read at the end. Anything that goes wrong is a trouble kind
 * the transaction turns into `451 4.4.0 Remote server not answering (...)`.
 */
export class LmtpBackendClient {
  readonly target: LmtpBackendTarget;
  readonly #ctx: LmtpBackendContext;
  state = 'connect';
  #socket: Socket | undefined;
  #lines: BackendLines | undefined;
  #opening: Promise<BackendVerdict> | undefined;
  /** Set once the connection is of no more use: every later command gets it. */
  #dead: BackendTrouble | undefined;
  /** The backend's refusal of MAIL FROM: the reply of each of its RCPTs. */
  #mailRefused: SmtpReply | undefined;
  /** The first RCPT, sent in one write with MAIL FROM when the backend offers PIPELINING; its reply is still to be read. */
  #firstRcpt: string | undefined;
  #firstRcptSent = false;
  /** RCPTs this backend accepted, in order (each gets one reply after DATA). */
  accepted = 0;

  constructor(target: LmtpBackendTarget, ctx: LmtpBackendContext) {
    this.target = target;
    this.#ctx = ctx;
  }

  get where(): string {
    return `${this.target.host}:${this.target.port}`;
  }

  /** Connect and start the transaction (MAIL FROM); the same promise for every recipient of this backend. */
  open(): Promise<BackendVerdict> {
    this.#opening ??= this.#open();
    return this.#opening;
  }

  async #open(): Promise<BackendVerdict> {
    const deadline = new Deadline(this.target.timeoutMs);
    try {
      this.#socket = await connectBackendWithRetry(
        {
          host: this.target.host,
          port: this.target.port,
          // Taken per connection, not per recipient: the recipients of one destination share it (targetKey).
          sourceIp: this.target.sourceIp ?? this.#ctx.sourceIp?.(this.target.host),
          tls: this.target.starttls !== 'no' ? 'no' : this.target.ssl,
          ca: this.#ctx.tls.ca,
          cert: this.#ctx.tls.clientCert,
          key: this.#ctx.tls.clientKey,
          deadline,
          sharedReads: this.target.starttls === 'no',
        },
        { delayMs: LOGIN_RECONNECT_DELAY_MS },
      );
      this.#lines = new BackendLines(this.#socket, deadline);
      this.#enter('banner');
      const banner = await this.#reply();
      if (banner.status !== 220) return this.#fail('bad reply', `greeting: ${banner.last}`);
      let capabilities = await this.#hello();
      if (capabilities === undefined) return this.#fail('bad reply', 'LHLO refused');
      if (this.target.ssl === 'no' && this.target.starttls !== 'no') {
        capabilities = await this.#startTls(capabilities, deadline);
        if (capabilities === undefined) return this.#fail('connect', 'STARTTLS failed');
      }
      let pipelining = findCapability(capabilities, 'PIPELINING') !== undefined;
      const xclient = findCapability(capabilities, 'XCLIENT');
      if (xclient !== undefined && !this.target.notTrusted) {
        const proto = this.target.protocol === 'lmtp' ? 'LMTP' : 'ESMTP';
        const lines = xclientLines(this.#ctx.xclient, { offered: xclient.split(' ').slice(1), login: false, proto });
        if (lines.length > 0) {
          this.#enter('xclient');
          let greeted = false;
          for (const line of lines) {
            const reply = await this.#command(line);
            if (Math.floor(reply.status / 100) !== 2) return this.#fail('bad reply', `XCLIENT: ${reply.last}`);
            greeted = reply.status === 220;
          }
          // A new 220 greeting after XCLIENT (Postfix, Dovecot): the session starts over with LHLO.
          if (greeted) {
            const again = await this.#hello();
            if (again === undefined) return this.#fail('bad reply', 'LHLO after XCLIENT refused');
            pipelining = findCapability(again, 'PIPELINING') !== undefined;
          }
        }
      }
      this.#enter('mail-from');
      // RFC 2920: MAIL and the first RCPT in one write, as lib-smtp's client does; the RCPT's reply is read by rcpt().
      const first = pipelining ? this.#firstRcpt : undefined;
      this.#firstRcptSent = first !== undefined;
      const mail = await this.#command(first === undefined ? this.#ctx.mailFrom : `${this.#ctx.mailFrom}\r\n${first}`);
      if (mail.status === 421) return this.#fail('connection lost', mail.last);
      if (Math.floor(mail.status / 100) !== 2) {
        // The backend refuses the sender: every recipient of it hears why.
        this.#mailRefused = mail;
        this.#dead = 'bad reply';
        this.quit();
        return { kind: 'reply', reply: mail };
      }
      this.#enter('rcpt');
      return { kind: 'reply', reply: mail };
    } catch (err: unknown) {
      return this.#fail(troubleOf(err), err instanceof Error ? err.message : String(err));
    } finally {
      deadline.clear();
    }
  }

  /** RCPT for one recipient; `line` is the whole command. The transaction sends one RCPT at a time. */
  async rcpt(line: string): Promise<BackendVerdict> {
    // The first recipient opens the connection and may ride along with MAIL FROM.
    if (this.#opening === undefined) this.#firstRcpt = line;
    await this.open();
    if (this.#mailRefused !== undefined) return { kind: 'reply', reply: this.#mailRefused };
    if (this.#dead !== undefined) return { kind: 'trouble', trouble: this.#dead };
    const sent = this.#firstRcptSent && this.#firstRcpt === line;
    this.#firstRcpt = undefined;
    this.#firstRcptSent = false;
    const verdict = await this.#timed(() => (sent ? this.#reply() : this.#command(line)));
    if (verdict.kind === 'reply' && Math.floor(verdict.reply.status / 100) === 2) this.accepted++;
    return verdict;
  }

  /** Send DATA and wait for 354; false when this backend will not take the message. */
  async startData(): Promise<BackendVerdict> {
    if (this.#dead !== undefined) return { kind: 'trouble', trouble: this.#dead };
    this.#enter('data');
    return this.#timed(() => this.#command('DATA'));
  }

  /** Still taking message bytes. */
  get writable(): boolean {
    const socket = this.#socket;
    return this.#dead === undefined && socket !== undefined && !socket.destroyed && socket.writable;
  }

  /** Message bytes as the MTA sent them (dot-stuffed); false: wait for drained() before more. */
  write(chunk: Buffer): boolean {
    if (!this.writable) return true;
    return (this.#socket as Socket).write(chunk);
  }

  /** Resolves when the queued bytes are written, or the connection is gone. */
  drained(): Promise<void> {
    const socket = this.#socket;
    if (socket === undefined || !this.writable || socket.writableLength === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  }

  /**
   * The replies after the message's final dot: one per accepted recipient
   * for LMTP (RFC 2033 §4.2), one for all of them for SMTP.
   */
  async dataReplies(): Promise<BackendVerdict[]> {
    const count = this.accepted;
    const verdicts: BackendVerdict[] = [];
    this.#enter('data-replies');
    if (this.target.protocol === 'smtp') {
      const one = this.#dead !== undefined ? ({ kind: 'trouble', trouble: this.#dead } as const) : await this.#timed(() => this.#reply());
      for (let i = 0; i < count; i++) verdicts.push(one);
      return verdicts;
    }
    for (let i = 0; i < count; i++) {
      verdicts.push(this.#dead !== undefined ? { kind: 'trouble', trouble: this.#dead } : await this.#timed(() => this.#reply()));
    }
    return verdicts;
  }

  /** The transaction is over: QUIT and let the backend close. */
  quit(): void {
    const socket = this.#socket;
    if (socket === undefined || socket.destroyed || !socket.writable) {
      this.destroy();
      return;
    }
    this.#dead ??= 'connection lost';
    socket.end('QUIT\r\n');
    // A backend that never closes its side is not waited for.
    setTimeout(() => socket.destroy(), 2_000).unref();
  }

  destroy(): void {
    this.#socket?.destroy();
  }

  async #timed(run: () => Promise<SmtpReply>): Promise<BackendVerdict> {
    const deadline = new Deadline(this.target.timeoutMs);
    try {
      this.#lines?.useDeadline(deadline);
      const reply = await run();
      // 421 closes the backend's channel (RFC 5321 §3.8), not the director's: the MTA must not read it as ours.
      if (reply.status === 421) return this.#fail('connection lost', reply.last);
      return { kind: 'reply', reply };
    } catch (err: unknown) {
      return this.#fail(troubleOf(err), err instanceof Error ? err.message : String(err));
    } finally {
      deadline.clear();
    }
  }

  /** LHLO (EHLO for SMTP); the keywords, or undefined when refused. */
  async #hello(): Promise<string[] | undefined> {
    this.#enter('lhlo');
    const verb = this.target.protocol === 'lmtp' ? 'LHLO' : 'EHLO';
    const reply = await this.#command(`${verb} ${this.#ctx.lhloName}`);
    return reply.status === 250 ? ehloCapabilities(reply) : undefined;
  }

  async #startTls(capabilities: readonly string[], deadline: Deadline): Promise<string[] | undefined> {
    if (findCapability(capabilities, 'STARTTLS') === undefined) return undefined;
    this.#enter('starttls');
    const reply = await this.#command('STARTTLS');
    if (reply.status !== 220) return undefined;
    // RFC 3207 §4.2: whatever came before the handshake is not trusted.
    this.#lines?.detach();
    const socket = await upgradeClientSocket(this.#socket as Socket, {
      mode: this.target.starttls === 'any-cert' ? 'any-cert' : 'yes',
      host: this.target.host,
      ca: this.#ctx.tls.ca,
      cert: this.#ctx.tls.clientCert,
      key: this.#ctx.tls.clientKey,
      deadline,
    });
    this.#socket = socket;
    this.#lines = new BackendLines(socket, deadline);
    return this.#hello();
  }

  #command(line: string): Promise<SmtpReply> {
    (this.#socket as Socket).write(Buffer.from(`${line}\r\n`, 'latin1'));
    return this.#reply();
  }

  #reply(): Promise<SmtpReply> {
    return readReply(this.#lines as BackendLines);
  }

  #fail(trouble: BackendTrouble, detail: string): BackendVerdict {
    if (this.#dead === undefined) {
      this.#ctx.log?.warn({ backend_host: this.target.host, backend_port: this.target.port, state: this.state, trouble, detail: detail.slice(0, 200) }, 'lmtp backend failed');
    }
    this.#dead ??= trouble;
    this.destroy();
    return { kind: 'trouble', trouble: this.#dead };
  }

  #enter(state: string): void {
    this.state = state;
    this.#ctx.log?.debug({ state, backend_host: this.target.host, backend_port: this.target.port }, 'lmtp backend state');
  }
}
