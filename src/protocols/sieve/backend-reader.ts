import { BackendLineError, BackendReader, MAX_BACKEND_LINE } from '../../net/backend-reader.js';
import { LiteralFramer, type FramedCommand } from '../../session/literal-framer.js';

/**
 * Reads ManageSieve responses (a line with its `{n}` literals, RFC 5804
 * §4) from a backend during its login or a probe.
 */
export class BackendResponses extends BackendReader<FramedCommand> {
  readonly #framer = new LiteralFramer({ maxLineLength: MAX_BACKEND_LINE, maxLiteralSize: MAX_BACKEND_LINE });

  buffered(): FramedCommand | undefined {
    for (;;) {
      const event = this.#framer.next();
      if (event === undefined) return undefined;
      // A server's literals are `{n}` (literal-s2c) and need no continuation.
      if (event.kind === 'continue') continue;
      if (event.kind === 'command') return event.command;
      this.fail(new BackendLineError('too-long', `Remote sent an over-long ${event.error === 'literal_too_big' ? 'literal' : 'line'}`));
      return undefined;
    }
  }

  protected keep(chunk: Buffer): void {
    // The framer keeps what it is given.
    this.#framer.push(Buffer.from(chunk));
  }

  protected takeRemaining(): Buffer {
    return this.#framer.takeRemaining();
  }
}
