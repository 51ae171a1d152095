import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { INITIAL_PROXY_TTL } from '../../session/login-core.js';
import { LineFramer } from '../../net/line-framer.js';
import { ignoreSocketError } from '../../net/ignore-error.js';
import { isProxyHeaderStart } from '../../net/proxy-protocol.js';
import type { Endpoint } from '../../net/listener.js';
import { lhloKeywords } from './capabilities.js';
import { formatParams, MAIL_PARAMS, parseCommandLine, parsePathArgs, RCPT_PARAMS } from './command.js';
import type { MessageStream } from './data-stream.js';
import type { RecipientDeps } from './recipient.js';
import { greeting, idleTimeout, invalidPath, LMTP_TEXT, tooManyInvalid, unexpectedProxyHeader, unsupportedParameter } from './replies.js';
import { LmtpTransaction, MAX_RECIPIENTS } from './transaction.js';

export interface LmtpServerDeps extends RecipientDeps {
  /** Our name in the greeting, LHLO replies and the LHLO we send backends. */
  readonly hostname: string;
  /** The LHLO keywords every backend offers (the ring's lmtp probe), undefined before any probe. */
  readonly capabilities: () => ReadonlySet<string> | undefined;
  readonly log: Logger;
}

/** Dovecot's LMTP client idle time (lmtp-client.c: CLIENT_IDLE_TIMEOUT_MSECS, 5 minutes). */
const IDLE_TIMEOUT_MS = 5 * 60_000;
/** Pipelined commands waiting behind a slow one: past this the MTA is not read until they are done. */
const MAX_PIPELINED_BYTES = 1024 * 1024;
/** Commands Dovecot's LMTP knows but this front end does not offer (not in LHLO): 502, not 500. */
const NOT_OFFERED: ReadonlySet<string> = new Set(['BDAT', 'STARTTLS', 'XCLIENT', 'AUTH', 'BURL', 'ETRN', 'EXPN']);

type Mode = 'command' | 'data' | 'finishing' | 'closed';

/**
 * One MTA connection on the LMTP port (RFC 2033): the command loop with
 * PIPELINING (commands are answered one after the other, in order, however
 * many arrive at once), the limits, and the hand-over to the transaction
 * and its message stream. Not a pre-login session: nobody logs in, each
 * recipient is routed on its own.
 */
export class LmtpConnection {
  readonly #socket: Socket;
  readonly #endpoint: Endpoint;
  readonly #deps: LmtpServerDeps;
  readonly #sessionId: string;
  readonly #log: Logger;
  readonly #framer: LineFramer;
  /** Nothing read yet: the first bytes are checked for a PROXY header. */
  #firstData = true;
  #mode: Mode = 'command';
  #busy = false;
  #helo: string | undefined;
  #transaction: LmtpTransaction | undefined;
  #stream: MessageStream | undefined;
  #finish: (() => Promise<string[]>) | undefined;
  #invalid = 0;
  #pausedForPipeline = false;
  /** Replies not yet written: sent together once the commands received so far are answered. */
  #pending: string[] = [];

  constructor(socket: Socket, endpoint: Endpoint, deps: LmtpServerDeps, sessionId: string) {
    this.#socket = socket;
    this.#endpoint = endpoint;
    this.#deps = deps;
    this.#sessionId = sessionId;
    this.#log = deps.log;
    this.#framer = new LineFramer(deps.config().limits.maxLineLength);
  }

