/**
 * Split Dovecot "key=value" extra-field words (passwd-file's last column, an
 * LDAP attribute mapped to `extra`). A bare key is a flag: it gets the value
 * 'y', so `proxy` alone means proxying as in Dovecot.
 */
export function parseExtraPair(word: string): [string, string] | undefined {
  const trimmed = word.trim();
  if (trimmed.length === 0) return undefined;
  const eq = trimmed.indexOf('=');
  if (eq === 0) return undefined;
  return eq < 0 ? [trimmed.toLowerCase(), 'y'] : [trimmed.slice(0, eq).toLowerCase(), trimmed.slice(eq + 1)];
}

/** Space-separated words of a passwd-file extra-fields column. */
export function parseExtraWords(text: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const word of text.split(/\s+/)) {
    const pair = parseExtraPair(word);
    if (pair !== undefined) pairs.push(pair);
  }
  return pairs;
}
