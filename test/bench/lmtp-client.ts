/**
 * The MTA side of the LMTP load (RFC 2033, PIPELINING per RFC 2920): one
 * persistent connection, greeted once, that runs transactions as Postfix's
 * lmtp client does: MAIL FROM, every RCPT TO and DATA in one write, the
 * message after 354, then one reply per accepted recipient. Only reply
 * codes are read; every recipient's final reply is counted, so a run that
 * fails deliveries says so instead of looking fast.
 */
import { smtpReply } from './protocol.js';
import { Wire, WireError, type ConnectOptions } from './wire.js';

const END_OF_DATA = Buffer.from('.\r\n');

/** A message of about `size` bytes as DATA carries it (CRLF lines, none starting with a dot), without the end line. */
export function messageText(size: number): Buffer {
  const head = `From: bench@example.org\r\nTo: bench@example.org\r\nSubject: lmtp bench ${size} bytes\r\nMessage-ID: <bench-lmtp-${size}@example.org>\r\n\r\n`;
  const line = `${'0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'.repeat(2).slice(0, 76)}\r\n`;
  const lines = Math.max(1, Math.round((size - head.length) / line.length));
  return Buffer.from(head + line.repeat(lines), 'latin1');
}

/** How the recipients of one transaction were answered. */
export interface Outcome {
  readonly recipients: number;
  /** RCPT TO answered 2xx. */
  readonly accepted: number;
  /** Final replies (after the message) that were 250. */
  readonly delivered: number;
  /** The first reply that was not what a delivery needs, for the error samples. */
  readonly failure: string | undefined;
}

/** A transaction whose DATA got 354: the message may be sent. */
export interface OpenTransaction {
  readonly recipients: number;
  readonly accepted: number;
}

export class LmtpClient {
  readonly #wire: Wire;

  private constructor(wire: Wire) {
    this.#wire = wire;
  }

  /** Connect, read the 220 greeting and greet with LHLO. */
  static async open(opts: ConnectOptions): Promise<LmtpClient> {
    const wire = await Wire.connect(opts);
    try {
      const greeting = await smtpReply(wire);
      if (!greeting.startsWith('220')) throw new WireError(`greeting: ${greeting.slice(0, 80)}`);
      wire.send('LHLO bench.example.org');
      const lhlo = await smtpReply(wire);
      if (!lhlo.startsWith('250')) throw new WireError(`LHLO: ${lhlo.slice(0, 80)}`);
    } catch (err) {
      wire.close();
      throw err;
    }
    return new LmtpClient(wire);
  }

  /**
   * MAIL, the RCPTs and DATA in one write; every reply read. Returns the
   * transaction when DATA got 354, else the outcome (the transaction is
   * reset with RSET so the connection can go on).
   */
  async begin(from: string, recipients: readonly string[]): Promise<OpenTransaction | Outcome> {
    const lines = [`MAIL FROM:<${from}>`, ...recipients.map((r) => `RCPT TO:<${r}>`), 'DATA'];
    await this.#wire.write(Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1'));
    let failure: string | undefined;
    const mail = await smtpReply(this.#wire);
    if (!mail.startsWith('250')) failure = `MAIL: ${mail.slice(0, 120)}`;
    let accepted = 0;
    for (let i = 0; i < recipients.length; i++) {
      const rcpt = await smtpReply(this.#wire);
      if (rcpt.startsWith('2')) accepted++;
      else failure ??= `RCPT: ${rcpt.slice(0, 120)}`;
    }
    const data = await smtpReply(this.#wire);
    if (data.startsWith('354')) return { recipients: recipients.length, accepted };
    failure ??= `DATA: ${data.slice(0, 120)}`;
    this.#wire.send('RSET');
    await smtpReply(this.#wire);
    return { recipients: recipients.length, accepted, delivered: 0, failure };
  }

  /** Message bytes (resolves once the kernel took them). */
  send(text: Buffer): Promise<void> {
    return this.#wire.write(text);
  }

  /** The end line, then one reply per accepted recipient (RFC 2033 §4.2). */
  async end(open: OpenTransaction): Promise<Outcome> {
    await this.#wire.write(END_OF_DATA);
    let delivered = 0;
    let failure: string | undefined;
    for (let i = 0; i < open.accepted; i++) {
      const reply = await smtpReply(this.#wire);
      if (reply.startsWith('250')) delivered++;
      else failure ??= `after DATA: ${reply.slice(0, 120)}`;
    }
    if (failure === undefined && open.accepted < open.recipients) failure = `${open.recipients - open.accepted} recipient(s) refused`;
    return { ...open, delivered, failure };
  }

  /** One whole transaction. */
  async deliver(from: string, recipients: readonly string[], text: Buffer): Promise<Outcome> {
    const open = await this.begin(from, recipients);
    if ('delivered' in open) return open;
    await this.send(text);
    return this.end(open);
  }

  async quit(): Promise<void> {
    this.#wire.send('QUIT');
    await smtpReply(this.#wire).catch(() => undefined);
    this.#wire.close();
  }

  close(): void {
    this.#wire.close();
  }
}
