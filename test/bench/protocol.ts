/** The IMAP and POP3 steps the scenarios are made of (client side, happy path only). */
import { lineMarker, Wire, WireError, type ConnectOptions } from './wire.js';

export type Protocol = 'imap' | 'pop3';

export interface Credentials {
  readonly name: string;
  readonly password: string;
}

const POP3_END = Buffer.from('\r\n.\r\n');
const ANY_LINE = lineMarker('');

function imapQuote(s: string): string {
  return `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** A logged-in (or about to be) client of one protocol. */
export class MailClient {
  readonly #wire: Wire;
  readonly #protocol: Protocol;
  #tag = 0;

  private constructor(wire: Wire, protocol: Protocol) {
    this.#wire = wire;
    this.#protocol = protocol;
  }

  /** Connect and read the greeting. */
  static async open(protocol: Protocol, opts: ConnectOptions): Promise<MailClient> {
    const wire = await Wire.connect(opts);
    const client = new MailClient(wire, protocol);
    try {
      const greeting = await wire.expect(ANY_LINE);
      const ok = protocol === 'imap' ? greeting.startsWith('* OK') : greeting.startsWith('+OK');
      if (!ok) throw new WireError(`greeting: ${greeting.slice(0, 80)}`);
    } catch (err) {
      wire.close();
      throw err;
    }
    return client;
  }

  get bytesRead(): number {
    return this.#wire.bytesRead;
  }

  async #imap(command: string): Promise<void> {
    const tag = `A${++this.#tag}`;
    this.#wire.send(`${tag} ${command}`);
    const rest = await this.#wire.expect(lineMarker(`${tag} `));
    if (!rest.startsWith('OK')) throw new WireError(`${command.split(' ')[0] ?? ''}: ${rest.slice(0, 80)}`);
  }

  async #pop3(command: string): Promise<void> {
    this.#wire.send(command);
    const line = await this.#wire.expect(ANY_LINE);
    if (!line.startsWith('+OK')) throw new WireError(`${command.split(' ')[0] ?? ''}: ${line.slice(0, 80)}`);
  }

  async login(user: Credentials): Promise<void> {
    if (this.#protocol === 'imap') {
      await this.#imap(`LOGIN ${imapQuote(user.name)} ${imapQuote(user.password)}`);
    } else {
      await this.#pop3(`USER ${user.name}`);
      await this.#pop3(`PASS ${user.password}`);
    }
  }

  /** IMAP: SELECT INBOX + FETCH 1:* FLAGS; POP3: STAT + LIST. */
  async browse(): Promise<void> {
    if (this.#protocol === 'imap') {
      await this.#imap('SELECT INBOX');
      await this.#imap('FETCH 1:* FLAGS');
    } else {
      await this.#pop3('STAT');
      this.#wire.send('LIST');
      await this.#wire.expect(POP3_END, true);
    }
  }

  /** IMAP: EXAMINE INBOX (read-only, so repeated fetches change nothing); POP3: already in its maildrop. */
  async open(): Promise<void> {
    if (this.#protocol === 'imap') await this.#imap('EXAMINE INBOX');
  }

  /** Message 1 in full: FETCH BODY.PEEK[] or RETR. */
  async fetchFirst(): Promise<void> {
    if (this.#protocol === 'imap') {
      await this.#imap('FETCH 1 BODY.PEEK[]');
    } else {
      this.#wire.send('RETR 1');
      await this.#wire.expect(POP3_END, true);
    }
  }

  /** IMAP: IDLE until the continuation; POP3 has none, the session just sits logged in. */
  async idle(): Promise<void> {
    if (this.#protocol !== 'imap') return;
    const tag = `A${++this.#tag}`;
    this.#wire.send(`${tag} IDLE`);
    await this.#wire.expect(lineMarker('+'));
  }

  async logout(): Promise<void> {
    if (this.#protocol === 'imap') await this.#imap('LOGOUT');
    else await this.#pop3('QUIT');
    this.#wire.close();
  }

  close(): void {
    this.#wire.close();
  }
}
