import type { FieldMapEntry } from '../config/types.js';
import type { FoundEntry } from '../adapters/ldap/entry.js';
import { parseExtraPair } from './extra-fields.js';

/** The field whose attribute holds "field=value" words, one per value. */
export const EXTRA_FIELD = 'extra';

/** LDAP attributes the field map reads (names as configured). */
export function mappedAttributes(map: readonly FieldMapEntry[]): string[] {
  const names = new Map<string, string>();
  for (const entry of map) {
    if (entry.attribute !== undefined) names.set(entry.attribute.toLowerCase(), entry.attribute);
  }
  return [...names.values()];
}

/**
 * Apply the configured attribute → field map to an entry. Attribute names
 * match case-insensitively; a multi-valued attribute gives its first value,
 * except for `extra`, where every value is one "field=value" pair. Later map
 * entries override earlier ones (YAML order).
 */
export function entryToRawFields(entry: FoundEntry, map: readonly FieldMapEntry[]): Map<string, string> {
  const raw = new Map<string, string>();
  for (const item of map) {
    const field = item.field.toLowerCase();
    if (item.attribute === undefined) {
      if (item.constant !== undefined) raw.set(field, item.constant);
      continue;
    }
    const values = entry.attributes.get(item.attribute.toLowerCase()) ?? [];
    if (field === EXTRA_FIELD) {
      for (const value of values) {
        const pair = parseExtraPair(value);
        if (pair !== undefined) raw.set(pair[0], pair[1]);
      }
      continue;
    }
    const first = values[0];
    if (first !== undefined) raw.set(field, first);
  }
  return raw;
}
