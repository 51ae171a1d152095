/**
 * Dovecot's `password_query` text (`... WHERE user = '%u'`) turned into a
 * statement whose variables are bound parameters: `?` for MySQL/MariaDB,
 * `$1`, `$2`, ... for PostgreSQL. Dovecot splices escaped values into the
 * text (src/auth/passdb-sql.c, sql_escape_string); here the user name never
 * becomes SQL text at all. A quoted literal that holds a variable (`'%u'`,
 * `'%n@%d'`) becomes one parameter whose value is the literal's text with
 * the variables filled in, so queries written for Dovecot keep their meaning.
 */

export type SqlDialect = 'mysql' | 'pgsql';

export type SqlVariable = 'user' | 'username' | 'domain';

/** One piece of a parameter's value: fixed text, or a variable (lower-cased with `%L`). */
export type SqlValuePart = string | { readonly variable: SqlVariable; readonly lower: boolean };

export interface SqlQueryTemplate {
  /** As configured, for messages. */
  readonly source: string;
  readonly dialect: SqlDialect;
  /** The statement sent to the server, with placeholders. */
  readonly text: string;
  /** One entry per placeholder, in order. */
  readonly params: readonly (readonly SqlValuePart[])[];
}

export class SqlQueryError extends Error {
  override readonly name = 'SqlQueryError';
}

const SHORT: Readonly<Record<string, SqlVariable>> = { u: 'user', n: 'username', d: 'domain' };
const LONG: Readonly<Record<string, SqlVariable>> = { user: 'user', username: 'username', domain: 'domain' };

interface Scanned {
  readonly parts: SqlValuePart[];
  readonly hasVariable: boolean;
}

/** `%u %n %d`, `%Lu`..., `%{user} %{username} %{domain}` (and `%L{user}`), `%%`. */
function scanVariables(text: string): Scanned {
  const parts: SqlValuePart[] = [];
  let literal = '';
  let hasVariable = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '%') {
      literal += c;
      continue;
    }
    if (text[i + 1] === '%') {
      literal += '%';
      i += 1;
      continue;
    }
    let j = i + 1;
    const lower = text[j] === 'L';
    if (lower) j += 1;
    let variable: SqlVariable | undefined;
    if (text[j] === '{') {
      const end = text.indexOf('}', j);
      const name = end < 0 ? '' : text.slice(j + 1, end);
      variable = Object.hasOwn(LONG, name) ? LONG[name] : undefined;
      if (variable !== undefined) j = end;
    } else {
      const name = text[j] ?? '';
      variable = Object.hasOwn(SHORT, name) ? SHORT[name] : undefined;
    }
    if (variable === undefined) {
      const shown = text.slice(i, Math.min(text.length, i + 10));
      throw new SqlQueryError(`unknown variable "${shown}": use %u, %n, %d (%Lu ... lower-cases), %{user}, %{username}, %{domain}, or %% for a percent sign`);
    }
    if (literal !== '') parts.push(literal);
    literal = '';
    parts.push({ variable, lower });
    hasVariable = true;
    i = j;
  }
  if (literal !== '') parts.push(literal);
  return { parts, hasVariable };
}

/** MySQL's escapes (https://mariadb.com/kb/en/string-literals/); any other escaped character stands for itself. */
const BACKSLASH_ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b', Z: '\x1a' };

/** The end of a quoted run starting at `start` (the opening quote), and its text with escapes undone. */
function readQuoted(sql: string, start: number, quote: string, backslashEscapes: boolean): { end: number; content: string } {
  let content = '';
  for (let i = start + 1; i < sql.length; i++) {
    const c = sql[i];
    if (backslashEscapes && c === '\\') {
      const next = sql[i + 1];
      if (next === undefined) break;
      content += Object.hasOwn(BACKSLASH_ESCAPES, next) ? BACKSLASH_ESCAPES[next] : next;
      i += 1;
      continue;
    }
    if (c === quote) {
      if (sql[i + 1] === quote) {
        content += quote;
        i += 1;
        continue;
      }
      return { end: i, content };
    }
    content += c;
  }
  throw new SqlQueryError(`unterminated ${quote} quote starting at character ${start + 1}`);
}

