import { parseArgs, UsageError, usageText } from './args.js';
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

function help(io: CliIo): void {
  const lines = [
    'usage: mail-director [--director HOST:PORT] [--json] COMMAND ...',
    '',
    '  serve --config FILE [--id ID]      run a director',
    '  config check FILE [--json]         list every problem in a config file',
    `  ${'cert ca|director ID|admin NAME'.padEnd(34)} ${CERT_SUMMARY}`,
    ...adminCommands.map((c) => `  ${c.name.join(' ').padEnd(34)} ${c.summary}`),
  ];
  io.stdout(lines.join('\n') + '\n');
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const args = hoistGlobalOptions(argv);
  try {
    if (args.length === 0 || args[0] === 'help' || args[0] === '--help' || args[0] === '-h') {
      help(io);
      return args.length === 0 ? EXIT.usage : EXIT.ok;
    }
    if (args[0] === 'serve') {
      const spec = {
        options: [
          { name: 'config', value: 'FILE', env: 'MAIL_DIRECTOR_CONFIG', summary: 'configuration file (YAML)' },
          { name: 'id', value: 'ID', summary: 'director id (overrides director.id)' },
        ],
        positionals: [],
      };
      const parsed = parseArgs(args.slice(1), spec);
      const file = parsed.value('config');
      if (parsed.help || file === undefined) {
        io.stderr(usageText(['serve'], 'run a director', spec));
        return parsed.help ? EXIT.ok : EXIT.usage;
      }
      return await serve(file, parsed.value('id'));
    }
    if (args[0] === 'config' && args[1] === 'check') {
      const spec = { options: [{ name: 'json', summary: 'machine-readable output' }], positionals: [{ name: 'FILE', required: true, summary: 'configuration file' }] };
      const parsed = parseArgs(args.slice(2), spec);
      const file = parsed.positionals[0];
      if (parsed.help || file === undefined) {
        io.stderr(usageText(['config', 'check'], 'list every problem in a config file', spec));
        return parsed.help ? EXIT.ok : EXIT.usage;
      }
      return configCheck(file, process.stdout, process.stderr, parsed.flag('json'));
    }
    if (args[0] === 'cert') return await certCommand(args.slice(1), io);
    const found = findAdminCommand(args);
    if (found === undefined) {
      io.stderr(`mail-director: unknown command: ${args.join(' ')}\n`);
      help({ ...io, stdout: io.stderr });
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
