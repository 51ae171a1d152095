import fc from 'fast-check';

/**
 * Hostile client input for the protocol fuzz tests: arbitrary bytes, and
 * valid command transcripts with mutations (byte flips, insertions,
 * deletions, truncation, huge literal announcements, long lines). Every
 * input is written in pieces cut at fuzzed offsets (STYLE.md: undici's
 * server-fuzz-split-data.js), so framing is tried at every boundary.
 */

export type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'token'; readonly at: number; readonly token: string }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'longLine'; readonly at: number; readonly length: number; readonly byte: number };

/** Pieces of syntax that make framers and parsers take unusual paths. */
const COMMON_TOKENS: readonly string[] = [
  '\r\n',
  '\n',
  '\r',
  '\0',
  ' ',
  '"',
  '\\',
  '(',
  ')',
  '{',
  '}',
  '*',
  '=',
  '+',
  '{0}\r\n',
  '{5}\r\n',
  '{5+}\r\n',
  '{4294967296}\r\n',
  '{99999999999999999999}\r\n',
  '{18446744073709551616+}\r\n',
  '\xff\xfe',
  'é',
  '\u{1F600}',
];

export function mutation(tokens: readonly string[]): fc.Arbitrary<Mutation> {
  const at = fc.nat({ max: 4096 });
  return fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('insert' as const), at, bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
    fc.record({ kind: fc.constant('token' as const), at, token: fc.constantFrom(...COMMON_TOKENS, ...tokens) }),
    fc.record({ kind: fc.constant('delete' as const), at, length: fc.integer({ min: 1, max: 16 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at }),
    fc.record({
      kind: fc.constant('longLine' as const),
      at,
      length: fc.integer({ min: 100, max: 3000 }),
      byte: fc.constantFrom(0x41, 0x20, 0x22, 0x7b, 0x0d, 0x00, 0xff),
    }),
  );
}

export function applyMutation(input: Buffer, m: Mutation): Buffer {
  const at = m.at % (input.length + 1);
  switch (m.kind) {
    case 'flip': {
      if (input.length === 0) return input;
      const out = Buffer.from(input);
      const i = m.at % input.length;
      out[i] = (out[i] as number) ^ (1 << m.bit);
      return out;
    }
    case 'insert':
      return Buffer.concat([input.subarray(0, at), Buffer.from(m.bytes), input.subarray(at)]);
    case 'token':
      return Buffer.concat([input.subarray(0, at), Buffer.from(m.token, 'utf8'), input.subarray(at)]);
    case 'delete':
      return Buffer.concat([input.subarray(0, at), input.subarray(at + m.length)]);
    case 'truncate':
      return input.subarray(0, at);
    case 'longLine':
      return Buffer.concat([input.subarray(0, at), Buffer.alloc(m.length, m.byte), input.subarray(at)]);
  }
}

/**
 * Client input: arbitrary bytes, or 1-8 commands from `transcript` (each
 * CRLF-terminated) with up to 6 mutations, `tokens` being protocol words
 * worth inserting.
 */
export function clientInput(transcript: readonly string[], tokens: readonly string[] = []): fc.Arbitrary<Buffer> {
  const raw = fc.uint8Array({ maxLength: 700 }).map((bytes) => Buffer.from(bytes));
  const mutated = fc
    .tuple(fc.array(fc.constantFrom(...transcript), { minLength: 1, maxLength: 8 }), fc.array(mutation(tokens), { maxLength: 6 }))
    .map(([commands, mutations]) => mutations.reduce(applyMutation, Buffer.from(commands.join(''), 'utf8')));
  const clean = fc.array(fc.constantFrom(...transcript), { minLength: 1, maxLength: 8 }).map((commands) => Buffer.from(commands.join(''), 'utf8'));
  return fc.oneof({ arbitrary: raw, weight: 2 }, { arbitrary: mutated, weight: 6 }, { arbitrary: clean, weight: 1 });
}

/** Offsets to cut the input at (taken modulo its length, deduplicated). */
export const splitOffsets: fc.Arbitrary<number[]> = fc.array(fc.nat({ max: 100_000 }), { maxLength: 10 });

/** `input` cut at `offsets`: non-empty pieces that concatenate back to it. */
export function splitAt(input: Buffer, offsets: readonly number[]): Buffer[] {
  if (input.length === 0) return [];
  const cuts = [...new Set(offsets.map((o) => o % input.length))].filter((o) => o > 0).sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const cut of cuts) {
    pieces.push(input.subarray(from, cut));
    from = cut;
  }
  pieces.push(input.subarray(from));
  return pieces;
}

/** The seed of the test suite's runs. */
const DEFAULT_SEED = 20261206;

/** FUZZ_SEED=random: one seed for the whole file, drawn once and printed, so a failure can be replayed. */
const randomSeed = (Math.random() * 2 ** 31) | 0;
let properties = 0;
let inputs = 0;
process.on('exit', () => {
  if (properties > 0) process.stdout.write(`# fuzz: ${inputs} inputs over ${properties} properties, seed ${process.env['FUZZ_SEED'] === 'random' ? randomSeed : (process.env['FUZZ_SEED'] ?? DEFAULT_SEED)}\n`);
});

/**
 * Seeded and small enough for CI: FUZZ_SEED replays a failure (or
 * `random` explores new inputs), FUZZ_RUNS_SCALE scales every property.
 * A red CI is then the code's, not the dice's.
 */
export function fuzzParameters<T>(numRuns: number): fc.Parameters<T> {
  const seedText = process.env['FUZZ_SEED'];
  const scale = Number(process.env['FUZZ_RUNS_SCALE'] ?? '1');
  const runs = Math.max(1, Math.round(numRuns * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
  properties += 1;
  inputs += runs;
  const seed = seedText === 'random' ? randomSeed : seedText === undefined ? DEFAULT_SEED : Number(seedText);
  return { numRuns: runs, seed };
}
