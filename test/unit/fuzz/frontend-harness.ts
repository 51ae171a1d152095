import assert from 'node:assert/strict';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import type { LimitsConfig } from '../../../src/config/types.js';
import type { Protocol } from '../../../src/core/protocol.js';
import { LoginFailure } from '../../../src/core/failure.js';
import { preloginDriver, type Framer, type PreloginProtocol } from '../../../src/session/client-connection.js';
import type { BackendLogin, LoginOutcome } from '../../../src/session/frontend.js';
import { failure, fakeContext, socketPair, success } from '../session/fake-context.js';
import { escaped } from './escapes.js';
import { clientInput, fuzzParameters, splitAt, splitOffsets } from './inputs.js';

/**
 * Drives one pre-login front end (the session kit plus a protocol) over a
 * loopback socket pair with the fake context of the contract test, feeding
 * it fuzzed input in pieces, and checks what every connection must hold
 * whatever the client sends.
 */

/** Small limits, so the fuzzer reaches them; room for many commands before the invalid-command limit. */
export const FUZZ_LIMITS: Partial<LimitsConfig> = {
  maxLineLength: 200,
  maxLiteralSize: 300,
  maxInvalidCommands: 20,
  maxAuthAttempts: 5,
  preloginTimeoutMs: 20_000,
  authFailureDelayMs: 0,
};

export interface FrontendFuzzCase<E> {
  readonly protocol: Protocol;
  readonly prelogin: PreloginProtocol<E>;
  /** Valid commands (CRLF included) that mutated inputs start from. */
  readonly transcript: readonly string[];
  /** Protocol words worth inserting. */
  readonly tokens: readonly string[];
  /** The framer said the input broke its limits: the connection must end. */
  isFramingError(event: E): boolean;
  /** A description of the first malformed reply in the server's output, or undefined. */
  checkOutput(output: Buffer): string | undefined;
}

type LoginMode = 'fail' | 'temp' | 'succeed' | 'nologin';

/** Records the most a framer held while waiting for input: what a connection can make the server buffer. */
class WatchedFramer<E> implements Framer<E> {
  readonly #inner: Framer<E>;
  readonly #isError: (event: E) => boolean;
  maxWaiting = 0;
  errors = 0;

  constructor(inner: Framer<E>, isError: (event: E) => boolean) {
    this.#inner = inner;
    this.#isError = isError;
  }

  push(chunk: Buffer): void {
    this.#inner.push(chunk);
  }

  next(): E | undefined {
    const event = this.#inner.next();
    if (event === undefined) this.maxWaiting = Math.max(this.maxWaiting, this.#inner.bufferedBytes);
    else if (this.#isError(event)) this.errors++;
    return event;
  }

  get bufferedBytes(): number {
    return this.#inner.bufferedBytes;
  }

  takeRemaining(): Buffer {
    return this.#inner.takeRemaining();
  }
}

const refuseBackendLogin: BackendLogin = () => Promise.reject(new LoginFailure('backend_unavailable', 'fuzz: no backends'));

function outcomeFor(mode: LoginMode, reason: string): LoginOutcome {
  switch (mode) {
    case 'fail':
      return failure('auth_failed');
    case 'temp':
      return failure('auth_temp');
    case 'nologin':
      return failure('nologin', reason);
    case 'succeed':
      return success();
  }
}

/** Reasons the kit gives the core for a close (context.closed). */
const CLOSE_REASON = /^(Disconnected(: .+)?|logout|Aborted login|Internal error)$/;

export interface RunResult {
  readonly output: Buffer;
  readonly problems: readonly string[];
}

/** One connection: greeting, `input` in `pieces`, then wait until the server is quiet or gone. */
export async function runConnection<E>(c: FrontendFuzzCase<E>, pieces: readonly Buffer[], mode: LoginMode, reason: string): Promise<RunResult> {
  const framers: WatchedFramer<E>[] = [];
  const protocol: PreloginProtocol<E> = {
    ...c.prelogin,
    newFramer: (limits) => {
      const framer = new WatchedFramer(c.prelogin.newFramer(limits), (e) => c.isFramingError(e));
      framers.push(framer);
      return framer;
    },
  };
  const fake = fakeContext({ protocol: c.protocol, limits: FUZZ_LIMITS, trusted: true, login: () => outcomeFor(mode, reason) });
  const limits = fake.context.limits;
  const pair = await socketPair();
  const chunks: Buffer[] = [];
  let outputBytes = 0;
  let seenBytes = 0;
  let quietRounds = 0;
  let ended = false;
  pair.client.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    outputBytes += chunk.length;
  });
  pair.client.on('end', () => {
    ended = true;
  });
  pair.client.on('error', () => undefined);
  preloginDriver(protocol, refuseBackendLogin).handle(pair.server, fake.context);
  try {
    for (const piece of pieces) {
      if (ended || pair.client.destroyed) break;
      pair.client.write(piece);
      await nextTurn();
    }
    // Done when closed (and the client saw the end), handed to the relay, or every byte
    // written was read by the server and nothing more was said for 30 ms.
    const written = pieces.reduce((n, p) => n + p.length, 0);
    const deadline = Date.now() + 3_000;
    let stalled = false;
    for (;;) {
      await sleep(5);
      await nextTurn();
      if (fake.relays.length > 0) break;
      if (Date.now() > deadline) {
        stalled = true;
        break;
      }
      if (fake.closed.length > 0) {
        if (ended) break;
        continue;
      }
      if (ended) break;
      // Counted in event-loop rounds, not wall time: on a loaded machine a late timer must not
      // end the wait before the poll phase delivers what the server already wrote.
      const consumed = pair.server.bytesRead >= written && pair.server.readableLength === 0;
      quietRounds = consumed && outputBytes === seenBytes ? quietRounds + 1 : 0;
      seenBytes = outputBytes;
      if (quietRounds >= 4) break;
    }
    const problems: string[] = escaped();
    if (stalled) {
      problems.push(`no progress within 3 s: server read ${pair.server.bytesRead} of ${written} bytes, ${pair.server.readableLength} unread`);
    }
    for (const line of fake.logs) {
      const entry = JSON.parse(line) as { level?: number; msg?: string };
      if ((entry.level ?? 0) >= 50) problems.push(`error logged: ${line.trim()}`);
    }
    if (fake.closed.length > 1) problems.push(`closed ${fake.closed.length} times: ${fake.closed.join(', ')}`);
    for (const why of fake.closed) if (!CLOSE_REASON.test(why)) problems.push(`odd close reason ${JSON.stringify(why)}`);
    if (fake.closed.length > 0 && !ended) problems.push(`closed (${fake.closed[0] ?? ''}) but the client never saw the end`);
    if (ended && fake.closed.length === 0 && fake.relays.length === 0) problems.push('the socket ended without a close reported to the core');
    // Waiting for more input, a framer holds at most one line or one literal.
    const bound = Math.max(limits.maxLineLength + 1, limits.maxLiteralSize);
    for (const f of framers) {
      if (f.maxWaiting > bound) problems.push(`framer held ${f.maxWaiting} bytes waiting for input (bound ${bound})`);
      if (f.errors > 0 && fake.closed.length === 0) problems.push('a framing error did not end the connection');
    }
    const output = Buffer.concat(chunks);
    const malformed = c.checkOutput(output);
    if (malformed !== undefined) problems.push(malformed);
    return { output, problems };
  } finally {
    pair.close();
  }
}

