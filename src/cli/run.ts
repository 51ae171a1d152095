import { parseArgs, UsageError, usageText, type ParsedArgs } from './args.js';
import { cliVersion } from './version.js';
import { adminCommands, findAdminCommand, EXIT, type CliIo } from './commands/index.js';
import { configCheck } from './config-check.js';
import { CERT_SUMMARY, certCommand } from './commands/cert.js';
import { serve } from './serve.js';

/** Options that may come before the subcommand (`mail-director --director ADDR who`). */
const GLOBAL_VALUE_OPTIONS = new Set(['--director', '--ca', '--cert', '--key', '--tls-name']);
const GLOBAL_FLAGS = new Set(['--json']);

/** Move global options given before the subcommand to after it, where each command parses them. */
export function hoistGlobalOptions(argv: readonly string[]): string[] {
  const leading: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const word = argv[i] ?? '';
    const name = word.split('=')[0] ?? '';
    if (GLOBAL_FLAGS.has(word)) {
      leading.push(word);
      i++;
    } else if (GLOBAL_VALUE_OPTIONS.has(name)) {
      leading.push(word);
      if (!word.includes('=') && i + 1 < argv.length) leading.push(argv[i + 1] ?? '');
      i += word.includes('=') ? 1 : 2;
    } else {
      break;
    }
  }
  return [...argv.slice(i), ...leading];
}

/** serve and config check: not admin commands (no director to reach), listed with them. */
const LOCAL_COMMANDS: ReadonlyArray<{ readonly name: readonly string[]; readonly summary: string }> = [
  { name: ['serve'], summary: 'Run a director (--config FILE [--id ID]).' },
  { name: ['config', 'check'], summary: 'List every problem in a config file (FILE [--json]).' },
  { name: ['cert'], summary: CERT_SUMMARY },
];

/** Every command's words and summary, for the lists. */
function allCommands(): Array<{ readonly name: readonly string[]; readonly summary: string }> {
  return [...LOCAL_COMMANDS, ...adminCommands];
}

/** One line per command under `prefix` (all of them for []), names aligned. */
function commandList(prefix: readonly string[]): string {
  const listed = allCommands().filter((c) => prefix.every((w, i) => c.name[i] === w));
  const width = Math.max(...listed.map((c) => c.name.join(' ').length));
  return listed.map((c) => `  ${c.name.join(' ').padEnd(width)}  ${c.summary}`).join('\n');
}

/** The longest run of leading words that starts some longer command's name (`auth cache` of `auth cache flush`); [] if none. */
function groupPrefix(args: readonly string[]): string[] {
  const words: string[] = [];
  for (const a of args) {
    if (a.startsWith('-')) break;
    const next = [...words, a];
    if (!allCommands().some((c) => c.name.length > next.length && next.every((w, i) => c.name[i] === w))) break;
    words.push(a);
  }
  return words;
}

function help(prefix: readonly string[]): string {
  const head =
    prefix.length === 0
      ? 'usage: mail-director [--director HOST:PORT] [--json] COMMAND ...'
      : `usage: mail-director [--director HOST:PORT] [--json] ${prefix.join(' ')} SUBCOMMAND ...`;
  return [
    head,
    '',
    commandList(prefix),
    '',
    `"mail-director ${prefix.length === 0 ? 'COMMAND' : `${prefix.join(' ')} SUBCOMMAND`} --help" shows a command's options; --version the version.`,
    'Exit codes: 0 ok, 1 the director reported a failure, 2 the director could not be reached,',
    '64 bad command line, 67 no such user, 70 internal error, 78 bad configuration (serve).',
    '',
  ].join('\n');
}

const SERVE_SPEC = {
  options: [
    { name: 'config', value: 'FILE', env: 'MAIL_DIRECTOR_CONFIG', summary: 'configuration file (YAML)' },
    { name: 'id', value: 'ID', summary: 'director id (overrides director.id)' },
  ],
  positionals: [],
};
const CONFIG_CHECK_SPEC = {
  options: [{ name: 'json', summary: 'machine-readable output' }],
  positionals: [{ name: 'FILE', required: true, summary: 'configuration file' }],
};

