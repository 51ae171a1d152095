import type { SqlRows } from '../adapters/sql/host-client.js';

/** A row of the password query read as Dovecot reads it (src/auth/passdb-sql.c). */
export interface SqlRow {
  /** Every named, non-NULL column: field name (lower case) → value. */
  readonly fields: Map<string, string>;
  /** Whether the query has a `password` or `password_noscheme` column at all (NULL counts). */
  readonly hasPasswordColumn: boolean;
  /** The stored password in `{SCHEME}value` form, undefined when NULL or empty. */
  readonly password: string | undefined;
}

const PASSWORD = 'password';
const PASSWORD_NOSCHEME = 'password_noscheme';

/**
 * The scheme rule of Dovecot's password_get_scheme(): a `{SCHEME}` prefix
 * names it, a `$1$` value is MD5-CRYPT, anything else is in
 * `default_pass_scheme`. `password_noscheme` is never read for a prefix
 * (a password that starts with "{").
 */
export function storedPassword(value: string, defaultScheme: string, noScheme: boolean): string {
  if (!noScheme && (/^\{[^}]*\}/.test(value) || value.startsWith('$1$'))) return value;
  return `{${defaultScheme}}${value}`;
}

/** Columns → fields: a column named "" is skipped, NULL leaves the field unset, a later column wins. */
export function rowFields(result: SqlRows, row: readonly (string | null)[], defaultScheme: string): SqlRow {
  const fields = new Map<string, string>();
  let hasPasswordColumn = false;
  let password: string | undefined;
  result.columns.forEach((column, i) => {
    const name = column.toLowerCase();
    if (name === '') return;
    const value = row[i] ?? null;
    if (name === PASSWORD || name === PASSWORD_NOSCHEME) {
      hasPasswordColumn = true;
      if (value !== null && value !== '') password = storedPassword(value, defaultScheme, name === PASSWORD_NOSCHEME);
      return;
    }
    if (value !== null) fields.set(name, value);
  });
  return { fields, hasPasswordColumn, password };
}
