import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { Config } from './types.js';
import { ConfigError, type ConfigProblem } from './problems.js';
import { Reader } from './reader.js';
import { readConfig, topLevelKeys } from './sections.js';
import { fileMode } from './secret-files.js';

export { ConfigError, formatProblem, type ConfigProblem } from './problems.js';

export interface ConfigOverrides {
  /** `--id` on the command line; wins over director.id. */
  readonly id?: string | undefined;
}

export interface CheckResult {
  /** Set only when there are no problems. */
  readonly config: Config | undefined;
  readonly problems: readonly ConfigProblem[];
  /** Loads, but should change (config.warnings when it loads). */
  readonly warnings: readonly ConfigProblem[];
}

/** Reads and validates a config file, collecting every problem rather than stopping at the first. */
export function checkConfig(file: string, overrides: ConfigOverrides = {}): CheckResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err: unknown) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'error';
    return { config: undefined, problems: [{ file, line: 0, column: 0, key: '', message: `cannot read the file (${code})` }], warnings: [] };
  }
  return checkConfigText(file, text, overrides, fileMode(file));
}

/** As checkConfig, for text already read (tests, and a future `config check -`); `mode`: the file's permission bits. */
export function checkConfigText(file: string, text: string, overrides: ConfigOverrides = {}, mode?: number): CheckResult {
  const lines = lineCounterOf(text);
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const reader = new Reader(file, lines, doc);
  for (const err of doc.errors) reader.reportAt(err.pos[0], '', `YAML: ${err.message}`);
  // A document that does not parse gives nodes in unknown shapes; the syntax errors are what to fix first.
  if (doc.errors.length > 0) return { config: undefined, problems: reader.problems, warnings: [] };

  const root = reader.map(doc.contents, '', topLevelKeys());
  if (root === undefined) {
    reader.reportAt(0, '', 'the file is empty or not a mapping of sections');
  }
  const read = readConfig({ reader, baseDir: dirname(resolve(file)), overrides, fileMode: mode }, root, file);
  const warnings = sortProblems(reader.warnings);
  if (reader.problems.length > 0) return { config: undefined, problems: sortProblems(reader.problems), warnings };
  return { config: deepFreeze({ ...read, warnings }), problems: [], warnings };
}

/** Throws ConfigError listing every problem. */
export function loadConfig(file: string, overrides: ConfigOverrides = {}): Config {
  const { config, problems } = checkConfig(file, overrides);
  if (config === undefined) throw new ConfigError(file, problems);
  return config;
}

/**
 * Line starts counted from the text itself. yaml's own LineCounter (fed by
 * its lexer) misses newlines after some malformed input, e.g. a quoted
 * scalar opened on line 1 and closed mid-line further down: every problem
 * after it then names the line above the right one.
 */
function lineCounterOf(text: string): LineCounter {
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) lines.addNewLine(at + 1);
  return lines;
}

function sortProblems(problems: readonly ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.column - b.column);
}

/** Freezes plain objects and arrays; Buffers cannot be frozen and Secret hides its value already. */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Buffer.isBuffer(value) || Object.isFrozen(value)) return value;
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return Object.freeze(value);
}
