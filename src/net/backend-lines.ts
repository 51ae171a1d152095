import { BackendLineError, BackendReader, MAX_BACKEND_LINE } from './backend-reader.js';

export { BackendLineError, MAX_BACKEND_LINE, type BackendLineErrorCode } from './backend-reader.js';

const EMPTY = Buffer.alloc(0);
const LF = 0x0a;
const CR = 0x0d;

/**
 * Reads CRLF (or bare LF) lines from a backend socket while the director
 * logs in there or probes it. Lines come as latin1 strings: each byte is one
 * character, so nothing is replaced or lost (UTF-8 decoding would turn a
 * stray byte into U+FFFD), the ASCII that the state machines look at
 * (`* OK`, `+OK`, tags, capability atoms) reads as itself, and
 * `Buffer.from(line, 'latin1')` gives back the exact bytes when a line is
 * forwarded (decode it as UTF-8 then).

 */
export class BackendLines extends BackendReader<string> {
  #buffer: Buffer = EMPTY;
  /** Bytes at the start of #buffer known to hold no LF: a line trickling in is scanned once. */
  #scanned = 0;

  buffered(): string | undefined {
    const buffer = this.#buffer;
    const lf = buffer.indexOf(LF, this.#scanned);
    if (lf < 0) {
      this.#scanned = buffer.length;
      // A CR may still be followed by its LF: one byte more before giving up.
      if (buffer.length > MAX_BACKEND_LINE + 1) this.#tooLong();
      return undefined;
    }
    const end = lf > 0 && buffer[lf - 1] === CR ? lf - 1 : lf;
    if (end > MAX_BACKEND_LINE) {
      this.#tooLong();
      return undefined;
    }
    const line = buffer.toString('latin1', 0, end);
    this.#buffer = lf + 1 === buffer.length ? EMPTY : buffer.subarray(lf + 1);
    this.#scanned = 0;
    return line;
  }

  protected keep(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#buffer, chunk]);
  }

  protected takeRemaining(): Buffer {
    const rest = this.#buffer;
    this.#buffer = EMPTY;
    this.#scanned = 0;
    return rest;
  }

  #tooLong(): void {
    this.fail(new BackendLineError('too-long', `Remote sent a line longer than ${MAX_BACKEND_LINE} bytes`));
  }
}