  start(): void {
    const socket = this.#socket;
    socket.on('error', ignoreSocketError);
    socket.on('close', () => this.#closed());
    socket.setTimeout(IDLE_TIMEOUT_MS, () => {
      this.#reply(idleTimeout(this.#deps.hostname));
      this.#end();
    });
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#reply(greeting(this.#deps.hostname));
    this.#flush();
  }

  #onData(chunk: Buffer): void {
    if (this.#mode === 'closed') return;
    if (this.#firstData) {
      this.#firstData = false;
      // A PROXY header where none is taken: its claimed client is not believed, and its v2 form ends in QUIT.
      if (isProxyHeaderStart(chunk)) {
        this.#log.warn('PROXY header on a connection that may not send one: closed (mark the listener haproxy and list the balancer in director.haproxy_trusted_networks)');
        this.#reply(unexpectedProxyHeader(this.#deps.hostname));
        this.#end();
        return;
      }
    }
    if (this.#mode === 'data') {
      this.#onMessageBytes(chunk);
      return;
    }
    this.#framer.push(chunk);
    if (this.#framer.bufferedBytes > MAX_PIPELINED_BYTES && !this.#pausedForPipeline) {
      this.#pausedForPipeline = true;
      this.#socket.pause();
    }
    void this.#pump();
  }

  /** Answer the commands received so far, in order; one at a time. */
  async #pump(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      while (this.#mode === 'command') {
        const frame = this.#framer.next();
        // Everything received is answered: the MTA may be waiting for these replies.
        if (frame === undefined) break;
        if (frame.kind === 'too-long') {
          this.#reply(LMTP_TEXT.lineTooLong);
          this.#end();
          return;
        }
        await this.#command(frame.line.toString('latin1'));
      }
    } catch (err: unknown) {
      this.#log.error({ err }, 'lmtp command failed unexpectedly');
      this.#reply('421 4.3.0 Internal error');
      this.#end();
    } finally {
      this.#busy = false;
      this.#flush();
    }
    if (this.#pausedForPipeline && this.#framer.bufferedBytes <= MAX_PIPELINED_BYTES && this.#mode !== 'closed') {
      this.#pausedForPipeline = false;
      this.#socket.resume();
    }
  }

  async #command(line: string): Promise<void> {
    const { verb, args } = parseCommandLine(line);
    switch (verb) {
      case 'LHLO':
        return this.#lhlo(args);
      case 'MAIL':
        return this.#mail(args);
      case 'RCPT':
        return this.#rcpt(args);
      case 'DATA':
        return this.#data(args);
      case 'RSET':
        if (args.trim() !== '') return this.#bad(LMTP_TEXT.invalidParameters);
        this.#resetTransaction();
        return this.#good(LMTP_TEXT.ok);
      case 'NOOP':
        return this.#good(LMTP_TEXT.ok);
      case 'VRFY':
        return this.#good('252 2.3.3 Try RCPT instead');
      case 'QUIT':
        this.#reply(LMTP_TEXT.bye);
        this.#end();
        return;
      default:
        return this.#bad(NOT_OFFERED.has(verb) ? LMTP_TEXT.unsupportedCommand : LMTP_TEXT.unknownCommand);
    }
  }

  #lhlo(args: string): void {
    const domain = args.trim().split(' ')[0] ?? '';
    if (domain === '') return this.#bad(LMTP_TEXT.missingHostname);
    // RFC 5321 §4.1.4: a new greeting resets the transaction.
    this.#resetTransaction();
    this.#helo = domain;
    const lines = [this.#deps.hostname, ...lhloKeywords(this.#deps.capabilities())];
    this.#good(lines.map((text, i) => `250${i === lines.length - 1 ? ' ' : '-'}${text}`).join('\r\n'));
  }

  #mail(args: string): void {
    if (this.#transaction !== undefined) return this.#bad(LMTP_TEXT.mailAlreadyGiven);
    const parsed = parsePathArgs(args, 'FROM');
    if (!parsed.ok) return this.#bad(invalidPath('FROM', parsed.why));
    const unknown = parsed.params.find((p) => !MAIL_PARAMS.has(p.keyword));
    if (unknown !== undefined) return this.#bad(unsupportedParameter('MAIL', unknown.keyword));
    const ep = this.#endpoint;
    this.#transaction = new LmtpTransaction({
      deps: this.#deps,
      mailFrom: `MAIL FROM:<${parsed.path}>${formatParams(parsed.params)}`,
      sessionId: this.#sessionId,
      ttl: INITIAL_PROXY_TTL - 1,
      lhloName: this.#deps.hostname,
      tls: {
        ca: this.#deps.config().backendTls.ca,
        clientCert: this.#deps.config().backendTls.clientCert,
        clientKey: this.#deps.config().backendTls.clientKey,
      },
      xclient: {
        clientHelo: this.#helo,
        client: { remoteIp: ep.remoteIp, remotePort: ep.remotePort, localIp: ep.localIp, localPort: ep.localPort },
        sessionId: this.#sessionId,
      },
      log: this.#log,
    });
    this.#good(LMTP_TEXT.mailOk);
  }

  async #rcpt(args: string): Promise<void> {
    const transaction = this.#transaction;
    if (transaction === undefined) return this.#bad(LMTP_TEXT.mailNeeded);
    const parsed = parsePathArgs(args, 'TO');
    if (!parsed.ok) return this.#bad(invalidPath('TO', parsed.why));
    if (parsed.path === '') return this.#bad(invalidPath('TO', 'Empty path not allowed'));
    const unknown = parsed.params.find((p) => !RCPT_PARAMS.has(p.keyword));
    if (unknown !== undefined) return this.#bad(unsupportedParameter('RCPT', unknown.keyword));
    if (transaction.recipientCount >= MAX_RECIPIENTS) return this.#good(LMTP_TEXT.tooManyRecipients);
    const reply = await transaction.addRecipient(parsed.path, parsed.params);
    this.#good(reply);
  }

  async #data(args: string): Promise<void> {
    if (args.trim() !== '') return this.#bad(LMTP_TEXT.invalidParameters);
    const transaction = this.#transaction;
    if (transaction === undefined) return this.#bad(LMTP_TEXT.mailNeeded);
    if (transaction.acceptedCount === 0) return this.#bad(LMTP_TEXT.noValidRecipients);
    const { stream, finish } = await transaction.startData();
    if (this.#mode === 'closed') return;
    this.#stream = stream;
    this.#finish = finish;
    this.#mode = 'data';
    this.#good(LMTP_TEXT.dataGo);
    // Message bytes pipelined behind DATA are already in the framer.
    const early = this.#framer.takeRemaining();
    if (early.length > 0) this.#onMessageBytes(early);
  }

  #onMessageBytes(chunk: Buffer): void {
    const stream = this.#stream;
    if (stream === undefined) return;
    const pushed = stream.push(chunk);
    if (pushed.wait !== undefined) {
      this.#socket.pause();
      void pushed.wait.then(() => {
        if (this.#mode !== 'closed' && !this.#pausedForPipeline) this.#socket.resume();
      });
    }
    if (!pushed.done) return;
    this.#mode = 'finishing';
    this.#stream = undefined;
    const rest = chunk.subarray(pushed.used);
    if (rest.length > 0) this.#framer.push(rest);
    void this.#finishData(pushed.size);
  }

  async #finishData(size: number): Promise<void> {
    const finish = this.#finish;
    this.#finish = undefined;
    const replies = finish === undefined ? [] : await finish();
    if (this.#mode === 'closed') return;
    this.#log.debug({ size, recipients: replies.length }, 'lmtp message passed on');
    for (const reply of replies) this.#reply(reply);
    this.#flush();
    // RFC 5321 §4.1.1.4: after the final dot the transaction is over.
    this.#resetTransaction();
    this.#mode = 'command';
    void this.#pump();
  }

  #resetTransaction(): void {
    this.#transaction?.close();
    this.#transaction = undefined;
  }

  #good(reply: string): void {
    this.#invalid = 0;
    this.#reply(reply);
  }

  /** A command refused for its syntax or order; too many in a row end the connection (smtp-server-command.c). */
  #bad(reply: string): void {
    this.#reply(reply);
    this.#invalid++;
    if (this.#invalid > this.#deps.config().limits.maxInvalidCommands) {
      this.#reply(tooManyInvalid(this.#deps.hostname));
      this.#end();
    }
  }

  /**
   * Replies wait until the commands that arrived together are all answered,
   * then go out in one write (RFC 2920 §3.1 lets a server hold replies to
   * pipelined commands): MAIL, RCPT × n and DATA are one write, as are the
   * replies after the final dot, instead of a system call each.
   */
  #reply(text: string): void {
    if (this.#mode === 'closed' || this.#socket.destroyed) return;
    this.#pending.push(text);
  }

  #flush(): void {
    if (this.#pending.length === 0) return;
    const text = this.#pending.length === 1 ? `${this.#pending[0]}\r\n` : `${this.#pending.join('\r\n')}\r\n`;
    this.#pending = [];
    if (this.#socket.destroyed) return;
    this.#socket.write(text);
  }

  #end(): void {
    if (this.#mode === 'closed') return;
    this.#flush();
    this.#dropTransaction();
    this.#mode = 'closed';
    this.#socket.end();
    setTimeout(() => this.#socket.destroy(), 2_000).unref();
  }

  #closed(): void {
    if (this.#mode !== 'closed') this.#dropTransaction();
    this.#mode = 'closed';
  }

  /** The connection ends: mid-message the backends must not take a truncated message for a whole one. */
  #dropTransaction(): void {
    if (this.#mode === 'data') this.#transaction?.abort();
    else this.#transaction?.close();
    this.#transaction = undefined;
  }
}