/** The command's words only: what the operator typed as a command, without the options moved after it. */
function commandWords(args: readonly string[]): string {
  const words: string[] = [];
  for (const a of args) {
    if (a.startsWith('-')) break;
    words.push(a);
  }
  return words.join(' ');
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const args = hoistGlobalOptions(argv);
  const first = args[0];
  try {
    if (first === '--version' || first === '-V' || first === 'version') {
      io.stdout(`mail-director ${cliVersion()}\n`);
      return EXIT.ok;
    }
    if (first === undefined || first.startsWith('-') || first === 'help') {
      // `help user` lists the user commands; `help user kick` is `user kick --help`.
      const topic = first === 'help' ? args.slice(1).filter((a) => !a.startsWith('-')) : [];
      if (topic.length > 0) return main([...topic, '--help'], io);
      const wanted = first === 'help' || first === '--help' || first === '-h';
      if (first !== undefined && !wanted) {
        io.stderr(`mail-director: unknown option ${first.split('=')[0] ?? first}\n${help([])}`);
        return EXIT.usage;
      }
      if (!wanted) {
        io.stderr(help([]));
        return EXIT.usage;
      }
      io.stdout(help(topic));
      return EXIT.ok;
    }
    if (first === 'serve') {
      const parsed = parseArgs(args.slice(1), SERVE_SPEC);
      const file = parsed.value('config');
      if (parsed.help) {
        io.stdout(usageText(['serve'], 'Run a director until SIGTERM.', SERVE_SPEC));
        return EXIT.ok;
      }
      if (file === undefined) {
        io.stderr(`mail-director serve: --config FILE is required\n${usageText(['serve'], 'Run a director until SIGTERM.', SERVE_SPEC)}`);
        return EXIT.usage;
      }
      return await serve(file, parsed.value('id'));
    }
    if (first === 'config' && args[1] === 'check') {
      const usage = (): string => usageText(['config', 'check'], 'List every problem in a config file; exit 1 when there is one.', CONFIG_CHECK_SPEC);
      let parsed: ParsedArgs;
      try {
        parsed = parseArgs(args.slice(2), CONFIG_CHECK_SPEC);
      } catch (err: unknown) {
        if (!(err instanceof UsageError)) throw err;
        io.stderr(`mail-director config check: ${err.message}\n${usage()}`);
        return EXIT.usage;
      }
      if (parsed.help) {
        io.stdout(usage());
        return EXIT.ok;
      }
      return configCheck(parsed.positionals[0] ?? '', process.stdout, process.stderr, parsed.flag('json'));
    }
    if (args[0] === 'cert') return await certCommand(args.slice(1), io);
    const found = findAdminCommand(args);
    if (found === undefined) {
      const group = groupPrefix(args);
      if (group.length > 0) {
        // `user`, `user --help`, `auth cache -h`: the group's commands.
        const rest = args.slice(group.length);
        const asked = rest.includes('--help') || rest.includes('-h');
        // The word after the group, when it is one (not an option's value further on).
        const sub = rest[0] !== undefined && !rest[0].startsWith('-') ? rest[0] : undefined;
        if (asked && sub === undefined) {
          io.stdout(help(group));
          return EXIT.ok;
        }
        const what = sub === undefined ? `mail-director ${group.join(' ')}: a subcommand is needed` : `mail-director: unknown command: ${group.join(' ')} ${sub}`;
        io.stderr(`${what}\n${help(group)}`);
        return EXIT.usage;
      }
      io.stderr(`mail-director: unknown command: ${commandWords(args)}\n${help([])}`);
      return EXIT.usage;
    }
    return await found.command.run(found.args, io);
  } catch (error: unknown) {
    if (error instanceof UsageError) {
      io.stderr(`mail-director: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
}
