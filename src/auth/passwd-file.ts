import { parseExtraWords } from './extra-fields.js';

export interface PasswdFileEntry {
  readonly user: string;
  /** `{SCHEME}value`, plaintext, or '' (no password: only `nopassword` users can log in). */
  readonly password: string;
  /** Extra fields (8th column onwards), with bare flags as 'y'. */
  readonly fields: ReadonlyMap<string, string>;
}

export interface PasswdFileParse {
  readonly entries: ReadonlyMap<string, PasswdFileEntry>;
  /** 1-based line numbers that could not be used, with why. */
  readonly problems: readonly { readonly line: number; readonly problem: string }[];
}

/**
 * Dovecot's passwd-file: `user:password:uid:gid:gecos:home:shell:extra_fields`.
 * Empty lines and `#` comments are skipped; like Dovecot, everything after the
 * 7th colon is one space-separated extra-field list (colons inside it survive).
 * The first line for a user wins.
 */
export function parsePasswdFile(text: string): PasswdFileParse {
  const entries = new Map<string, PasswdFileEntry>();
  const problems: { line: number; problem: string }[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    if (line.trim().length === 0 || line.trimStart().startsWith('#')) return;
    const columns = line.split(':');
    const user = columns[0] ?? '';
    if (user.length === 0) {
      problems.push({ line: index + 1, problem: 'empty user name' });
      return;
    }
    if (entries.has(user)) {
      problems.push({ line: index + 1, problem: `duplicate user ${JSON.stringify(user)}` });
      return;
    }
    const extra = columns.length > 7 ? columns.slice(7).join(':') : '';
    entries.set(user, { user, password: columns[1] ?? '', fields: new Map(parseExtraWords(extra)) });
  });
  return { entries, problems };
}
