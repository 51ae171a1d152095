import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { AdminCallError } from '../../adapters/grpc/errors.js';
import { createAdminApi } from '../../adapters/grpc/admin-client.js';
import type { AdminApi } from '../../adapters/grpc/admin-client.js';
import type { MutualTls } from '../../adapters/grpc/security.js';
import { parseArgs, usageText, UsageError } from '../args.js';
import type { ArgsSpec, OptionSpec, ParsedArgs } from '../args.js';
import { status as grpcStatus } from '@grpc/grpc-js';
import { EXIT } from './command.js';
import { plaintextRefusedWhy } from './tls-diagnosis.js';
import type { AdminCommand, CliIo } from './command.js';

export const DEFAULT_DIRECTOR_ADDRESS = '127.0.0.1:17000';

/** Options every admin subcommand takes (docs/invariants.md, CLI: --json and --director). */
export const CONNECTION_OPTIONS: readonly OptionSpec[] = [
  { name: 'json', summary: 'print one line of JSON instead of a table' },
  {
    name: 'director',
    value: 'HOST:PORT',
    env: 'MAIL_DIRECTOR_ADDR',
    summary: `the director's admin gRPC address (default ${DEFAULT_DIRECTOR_ADDRESS})`,
  },
  { name: 'ca', value: 'FILE', env: 'MAIL_DIRECTOR_CA', summary: "CA that signed the director's certificate (mTLS)" },
  { name: 'cert', value: 'FILE', env: 'MAIL_DIRECTOR_CERT', summary: 'client certificate (mTLS)' },
  { name: 'key', value: 'FILE', env: 'MAIL_DIRECTOR_KEY', summary: 'client private key (mTLS)' },
  {
    name: 'tls-name',
    value: 'NAME',
    env: 'MAIL_DIRECTOR_TLS_NAME',
    summary: "name to verify in the director's certificate (default: HOST)",
  },
];

/** Check HOST:PORT (IPv6 as [addr]:port) and return it as a gRPC target. */
export function parseDirectorAddress(text: string): string {
  const match = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(text);
  const host = match?.[1];
  const port = Number(match?.[2]);
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new UsageError(`--director must be HOST:PORT, got "${text}"`);
  }
  if (host.startsWith('[') && isIP(host.slice(1, -1)) !== 6) {
    throw new UsageError(`--director: "${host}" is not an IPv6 address`);
  }
  return `${host}:${port}`;
}

async function readPem(option: string, path: string): Promise<Buffer> {
  let pem: Buffer;
  try {
    pem = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UsageError(`cannot read --${option} ${path}: ${code}`);
  }
  // Node silently ignores a CA file without PEM blocks; the handshake would then fail as "unreachable".
  if (!pem.includes('-----BEGIN ')) throw new UsageError(`--${option} ${path} is not a PEM file`);
  return pem;
}

/** All of --ca, --cert, --key for mTLS, or none of them for plaintext (loopback directors only). */
export async function loadClientTls(args: ParsedArgs): Promise<MutualTls | undefined> {
  const ca = args.value('ca');
  const cert = args.value('cert');
  const key = args.value('key');
  if (ca === undefined && cert === undefined && key === undefined) return undefined;
  if (ca === undefined || cert === undefined || key === undefined) {
    throw new UsageError('mTLS needs all of --ca, --cert and --key');
  }
  const [caPem, certPem, keyPem] = await Promise.all([readPem('ca', ca), readPem('cert', cert), readPem('key', key)]);
  return { ca: caPem, cert: certPem, key: keyPem };
}

export interface AdminCommandDefinition {
  readonly name: readonly string[];
  readonly summary: string;
  readonly json: string;
  /** Options and arguments besides CONNECTION_OPTIONS. */
  readonly options?: readonly OptionSpec[];
  readonly positionals?: ArgsSpec['positionals'];
  /** Talk to the director and print; throw UsageError for bad values. Returns the exit code. */
  execute(api: AdminApi, args: ParsedArgs, io: CliIo, json: boolean): Promise<number>;
}

/**
 * The shared life of an admin command: parse, connect, run, and turn every
 * failure into one line on stderr and its exit code (never a stack trace).
 */
export function defineAdminCommand(def: AdminCommandDefinition): AdminCommand {
  const spec: ArgsSpec = {
    options: [...CONNECTION_OPTIONS, ...(def.options ?? [])],
    positionals: def.positionals ?? [],
  };
  const usage = (): string => usageText(def.name, def.summary, spec, `--json prints ${def.json}`);
  const prefix = `mail-director ${def.name.join(' ')}`;

  return {
    name: def.name,
    summary: def.summary,
    json: def.json,
    async run(argv: readonly string[], io: CliIo): Promise<number> {
      let args: ParsedArgs;
      let target: string;
      let tls: MutualTls | undefined;
      try {
        args = parseArgs(argv, spec, io.env);
        if (args.help) {
          io.stdout(usage());
          return EXIT.ok;
        }
        target = parseDirectorAddress(args.value('director') ?? DEFAULT_DIRECTOR_ADDRESS);
        tls = await loadClientTls(args);
      } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        io.stderr(`${prefix}: ${err.message}\n${usage()}`);
        return EXIT.usage;
      }

      let api: AdminApi;
      try {
        api = createAdminApi({ target, tls, tlsServerName: args.value('tls-name') });
      } catch (err) {
        // Node parses the PEM files here: a wrong file is the operator's to fix, not a crash.
        io.stderr(`${prefix}: unusable TLS files: ${err instanceof Error ? err.message : String(err)}\n`);
        return EXIT.usage;
      }
      try {
        return await def.execute(api, args, io, args.flag('json'));
      } catch (err) {
        if (err instanceof UsageError) {
          io.stderr(`${prefix}: ${err.message}\n${usage()}`);
          return EXIT.usage;
        }
        if (err instanceof AdminCallError) {
          if (err.kind === 'unreachable') {
            const why = tls === undefined ? await plaintextRefusedWhy(target) : undefined;
            io.stderr(`${prefix}: cannot reach director at ${target}: ${why ?? err.details}\n`);
            return EXIT.unreachable;
          }
          if (err.code === grpcStatus.NOT_FOUND) {
            io.stderr(`${prefix}: ${err.details}\n`);
            return EXIT.noUser;
          }
          io.stderr(`${prefix}: director at ${target} refused: ${err.details}\n`);
          return EXIT.failed;
        }
        io.stderr(`${prefix}: ${err instanceof Error ? err.message : String(err)}\n`);
        return EXIT.failed;
      } finally {
        api.close();
      }
    },
  };
}
