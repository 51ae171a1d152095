/**
 * The message after DATA, on its way to every backend of the transaction
 * as it arrives: no copy of the whole message is kept (a backend that
 * cannot keep up pauses the MTA), and the bytes are passed on exactly as
 * the MTA sent them, dot-stuffing, 8-bit bytes, long lines and the final
 * `.` line included: both sides speak the same DATA syntax (RFC 5321
 * §4.5.2), so nothing is unstuffed and stuffed again.
 */

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;

const enum At {
  MidLine,
  LineStart,
  Dot,
  DotCr,
}

/**
 * Finds the line holding only `.` that ends the message. A bare LF ends a
 * line too (a `.` line after one is the end, as Dovecot's and Postfix's
 * readers take it), so what the backend reads as the end is what we do.
 */
export class DataTerminator {
  #at: At = At.LineStart;

  /** Offset just past the end line in `chunk`, or -1 when the message goes on. */
  scan(chunk: Buffer): number {
    let i = 0;
    while (i < chunk.length) {
      switch (this.#at) {
        case At.MidLine: {
          const lf = chunk.indexOf(LF, i);
          if (lf < 0) return -1;
          i = lf + 1;
          this.#at = At.LineStart;
          break;
        }
        case At.LineStart:
          this.#at = chunk[i] === DOT ? At.Dot : chunk[i] === LF ? At.LineStart : At.MidLine;
          i++;
          break;
        case At.Dot:
          if (chunk[i] === LF) return this.#ended(i + 1);
          this.#at = chunk[i] === CR ? At.DotCr : At.MidLine;
          // A stuffed dot (`..`) or any other text: an ordinary line.
          if (this.#at === At.MidLine) break;
          i++;
          break;
        case At.DotCr:
          if (chunk[i] === LF) return this.#ended(i + 1);
          this.#at = At.MidLine;
          break;
      }
    }
    return -1;
  }

  #ended(offset: number): number {
    this.#at = At.LineStart;
    return offset;
  }
}

/** A backend connection taking the message. */
export interface DataSink {
  readonly writable: boolean;
  /** false: its buffer is full, wait for drained(). */
  write(chunk: Buffer): boolean;
  drained(): Promise<void>;
}

export interface PushResult {
  /** Bytes of the chunk that were message; the rest is the MTA's next command. */
  readonly used: number;
  readonly done: boolean;
  /** Set when a backend is full: read no more from the MTA until it resolves. */
  readonly wait: Promise<void> | undefined;
  readonly size: number;
}

export class MessageStream {
  readonly #sinks: readonly DataSink[];
  readonly #end = new DataTerminator();
  #size = 0;

  constructor(sinks: readonly DataSink[]) {
    this.#sinks = sinks;
  }

  /**
   * Pass `chunk` (the MTA's bytes, owned by us: a client socket's 'data'
   * chunk) on to every backend still taking the message.
   */
  push(chunk: Buffer): PushResult {
    const end = this.#end.scan(chunk);
    const used = end < 0 ? chunk.length : end;
    const part = end < 0 ? chunk : chunk.subarray(0, end);
    this.#size += used;
    const full: DataSink[] = [];
    for (const sink of this.#sinks) {
      if (sink.writable && !sink.write(part)) full.push(sink);
    }
    const wait = full.length === 0 ? undefined : Promise.all(full.map((s) => s.drained())).then(() => undefined);
    return { used, done: end >= 0, wait, size: this.#size };
  }
}
