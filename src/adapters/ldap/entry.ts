import type { Entry } from 'ldapts';

/** A search result with attribute names lower-cased (servers answer in their own case) and every value a string list. */
export interface FoundEntry {
  readonly dn: string;
  readonly attributes: ReadonlyMap<string, readonly string[]>;
}

function asStrings(value: Entry[string]): string[] {
  if (typeof value === 'string') return [value];
  if (Buffer.isBuffer(value)) return [value.toString('utf8')];
  return value.map((item: string | Buffer) => (typeof item === 'string' ? item : item.toString('utf8')));
}

export function normalizeEntry(entry: Entry): FoundEntry {
  const attributes = new Map<string, string[]>();
  for (const [name, value] of Object.entries(entry)) {
    if (name === 'dn') continue;
    const key = name.toLowerCase();
    const values = asStrings(value);
    const existing = attributes.get(key);
    if (existing === undefined) attributes.set(key, values);
    else existing.push(...values);
  }
  return { dn: entry.dn, attributes };
}
