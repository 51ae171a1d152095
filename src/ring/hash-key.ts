/**
 * The ring's hash key, from a template like Dovecot's director_username_hash:
 * `%u` user, `%n` local part, `%d` domain, `%L` before any of them lower-cases
 * it, `%%` is a percent sign. Compiled once per template since it runs per login.
 */
export type HashKeyFn = (user: string) => string;

type Part = string | ((user: string) => string);

function localPart(user: string): string {
  const at = user.indexOf('@');
  return at < 0 ? user : user.slice(0, at);
}

function domain(user: string): string {
  const at = user.indexOf('@');
  return at < 0 ? '' : user.slice(at + 1);
}

const VARIABLES: Readonly<Record<string, (user: string) => string>> = {
  u: (user) => user,
  n: localPart,
  d: domain,
};

/**
 * `lower` is what `%L` does: Unicode lower-casing by default; the dovecot
 * placement passes ASCII-only lower-casing, as Dovecot's `%L` is.
 */
export function compileHashKey(template: string, lower: (text: string) => string = (t) => t.toLowerCase()): HashKeyFn {
  const parts: Part[] = [];
  let literal = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '%') {
      literal += c;
      continue;
    }
    const lowered = template[i + 1] === 'L';
    const name = template[i + (lowered ? 2 : 1)];
    if (name === '%' && !lowered) {
      literal += '%';
      i += 1;
      continue;
    }
    const fn = name !== undefined && Object.hasOwn(VARIABLES, name) ? VARIABLES[name]! : undefined;
    if (fn === undefined) {
      // Unknown sequences stay as written; config validation reports them before we get here.
      literal += c;
      continue;
    }
    if (literal !== '') parts.push(literal);
    literal = '';
    parts.push(lowered ? (user: string) => lower(fn(user)) : fn);
    i += lowered ? 2 : 1;
  }
  if (literal !== '') parts.push(literal);
  if (parts.length === 1 && typeof parts[0] === 'function') return parts[0];
  return (user) => {
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : p(user);
    return out;
  };
}

export function expandHashKey(template: string, user: string): string {
  return compileHashKey(template)(user);
}
