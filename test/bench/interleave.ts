/**
 * The order of targets in repetition `rep`: each repetition starts one
 * further along. Targets run interleaved so drift on the shared machine
 * hits all alike; rotating also spreads a position effect: in an A/B of two
 * builds under the same load, whichever ran first in a repetition used
 * ~10 % more CPU per login (docs/bench.md, 2026-11-26 23:40).
 */
export function rotated<T>(items: readonly T[], rep: number): T[] {
  const k = items.length === 0 ? 0 : rep % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
