/** One thing wrong with a config file, pointing at where an operator must look. */
export interface ConfigProblem {
  readonly file: string;
  /** 1-based; 0 when the problem is not in the file's text (e.g. unreadable file). */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  /** Dotted path of the key, e.g. `passdb.uris[1]`; '' for the whole file. */
  readonly key: string;
  readonly message: string;
}

/** `FILE:LINE:COL: KEY: message`, the shape editors and CI annotations parse. */
export function formatProblem(p: ConfigProblem): string {
  const where = `${p.file}:${p.line}:${p.column}`;
  return p.key === '' ? `${where}: ${p.message}` : `${where}: ${p.key}: ${p.message}`;
}

export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(file: string, problems: readonly ConfigProblem[]) {
    const shown = problems.slice(0, 5).map(formatProblem).join('\n');
    const more = problems.length > 5 ? `\n... and ${problems.length - 5} more` : '';
    super(`${file}: ${problems.length} configuration problem(s)\n${shown}${more}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
