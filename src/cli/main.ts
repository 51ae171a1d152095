import type { CliIo } from './commands/index.js';
import { main } from './run.js';

// gRPC passes an IP address as the TLS server name, which Node reports as a deprecation on every CLI run.
process.noDeprecation = true;
const io: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
};
main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`mail-director: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 70;
  },
);
