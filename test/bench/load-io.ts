/**
 * What every load process (load.ts, lmtp-load.ts) shares: JSON lines to the
 * orchestrator on stdout, its commands on stdin, and latency statistics.
 */
import { createInterface } from 'node:readline';
import type { LoadResult } from './load.js';

export function emit(msg: object): void {
  process.stdout.write(`${JSON.stringify(msg)}\n`);
}

function percentile(sorted: Float64Array, p: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i] ?? null;
}

export class Stats {
  #lat = new Float64Array(1 << 16);
  #n = 0;
  errors = 0;
  readonly errorSamples: string[] = [];
  bytes = 0;

  record(ms: number): void {
    if (this.#n === this.#lat.length) {
      const grown = new Float64Array(this.#lat.length * 2);
      grown.set(this.#lat);
      this.#lat = grown;
    }
    this.#lat[this.#n++] = ms;
  }

  error(err: unknown): void {
    this.errors++;
    if (this.errorSamples.length < 5) this.errorSamples.push(err instanceof Error ? err.message : String(err));
  }

  result(elapsedMs: number, extra: Partial<LoadResult> = {}): LoadResult {
    const lat = this.#lat.slice(0, this.#n).sort();
    let sum = 0;
    for (const v of lat) sum += v;
    return {
      type: 'result',
      ops: this.#n,
      errors: this.errors,
      errorSamples: this.errorSamples,
      elapsedMs,
      p50Ms: percentile(lat, 0.5),
      p99Ms: percentile(lat, 0.99),
      meanMs: lat.length === 0 ? null : sum / lat.length,
      bytes: this.bytes,
      ...extra,
    };
  }
}

export class Commands {
  readonly #lines: string[] = [];
  #wake: (() => void) | undefined;

  constructor() {
    createInterface({ input: process.stdin }).on('line', (line) => {
      this.#lines.push(line.trim());
      this.#wake?.();
    });
  }

  async next(expected: string): Promise<void> {
    for (;;) {
      const line = this.#lines.shift();
      if (line === expected) return;
      if (line === undefined) await new Promise<void>((r) => (this.#wake = r));
    }
  }
}