const loginMode = fc.constantFrom<LoginMode>('fail', 'fail', 'temp', 'nologin', 'succeed');
/** What a passdb's `reason` may hold: anything, control characters included. */
const nologinReason = fc.string({ maxLength: 40, unit: 'binary' });

/** The property every front end must hold, over `numRuns` fuzzed connections. */
export async function fuzzFrontend<E>(c: FrontendFuzzCase<E>, numRuns: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(clientInput(c.transcript, c.tokens), splitOffsets, loginMode, nologinReason, async (input, offsets, mode, reason) => {
      const { output, problems } = await runConnection(c, splitAt(input, offsets), mode, reason);
      assert.deepEqual(problems, [], `output: ${JSON.stringify(output.toString('latin1').slice(0, 2000))}`);
    }),
    fuzzParameters(numRuns),
  );
}

/**
 * Memory stays bounded: a line longer than limits.max_line_length, reached
 * after valid commands and written in pieces, ends the connection with the
 * protocol's own reply.
 */
export async function fuzzLongLine<E>(c: FrontendFuzzCase<E>, tooLong: RegExp, numRuns: number): Promise<void> {
  const maxLineLength = FUZZ_LIMITS.maxLineLength ?? 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.constantFrom(...c.transcript.filter(harmless)), { maxLength: 3 }),
      fc.integer({ min: maxLineLength + 2, max: maxLineLength * 20 }),
      fc.constantFrom(0x41, 0x20, 0x0d, 0x00, 0xff),
      splitOffsets,
      async (prefix, length, byte, offsets) => {
        const input = Buffer.concat([Buffer.from(prefix.join(''), 'utf8'), Buffer.alloc(length, byte)]);
        const { output, problems } = await runConnection(c, splitAt(input, offsets), 'fail', '');
        const lines = output.toString('latin1').split('\r\n').filter((l) => l !== '');
        assert.deepEqual(problems, []);
        assert.match(lines[lines.length - 1] ?? '', tooLong, JSON.stringify(lines));
      },
    ),
    fuzzParameters(numRuns),
  );
}

/** Commands that neither close the connection nor log in, so a long line after them still reaches the framer. */
function harmless(command: string): boolean {
  return !/LOGOUT|QUIT|LOGIN|AUTH|PASS|STARTTLS|STLS|\{/i.test(command);
}

/** Latin1 lines of a CRLF-terminated output, or why it is not one. */
export function outputLines(output: Buffer): { lines: string[] } | { problem: string } {
  const text = output.toString('latin1');
  if (text === '') return { lines: [] };
  if (!text.endsWith('\r\n')) return { problem: `output does not end with CRLF: ${JSON.stringify(text.slice(-80))}` };
  const lines = text.slice(0, -2).split('\r\n');
  for (const line of lines) {
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x1f\x7f]/.test(line)) return { problem: `control character in reply line ${JSON.stringify(line)}` };
  }
  return { lines };
}

/** Checks each line with `valid` (given the previous line); the first bad one is reported. */
export function checkLines(output: Buffer, valid: (line: string, previous: string | undefined) => boolean): string | undefined {
  const split = outputLines(output);
  if ('problem' in split) return split.problem;
  let previous: string | undefined;
  for (const line of split.lines) {
    if (!valid(line, previous)) return `malformed reply line ${JSON.stringify(line)} after ${JSON.stringify(previous)}`;
    previous = line;
  }
  return undefined;
}

/** RFC 5321 §4.2: a three-digit code, then SP (last line) or `-` (more follow, same code). */
const REPLY = /^([2-5][0-9][0-9])(?:([ -]).*)?$/;

/** SMTP and LMTP replies. */
export function checkSmtpReplies(output: Buffer): string | undefined {
  return checkLines(output, (line, previous) => {
    const m = REPLY.exec(line);
    if (m === null) return false;
    const before = previous === undefined ? null : REPLY.exec(previous);
    // A continued reply goes on with the same code.
    if (before !== null && before[2] === '-' && before[1] !== m[1]) return false;
    return true;
  });
}

