import type { FramedCommand } from '../../session/literal-framer.js';

/**
 * Tokenises ManageSieve commands and responses (RFC 5804 §4): atoms,
 * quoted strings and literals, no lists or tags. Error texts are
 * Pigeonhole's (lib-managesieve/managesieve-parser.c).
 */

export type SieveArg =
  | { readonly type: 'atom'; readonly value: string }
  | { readonly type: 'string'; readonly value: string; readonly literal: boolean };

export interface SieveCommand {
  /** Upper-cased command name; '' for an empty line. */
  readonly name: string;
  readonly args: readonly SieveArg[];
}

export class SieveParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SieveParseError';
  }
}

const SP = 0x20;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const LITERAL = /^\{(\d{1,20})\+?\}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The command name only: Pigeonhole does not parse the arguments of a command it does not know. */
export function commandName(command: FramedCommand): string {
  const first = command.segments[0] as Buffer;
  const space = first.indexOf(SP);
  return first.toString('latin1', 0, space < 0 ? first.length : space).toUpperCase();
}

/** The arguments after the command name. Throws SieveParseError. */
export function parseArguments(command: FramedCommand): readonly SieveArg[] {
  const first = command.segments[0] as Buffer;
  const space = first.indexOf(SP);
  return new Cursor(command, space < 0 ? first.length : space).args();
}

/** A whole line of arguments (an AUTHENTICATE response, a backend reply). Throws SieveParseError. */
export function parseLine(command: FramedCommand): readonly SieveArg[] {
  return new Cursor(command, 0).args();
}

/** The string value of a quoted string or literal (not an atom), else undefined. */
export function stringArg(arg: SieveArg | undefined): string | undefined {
  return arg?.type === 'string' ? arg.value : undefined;
}

class Cursor {
  readonly #command: FramedCommand;
  #segment = 0;
  #pos: number;

  constructor(command: FramedCommand, start: number) {
    this.#command = command;
    this.#pos = start;
  }

  get #bytes(): Buffer {
    return this.#command.segments[this.#segment] as Buffer;
  }

  args(): SieveArg[] {
    const out: SieveArg[] = [];
    for (;;) {
      // Pigeonhole skips any run of spaces between arguments and before the line end.
      while (this.#bytes[this.#pos] === SP) this.#pos++;
      if (this.#pos >= this.#bytes.length) {
        if (this.#segment >= this.#command.segments.length - 1) return out;
        throw new SieveParseError('Invalid literal size');
      }
      out.push(this.#arg());
    }
  }

  #arg(): SieveArg {
    const c = this.#bytes[this.#pos] as number;
    if (c === DQUOTE) return this.#quoted();
    if (c === LBRACE) return this.#literal();
    return this.#atom();
  }

  #quoted(): SieveArg {
    const bytes = this.#bytes;
    const out: number[] = [];
    for (let i = this.#pos + 1; i < bytes.length; i++) {
      const c = bytes[i] as number;
      if (c === DQUOTE) {
        this.#pos = i + 1;
        return { type: 'string', value: decode(Buffer.from(out), 'Invalid UTF-8 character in quoted-string.'), literal: false };
      }
      if (c === 0) throw new SieveParseError('NULs not allowed in strings');
      if (c === BACKSLASH) {
        const escaped = bytes[i + 1];
        if (escaped !== DQUOTE && escaped !== BACKSLASH) {
          throw new SieveParseError('Escaped quoted-string character is not a QUOTED-SPECIAL.');
        }
        out.push(escaped);
        i++;
        continue;
      }
      out.push(c);
    }
    // The line ended inside the string: Pigeonhole meets the CR and says so.
    throw new SieveParseError('String contains invalid character.');
  }

  #literal(): SieveArg {
    const bytes = this.#bytes;
    // The framer only cuts a segment after `{n}` or `{n+}`: a brace elsewhere is not a literal.
    const text = bytes.toString('latin1', this.#pos);
    if (!LITERAL.test(text) || this.#segment >= this.#command.literals.length) throw new SieveParseError('Invalid literal size');
    const data = this.#command.literals[this.#segment] as Buffer;
    this.#segment++;
    this.#pos = 0;
    return { type: 'string', value: decode(data, 'Invalid UTF-8 character in literal string.'), literal: true };
  }

  #atom(): SieveArg {
    const bytes = this.#bytes;
    const start = this.#pos;
    while (this.#pos < bytes.length && bytes[this.#pos] !== SP) {
      const c = bytes[this.#pos] as number;
      if (c >= 0x80) throw new SieveParseError('8bit data in atom');
      if (isAtomSpecial(c)) throw new SieveParseError('Invalid characters in atom');
      this.#pos++;
    }
    return { type: 'atom', value: bytes.toString('latin1', start, this.#pos) };
  }
}

/** Pigeonhole's IS_ATOM_SPECIAL (lib-managesieve/managesieve-arg.h): ( ) { SP CTL " \ */
function isAtomSpecial(c: number): boolean {
  return c < 0x20 || c === 0x7f || c === 0x28 || c === 0x29 || c === LBRACE || c === DQUOTE || c === BACKSLASH;
}

function decode(bytes: Buffer, error: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new SieveParseError(error);
  }
}
