/**
 * Cuts input into commands of the IMAP family: CRLF-terminated line
 * segments and the `{n}` / `{n+}` literals between them (IMAP, RFC 3501
 * §4.3; ManageSieve, RFC 5804 §4, which borrows IMAP's strings). No
 * tokenising here (each protocol's parser.ts does that) and no
 * string concatenation of chunks: input stays in Buffers until a whole
 * segment is known.
 *
 * Pull-based: `push()` stores bytes, `next()` returns the next event or
 * undefined when more input is needed. A caller that stops calling `next()`
 * (login pending) leaves the rest buffered; `takeRemaining()` hands it on.
 */

/** One command: `segments[i]` is followed by `literals[i]`; the last segment has no literal. */
export interface FramedCommand {
  readonly segments: readonly Buffer[];
  readonly literals: readonly Buffer[];
}

export type FramerErrorKind = 'line_too_long' | 'literal_too_big';

export type FramerEvent =
  | { readonly kind: 'command'; readonly command: FramedCommand }
  /** A synchronizing literal within limits was announced: IMAP writes `+ OK`; ManageSieve writes nothing. */
  | { readonly kind: 'continue'; readonly size: number }
  /** The connection should be closed; the framer accepts nothing more. */
  | { readonly kind: 'error'; readonly error: FramerErrorKind; readonly nonSync: boolean };

export interface FramerLimits {
  /** Longest command line (all segments, without literal data), bytes. */
  readonly maxLineLength: number;
  readonly maxLiteralSize: number;
}

const LF = 0x0a;
const CR = 0x0d;
// `{123}` or `{123+}` at the very end of a segment.
const LITERAL_TAIL = /\{(\d{1,20})(\+?)\}$/;

export class LiteralFramer {
  readonly #limits: FramerLimits;
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** Bytes at the front of #chunks already searched for LF without success. */
  #scanned = 0;
  #segments: Buffer[] = [];
  #literals: Buffer[] = [];
  #lineBytes = 0;
  #literalWanted: number | undefined;
  #failed = false;

  constructor(limits: FramerLimits) {
    this.#limits = limits;
  }

  push(chunk: Buffer): void {
    if (this.#failed || chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  get bufferedBytes(): number {
    return this.#buffered;
  }

  next(): FramerEvent | undefined {
    if (this.#failed) return undefined;
    if (this.#literalWanted !== undefined) {
      if (this.#buffered < this.#literalWanted) return undefined;
      this.#literals.push(this.#take(this.#literalWanted));
      this.#literalWanted = undefined;
    }
    const lfAt = this.#findLf();
    if (lfAt < 0) {
      if (this.#lineBytes + this.#buffered > this.#limits.maxLineLength) return this.#fail('line_too_long', false);
      return undefined;
    }
    let line = this.#take(lfAt + 1);
    line = line.subarray(0, line.length - (line.length >= 2 && line[line.length - 2] === CR ? 2 : 1));
    this.#lineBytes += line.length;
    if (this.#lineBytes > this.#limits.maxLineLength) return this.#fail('line_too_long', false);
    this.#segments.push(line);
    const literal = literalAtEnd(line);
    if (literal === undefined) {
      const command: FramedCommand = { segments: this.#segments, literals: this.#literals };
      this.#segments = [];
      this.#literals = [];
      this.#lineBytes = 0;
      return { kind: 'command', command };
    }
    if (literal.size > this.#limits.maxLiteralSize) return this.#fail('literal_too_big', literal.nonSync);
    this.#literalWanted = literal.size;
    if (!literal.nonSync) return { kind: 'continue', size: literal.size };
    return this.next();
  }

  /** Everything not yet returned as a command (bytes pipelined after a command), emptying the framer. */
  takeRemaining(): Buffer {
    const rest = this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks, this.#buffered);
    this.#chunks = [];
    this.#buffered = 0;
    this.#scanned = 0;
    return rest;
  }

  /** Drop all buffered input and any half-read command (STARTTLS injection defence). */
  discard(): number {
    const dropped = this.#buffered;
    this.takeRemaining();
    this.#segments = [];
    this.#literals = [];
    this.#lineBytes = 0;
    this.#literalWanted = undefined;
    return dropped;
  }

  #fail(error: FramerErrorKind, nonSync: boolean): FramerEvent {
    this.#failed = true;
    this.discard();
    return { kind: 'error', error, nonSync };
  }

  #findLf(): number {
    let base = 0;
    for (const chunk of this.#chunks) {
      const from = Math.max(0, this.#scanned - base);
      if (from < chunk.length) {
        const at = chunk.indexOf(LF, from);
        if (at >= 0) {
          this.#scanned = 0;
          return base + at;
        }
      }
      base += chunk.length;
    }
    this.#scanned = base;
    return -1;
  }

  /** Remove and return the first `n` bytes; copies only when they span chunks. */
  #take(n: number): Buffer {
    this.#buffered -= n;
    this.#scanned = 0;
    const first = this.#chunks[0];
    if (first !== undefined && first.length >= n) {
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[0] as Buffer;
      const need = n - filled;
      if (chunk.length <= need) {
        chunk.copy(out, filled);
        filled += chunk.length;
        this.#chunks.shift();
      } else {
        chunk.copy(out, filled, 0, need);
        this.#chunks[0] = chunk.subarray(need);
        filled = n;
      }
    }
    return out;
  }
}

function literalAtEnd(line: Buffer): { size: number; nonSync: boolean } | undefined {
  if (line.length < 3 || line[line.length - 1] !== 0x7d /* } */) return undefined;
  const tail = line.subarray(Math.max(0, line.length - 24)).toString('latin1');
  const match = LITERAL_TAIL.exec(tail);
  if (match === null) return undefined;
  return { size: Number(match[1]), nonSync: match[2] === '+' };
}
