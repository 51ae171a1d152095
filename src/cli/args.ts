/**
 * A small argument parser for `mail-director` subcommands: long options
 * (`--name value`, `--name=value`, boolean `--flag`), `-h`/`--help`, `--`
 * to end options, positionals, and environment fallbacks for options.
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

export function parseArgs(
  argv: readonly string[],
  spec: ArgsSpec,
  env: Readonly<Record<string, string | undefined>> = {},
): ParsedArgs {
  const byName = new Map(spec.options.map((o) => [o.name, o]));
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const positionals: string[] = [];
  let help = false;
  let onlyPositionals = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (onlyPositionals || arg === '-' || !arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPositionals = true;
      continue;
    }
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const option = byName.get(name);
    if (option === undefined) throw new UsageError(`unknown option --${name}`);
    if (option.value === undefined) {
      if (eq !== -1) throw new UsageError(`option --${name} takes no value`);
      flags.add(name);
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) {
      value = arg.slice(eq + 1);
    } else {
      value = argv[i + 1];
      if (value === undefined) throw new UsageError(`option --${name} needs a value (${option.value})`);
      i++;
    }
    if (values.has(name)) throw new UsageError(`option --${name} given twice`);
    values.set(name, value);
  }

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
