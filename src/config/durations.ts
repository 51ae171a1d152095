/**
 * Durations and sizes as the config file writes them. A unit is always
 * required (a bare `30` could mean seconds to one operator and
 * milliseconds to another); only `0` is accepted bare, since it means the
 * same in every unit.
 */

export type ParseResult = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly message: string };

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const SIZE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};

const QUANTITY = /^(\d+)\s*([A-Za-z]+)$/;

function parseQuantity(
  raw: unknown,
  units: Readonly<Record<string, number>>,
  what: string,
  example: string,
): ParseResult {
  if (raw === 0 || raw === '0') return { ok: true, value: 0 };
  if (typeof raw === 'number') {
    return { ok: false, message: `${what} needs a unit (${Object.keys(units).join(', ')}), e.g. "${raw}${example}"` };
  }
  if (typeof raw !== 'string') return { ok: false, message: `expected a ${what} such as "30${example}"` };
  const m = QUANTITY.exec(raw.trim());
  if (m === null) {
    return { ok: false, message: `"${raw}" is not a ${what}; write a whole number and a unit (${Object.keys(units).join(', ')})` };
  }
  const factor = Object.hasOwn(units, m[2]!) ? units[m[2]!] : undefined;
  if (factor === undefined) {
    return { ok: false, message: `unknown unit "${m[2]}" in "${raw}"; use one of ${Object.keys(units).join(', ')}` };
  }
  const value = Number(m[1]) * factor;
  if (!Number.isSafeInteger(value)) return { ok: false, message: `"${raw}" is too large` };
  return { ok: true, value };
}

/** "100ms", "5s", "3m", "1h", "1d" → milliseconds. */
export function parseDuration(raw: unknown): ParseResult {
  return parseQuantity(raw, DURATION_UNITS, 'duration', 's');
}

/** "512B", "64KiB", "10MiB", "1GiB" → bytes. */
export function parseSize(raw: unknown): ParseResult {
  return parseQuantity(raw, SIZE_UNITS, 'size', 'KiB');
}
