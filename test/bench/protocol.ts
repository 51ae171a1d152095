/**
 * The IMAP, POP3, Submission and ManageSieve steps the scenarios are made of
 * (client side, happy path only). Submission and ManageSieve have logins only:
 * greeting, (EHLO), AUTH / AUTHENTICATE PLAIN with an initial response, QUIT / LOGOUT.
 */
import { lineMarker, Wire, WireError, type ConnectOptions } from './wire.js';

export const PROTOCOLS = ['imap', 'pop3', 'submission', 'sieve'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** Protocols with more than a login (session, bulk and idle scenarios) and an implicit-TLS port everywhere. */
export function hasMailbox(protocol: Protocol): protocol is 'imap' | 'pop3' {
  return protocol === 'imap' || protocol === 'pop3';
}

export interface Credentials {
  readonly name: string;
  readonly password: string;
}

const POP3_END = Buffer.from('\r\n.\r\n');
const ANY_LINE = lineMarker('');

function imapQuote(s: string): string {
  return `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** SASL PLAIN initial response: base64 of "\0user\0password". */
function plainResponse(user: Credentials): string {
  return Buffer.from(`\0${user.name}\0${user.password}`, 'utf8').toString('base64');
}

/** The last line of an SMTP reply ("250-..." lines continue it): its code and text. */
export async function smtpReply(wire: Wire): Promise<string> {
  for (;;) {
    const line = await wire.expect(ANY_LINE);
    if (line.charAt(3) !== '-') return line;
  }
}

/** ManageSieve: skip capability lines (they start with a quote) up to the OK / NO / BYE line. */
async function sieveReply(wire: Wire): Promise<string> {
  for (;;) {
    const line = await wire.expect(ANY_LINE);
    if (/^(OK|NO|BYE)\b/i.test(line)) return line;
  }
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
      let greeting: string;
      let ok: boolean;
      switch (protocol) {
        case 'submission':
          greeting = await smtpReply(wire);
          ok = greeting.startsWith('220 ');
          break;
        case 'sieve':
          greeting = await sieveReply(wire);
          ok = greeting.startsWith('OK');
          break;
        default:
          greeting = await wire.expect(ANY_LINE);
          ok = protocol === 'imap' ? greeting.startsWith('* OK') : greeting.startsWith('+OK');
      }
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

  async #smtp(command: string, code: string): Promise<void> {
    this.#wire.send(command);
    const line = await smtpReply(this.#wire);
    if (!line.startsWith(`${code} `)) throw new WireError(`${command.split(' ')[0] ?? ''}: ${line.slice(0, 80)}`);
  }

  async #sieve(command: string): Promise<void> {
    this.#wire.send(command);
    const line = await sieveReply(this.#wire);
    if (!line.startsWith('OK')) throw new WireError(`${command.split(' ')[0] ?? ''}: ${line.slice(0, 80)}`);
  }

  #mailboxOnly(what: string): never {
    throw new WireError(`${what}: not a ${this.#protocol} scenario (logins only)`);
  }

  async login(user: Credentials): Promise<void> {
    switch (this.#protocol) {
      case 'imap':
        await this.#imap(`LOGIN ${imapQuote(user.name)} ${imapQuote(user.password)}`);
        break;
      case 'pop3':
        await this.#pop3(`USER ${user.name}`);
        await this.#pop3(`PASS ${user.password}`);
        break;
      case 'submission':
        await this.#smtp('EHLO bench.example.org', '250');
        await this.#smtp(`AUTH PLAIN ${plainResponse(user)}`, '235');
        break;
      case 'sieve':
        await this.#sieve(`AUTHENTICATE "PLAIN" "${plainResponse(user)}"`);
        break;
    }
  }

  /** IMAP: SELECT INBOX + FETCH 1:* FLAGS; POP3: STAT + LIST. */
  async browse(): Promise<void> {
    if (!hasMailbox(this.#protocol)) this.#mailboxOnly('session');
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
    if (!hasMailbox(this.#protocol)) this.#mailboxOnly('bulk');
    if (this.#protocol === 'imap') await this.#imap('EXAMINE INBOX');
  }

  /** Message 1 in full: FETCH BODY.PEEK[] or RETR. */
  async fetchFirst(): Promise<void> {
    if (!hasMailbox(this.#protocol)) this.#mailboxOnly('bulk');
    if (this.#protocol === 'imap') {
      await this.#imap('FETCH 1 BODY.PEEK[]');
    } else {
      this.#wire.send('RETR 1');
      await this.#wire.expect(POP3_END, true);
    }
  }

  /** IMAP: IDLE until the continuation; POP3 has none, the session just sits logged in. */
  async idle(): Promise<void> {
    if (!hasMailbox(this.#protocol)) this.#mailboxOnly('idle');
    if (this.#protocol !== 'imap') return;
    const tag = `A${++this.#tag}`;
    this.#wire.send(`${tag} IDLE`);
    await this.#wire.expect(lineMarker('+'));
  }

  async logout(): Promise<void> {
    switch (this.#protocol) {
      case 'imap':
        await this.#imap('LOGOUT');
        break;
      case 'pop3':
        await this.#pop3('QUIT');
        break;
      case 'submission':
        await this.#smtp('QUIT', '221');
        break;
      case 'sieve':
        await this.#sieve('LOGOUT');
        break;
    }
    this.#wire.close();
  }

  close(): void {
    this.#wire.close();
  }
}
