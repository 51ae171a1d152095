import type { DelayUntil } from '../auth/fields.js';

/**
 * How long to hold a login for `delay_until=TS[+N]`: until TS plus up to N
 * random seconds (spreading a group move), never longer than `maxMs` so a
 * far-future or mistyped timestamp cannot park clients until they time out.
 * `random` returns [0, 1) and is injected so tests are deterministic.
 */
export function loginDelayMs(
  delayUntil: DelayUntil | undefined,
  nowMs: number,
  random: () => number,
  maxMs: number,
): number {
  if (delayUntil === undefined) return 0;
  const jitterMs = delayUntil.jitterSeconds > 0 ? random() * delayUntil.jitterSeconds * 1000 : 0;
  const wait = Math.ceil(delayUntil.atMs + jitterMs - nowMs);
  if (!Number.isFinite(wait) || wait <= 0) return 0;
  return Math.min(wait, Math.max(0, maxMs));
}
