import { parseArgs as nodeParseArgs, type ParseArgsConfig } from 'node:util';

/**
 * Argument specs of `mail-director`'s commands, parsed by node:util's
 * parseArgs, and the usage text they print.
 */

export interface OptionSpec {
  /** Long name without dashes. */
  readonly name: string;
  /** Placeholder shown in usage; an option without one is a boolean flag. */
  readonly value?: string;
  /** Environment variable consulted when the option is absent. */
  readonly env?: string;
  readonly summary: string;
}

export interface PositionalSpec {
  readonly name: string;
  readonly required: boolean;
  readonly summary: string;
}

export interface ArgsSpec {
  readonly options: readonly OptionSpec[];
  readonly positionals: readonly PositionalSpec[];
}

/** Bad command line: the caller prints the message and usage and exits 64 (EX_USAGE). */
export class UsageError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'UsageError';
  }
}

export class ParsedArgs {
  readonly #flags: ReadonlySet<string>;
  readonly #values: ReadonlyMap<string, string>;
  readonly positionals: readonly string[];
  readonly help: boolean;

  constructor(flags: ReadonlySet<string>, values: ReadonlyMap<string, string>, positionals: readonly string[], help: boolean) {
    this.#flags = flags;
    this.#values = values;
    this.positionals = positionals;
    this.help = help;
  }

  flag(name: string): boolean {
    return this.#flags.has(name);
  }

  value(name: string): string | undefined {
    return this.#values.get(name);
  }
}

/** The node:util option table for a spec: every option a long one, help as --help/-h. */
function nodeOptions(spec: ArgsSpec): NonNullable<ParseArgsConfig['options']> {
  const options: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const o of spec.options) options[o.name] = { type: o.value === undefined ? 'boolean' : 'string', multiple: true };
  return options;
}

/** node:util's parse errors in our words (they name the option, but in node's phrasing and with hints for its own API). */
function usageErrorFrom(err: unknown, argv: readonly string[], spec: ArgsSpec): UsageError {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const named = /'(-{1,2}[^'\s]*)'/.exec(message)?.[1] ?? '';
    return new UsageError(`unknown option ${named.split('=')[0] ?? named}`);
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const name = /--([A-Za-z0-9-]+)/.exec(message)?.[1] ?? '';
    const option = spec.options.find((o) => o.name === name);
    if (option?.value === undefined) return new UsageError(`option --${name} takes no value`);
    return new UsageError(`option --${name} needs a value (${option.value})`);
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return new UsageError(`unexpected argument ${argv.find((a) => !a.startsWith('-')) ?? ''}`);
  return new UsageError(message);
}

/**
 * Parse one command's words with node:util's parseArgs (strict: an option
 * not in the spec is an error): long options (`--name value`,
 * `--name=value`, boolean `--flag`), `-h`/`--help`, `--` to end options,
 * positionals, and environment fallbacks for options.
 */
export function parseArgs(
  argv: readonly string[],
  spec: ArgsSpec,
  env: Readonly<Record<string, string | undefined>> = {},
): ParsedArgs {
  let parsed: ReturnType<typeof nodeParseArgs>;
  try {
    parsed = nodeParseArgs({ args: [...argv], options: nodeOptions(spec), strict: true, allowPositionals: true, tokens: true });
  } catch (err: unknown) {
    throw usageErrorFrom(err, argv, spec);
  }
  const flags = new Set<string>();
  const values = new Map<string, string>();
  for (const option of spec.options) {
    const given = parsed.values[option.name];
    if (!Array.isArray(given) || given.length === 0) continue;
    if (given.length > 1) throw new UsageError(`option --${option.name} given twice`);
    const [value] = given;
    if (option.value === undefined) flags.add(option.name);
    else if (typeof value === 'string') values.set(option.name, value);
  }
  const help = parsed.values['help'] === true;
  const positionals = parsed.positionals;

  for (const option of spec.options) {
    if (option.value === undefined || option.env === undefined || values.has(option.name)) continue;
    const fromEnv = env[option.env];
    if (fromEnv !== undefined && fromEnv !== '') values.set(option.name, fromEnv);
  }

  if (!help) {
    const required = spec.positionals.filter((p) => p.required).length;
    if (positionals.length < required) {
      const missing = spec.positionals[positionals.length];
      throw new UsageError(`missing argument ${missing?.name ?? ''}`.trimEnd());
    }
    if (positionals.length > spec.positionals.length) {
      throw new UsageError(`unexpected argument ${positionals[spec.positionals.length] ?? ''}`);
    }
  }
  return new ParsedArgs(flags, values, positionals, help);
}

/** doveadm-like usage: synopsis line, then one line per option and argument. */
export function usageText(command: readonly string[], summary: string, spec: ArgsSpec, extra?: string): string {
  const synopsis = [
    'mail-director',
    ...command,
    '[options]',
    ...spec.positionals.map((p) => (p.required ? p.name : `[${p.name}]`)),
  ].join(' ');
  const rows: [string, string][] = [
    ...spec.positionals.map((p): [string, string] => [p.name, p.summary]),
    ...spec.options.map((o): [string, string] => [
      o.value === undefined ? `--${o.name}` : `--${o.name} ${o.value}`,
      o.env === undefined ? o.summary : `${o.summary} (env ${o.env})`,
    ]),
    ['-h, --help', 'show this help'],
  ];
  const width = Math.max(...rows.map(([left]) => left.length));
  const lines = [`usage: ${synopsis}`, '', summary, '', ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`)];
  if (extra !== undefined) lines.push('', extra);
  return `${lines.join('\n')}\n`;
}
