/**
 * Cuts CRLF lines (POP3 and SMTP commands, SASL continuations) out of a byte stream.
 * Only framing: no parsing, no decoding. Stays in Buffers so a long line that
 * trickles in byte by byte costs one scan per byte, not a string rebuild.
 */
/** A line (without its CRLF), or one longer than the limit: the connection must end. */
export type LineFrame = { readonly kind: 'line'; readonly line: Buffer } | { readonly kind: 'too-long' };

const LF = 0x0a;
const CR = 0x0d;
const TOO_LONG: LineFrame = { kind: 'too-long' };

export class LineFramer {
  readonly #maxLineLength: number;
  #buffer: Buffer = Buffer.alloc(0);
  /** Bytes of #buffer already known to hold no LF, so they are not scanned again. */
  #scanned = 0;

  constructor(maxLineLength: number) {
    this.#maxLineLength = maxLineLength;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
  }

  /** The next line, or undefined when more input is needed (the session kit's Framer contract). */
  next(): LineFrame | undefined {
    const lf = this.#buffer.indexOf(LF, this.#scanned);
    if (lf < 0) {
      this.#scanned = this.#buffer.length;
      // A CR may still be followed by its LF, so allow one extra byte before giving up.
      return this.#buffer.length > this.#maxLineLength + 1 ? TOO_LONG : undefined;
    }
    const end = lf > 0 && this.#buffer[lf - 1] === CR ? lf - 1 : lf;
    if (end > this.#maxLineLength) return TOO_LONG;
    const line = this.#buffer.subarray(0, end);
    this.#buffer = this.#buffer.subarray(lf + 1);
    this.#scanned = 0;
    return { kind: 'line', line };
  }

  /** Bytes received but not yet returned as lines; the framer is left empty. */
  takeRemaining(): Buffer {
    const rest = Buffer.from(this.#buffer);
    this.#buffer = Buffer.alloc(0);
    this.#scanned = 0;
    return rest;
  }

  get bufferedBytes(): number {
    return this.#buffer.length;
  }
}
