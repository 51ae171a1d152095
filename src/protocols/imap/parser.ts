import type { FramedCommand } from './framer.js';

/** A tokenised IMAP argument. Strings (quoted or literal) are decoded as UTF-8. */
export type ImapArg =
  | { readonly type: 'atom'; readonly value: string }
  | { readonly type: 'string'; readonly value: string; readonly literal: boolean }
  | { readonly type: 'list'; readonly items: readonly ImapArg[] };

export interface ParsedCommand {
  /** '' when the client sent an invalid tag (Dovecot then answers with `*`). */
  readonly tag: string;
  /** Upper-cased command name. */
  readonly name: string;
  readonly args: readonly ImapArg[];
}

export class ImapParseError extends Error {
  /** The tag, when it could be read, so the BAD reply can carry it. */
  readonly tag: string;

  constructor(message: string, tag: string) {
    super(message);
    this.name = 'ImapParseError';
    this.tag = tag;
  }
}

const SP = 0x20;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const LPAREN = 0x28;
const RPAREN = 0x29;
const LBRACE = 0x7b;
const MAX_TAG_LENGTH = 100;
const MAX_LIST_DEPTH = 4;

/**
 * Dovecot's imap_is_valid_tag: no atom-specials, wildcards, quoted-specials,
 * `+` or CTLs; and 7-bit only (RFC 3501 CHAR; Dovecot's `*tag < ' '` on a
 * signed char refuses 8-bit bytes too), so a tag is always echoed exactly.
 */
export function isValidTag(tag: string): boolean {
  if (tag.length === 0 || tag.length > MAX_TAG_LENGTH) return false;
  for (let i = 0; i < tag.length; i++) {
    const c = tag.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || '+(){/%*"\\'.includes(tag[i] as string)) return false;
  }
  return true;
}

/** Tokenise one framed command. Throws ImapParseError with Dovecot-like messages. */
export function parseCommand(command: FramedCommand): ParsedCommand {
  const cursor = new Cursor(command);
  const rawTag = cursor.word();
  const tag = isValidTag(rawTag) ? rawTag : '';
  if (!cursor.skipSpace()) throw new ImapParseError('Missing command name', tag);
  const name = cursor.word().toUpperCase();
  if (name.length === 0) throw new ImapParseError('Missing command name', tag);
  const args: ImapArg[] = [];
  try {
    while (cursor.skipSpace()) {
      args.push(cursor.arg(0));
    }
    if (!cursor.atEnd()) throw new ImapParseError('Unexpected character', tag);
  } catch (err) {
    if (err instanceof ImapParseError && err.tag !== tag) throw new ImapParseError(err.message, tag);
    throw err;
  }
  return { tag, name, args };
}

/** Only the tag and name, for commands that read their own arguments (AUTHENTICATE continuation). */
export function textOf(command: FramedCommand): string | undefined {
  if (command.segments.length !== 1) return undefined;
  return (command.segments[0] as Buffer).toString('latin1');
}

class Cursor {
  readonly #command: FramedCommand;
  #segment = 0;
  #pos = 0;

  constructor(command: FramedCommand) {
    this.#command = command;
  }

  get #bytes(): Buffer {
    return this.#command.segments[this.#segment] as Buffer;
  }

  atEnd(): boolean {
    return this.#pos >= this.#bytes.length && this.#segment === this.#command.segments.length - 1;
  }

  /** Consume one SP; false at end of command. */
  skipSpace(): boolean {
    if (this.#pos >= this.#bytes.length) return false;
    if (this.#bytes[this.#pos] !== SP) throw new ImapParseError('Expected space', '');
    this.#pos++;
    return true;
  }

  /** Bytes up to SP or end, as Dovecot's imap_parser_read_word. */
  word(): string {
    const bytes = this.#bytes;
    const start = this.#pos;
    while (this.#pos < bytes.length && bytes[this.#pos] !== SP) this.#pos++;
    return bytes.toString('latin1', start, this.#pos);
  }

  arg(depth: number): ImapArg {
    const bytes = this.#bytes;
    const c = bytes[this.#pos];
    if (c === undefined) throw new ImapParseError('Missing argument', '');
    if (c === DQUOTE) return this.#quoted();
    if (c === LBRACE) return this.#literal();
    if (c === LPAREN) return this.#list(depth);
    return this.#atom();
  }

  #quoted(): ImapArg {
    const bytes = this.#bytes;
    this.#pos++;
    // Most quoted strings (user names, passwords) have no escapes: decode them in place.
    const start = this.#pos;
    for (let i = start; i < bytes.length; i++) {
      const c = bytes[i];
      if (c === BACKSLASH) break;
      if (c === DQUOTE) {
        this.#pos = i + 1;
        return { type: 'string', value: bytes.toString('utf8', start, i), literal: false };
      }
    }
    const out: number[] = [];
    for (;;) {
      const c = bytes[this.#pos];
      if (c === undefined) throw new ImapParseError('Missing \'"\'', '');
      this.#pos++;
      if (c === DQUOTE) break;
      if (c === BACKSLASH) {
        const escaped = bytes[this.#pos];
        if (escaped !== DQUOTE && escaped !== BACKSLASH) throw new ImapParseError('Invalid escape in quoted string', '');
        this.#pos++;
        out.push(escaped);
        continue;
      }
      out.push(c);
    }
    return { type: 'string', value: Buffer.from(out).toString('utf8'), literal: false };
  }

  #literal(): ImapArg {
    const bytes = this.#bytes;
    const close = bytes.indexOf(0x7d, this.#pos);
    // The framer only cuts a segment after `{n}`: a brace elsewhere is not a literal.
    if (close !== bytes.length - 1 || this.#segment >= this.#command.literals.length) {
      throw new ImapParseError('Invalid literal size', '');
    }
    const data = this.#command.literals[this.#segment] as Buffer;
    this.#segment++;
    this.#pos = 0;
    return { type: 'string', value: data.toString('utf8'), literal: true };
  }

  #list(depth: number): ImapArg {
    if (depth >= MAX_LIST_DEPTH) throw new ImapParseError('Too deep list nesting', '');
    this.#pos++;
    const items: ImapArg[] = [];
    for (;;) {
      const c = this.#bytes[this.#pos];
      if (c === undefined) throw new ImapParseError("Missing ')'", '');
      if (c === RPAREN) {
        this.#pos++;
        return { type: 'list', items };
      }
      if (items.length > 0) {
        if (c !== SP) throw new ImapParseError("Missing ')'", '');
        this.#pos++;
      }
      items.push(this.arg(depth + 1));
    }
  }

  #atom(): ImapArg {
    const bytes = this.#bytes;
    const start = this.#pos;
    while (this.#pos < bytes.length) {
      const c = bytes[this.#pos] as number;
      if (c === SP || c === LPAREN || c === RPAREN || c === DQUOTE || c === LBRACE) break;
      if (c < 0x20 || c === 0x7f) throw new ImapParseError('Invalid characters in atom', '');
      this.#pos++;
    }
    if (this.#pos === start) throw new ImapParseError('Unexpected character', '');
    return { type: 'atom', value: bytes.toString('utf8', start, this.#pos) };
  }
}

/** A string-like argument (atom, quoted or literal) as text, or undefined. */
export function argString(arg: ImapArg | undefined): string | undefined {
  if (arg === undefined || arg.type === 'list') return undefined;
  return arg.value;
}