function commentEnd(sql: string, i: number, dialect: SqlDialect): number | undefined {
  const two = sql.slice(i, i + 2);
  if (two === '/*') {
    const end = sql.indexOf('*/', i + 2);
    if (end < 0) throw new SqlQueryError(`unterminated /* comment at character ${i + 1}`);
    return end + 1;
  }
  if (two === '--' || (dialect === 'mysql' && sql[i] === '#')) {
    const end = sql.indexOf('\n', i);
    return end < 0 ? sql.length - 1 : end;
  }
  return undefined;
}

/**
 * Compile `source` for `dialect`. Throws SqlQueryError for an unknown
 * variable, an unterminated quote or comment, a variable inside an
 * identifier or comment (it cannot be a parameter there), a placeholder
 * already in the text, or a query without any variable (every user would
 * get the same row).
 */
export function compileSqlQuery(source: string, dialect: SqlDialect): SqlQueryTemplate {
  let text = '';
  const params: SqlValuePart[][] = [];
  const placeholder = (parts: SqlValuePart[]): string => {
    params.push(parts);
    return dialect === 'mysql' ? '?' : `$${params.length}`;
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i] ?? '';
    const comment = commentEnd(source, i, dialect);
    if (comment !== undefined) {
      const body = source.slice(i, comment + 1);
      if (scanVariables(body).hasVariable) throw new SqlQueryError('a variable inside a comment cannot be a bound parameter');
      text += body;
      i = comment;
      continue;
    }
    // MySQL reads "..." as a string unless ANSI_QUOTES; PostgreSQL as an identifier.
    const stringQuote = c === "'" || (dialect === 'mysql' && c === '"');
    const identifierQuote = c === '`' ? dialect === 'mysql' : c === '"' && dialect === 'pgsql';
    if (stringQuote) {
      // PostgreSQL: backslashes are plain characters (standard_conforming_strings), except in E'...'.
      const escapeString = dialect === 'pgsql' && /[Ee]$/.test(text) && !/[A-Za-z0-9_$][Ee]$/.test(text);
      const { end, content } = readQuoted(source, i, c, dialect === 'mysql' || escapeString);
      const scanned = scanVariables(content);
      if (scanned.hasVariable) {
        if (escapeString) text = text.slice(0, -1);
        text += placeholder(scanned.parts);
      } else {
        // No variable: Dovecot would still turn %% into %.
        text += source.slice(i, end + 1).replaceAll('%%', '%');
      }
      i = end;
      continue;
    }
    if (identifierQuote) {
      const { end } = readQuoted(source, i, c, false);
      const body = source.slice(i, end + 1);
      if (scanVariables(body).hasVariable) throw new SqlQueryError('a variable inside a quoted identifier cannot be a bound parameter');
      text += body;
      i = end;
      continue;
    }
    if (c === '%') {
      // Unquoted: the variable and any text glued to it (%n@%d) form one value.
      let j = i;
      while (j < source.length && /[^\s'"`(),;=<>!]/.test(source[j] ?? '')) j += 1;
      const scanned = scanVariables(source.slice(i, j));
      text += scanned.hasVariable ? placeholder(scanned.parts) : source.slice(i, j).replaceAll('%%', '%');
      i = j - 1;
      continue;
    }
    if (dialect === 'mysql' && c === '?') throw new SqlQueryError('"?" outside a string is a placeholder; write the value as %u, %n or %d');
    if (dialect === 'pgsql' && c === '$' && /\d/.test(source[i + 1] ?? '') && !/[A-Za-z0-9_]/.test(source[i - 1] ?? '')) {
      throw new SqlQueryError('"$N" is a placeholder; write the value as %u, %n or %d');
    }
    text += c;
  }
  if (params.length === 0) throw new SqlQueryError('the query uses no %u, %n or %d: every user would get the same row');
  return Object.freeze({ source, dialect, text, params: Object.freeze(params.map((p) => Object.freeze(p))) });
}

/** Dovecot's %n and %d: the parts before and after the first '@' (%d is '' without one). */
function variableValue(variable: SqlVariable, user: string): string {
  if (variable === 'user') return user;
  const at = user.indexOf('@');
  if (variable === 'username') return at < 0 ? user : user.slice(0, at);
  return at < 0 ? '' : user.slice(at + 1);
}

/** The parameter values for one user, in placeholder order. */
export function sqlQueryValues(template: SqlQueryTemplate, user: string): string[] {
  return template.params.map((parts) => {
    let value = '';
    for (const part of parts) {
      if (typeof part === 'string') value += part;
      else {
        const v = variableValue(part.variable, user);
        value += part.lower ? v.toLowerCase() : v;
      }
    }
    return value;
  });
}
