import type { CliIo } from './commands/index.js';
import { main } from './run.js';
import { packageVersion } from './version.js';

// gRPC passes an IP address as the TLS server name, which Node reports as a deprecation on every CLI run.
process.noDeprecation = true;
const io: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
};
const argv = process.argv.slice(2);
// Checked before the subcommand parser so `--version` works whatever the parser becomes.
const versionAsked = argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V');
if (versionAsked) io.stdout(`mail-director ${packageVersion()}\n`);
(versionAsked ? Promise.resolve(0) : main(argv, io)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`mail-director: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 70;
  },
);
