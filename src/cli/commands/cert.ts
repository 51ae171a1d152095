import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { altNames, issue, makeCa, PkiError, type CaFiles, type IssuedFiles } from '../../adapters/pki/openssl-ca.js';
import { parseHost } from '../../config/net-syntax.js';
import { parseArgs, usageText, UsageError, type ArgsSpec, type ParsedArgs } from '../args.js';
import { EXIT, type CliIo } from './command.js';

/*
 * `mail-director cert ca|director ID|admin NAME`: the ring CA, one
 * certificate per director and the admin CLI's certificates, in the shapes
 * the ring checks (README.md, grpc_tls), so an operator can turn mTLS on
 * without reading the code. No private key is ever overwritten.
 */

/** The config's director id syntax (src/config/sections.ts). */
const DIRECTOR_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** A certificate name that goes into grpc_tls.admins as it is. */
const ADMIN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
const CA_DAYS = 3650;
const LEAF_DAYS = 825;

const DIR_OPTION = { name: 'dir', value: 'DIR', summary: 'where the files go, and where the CA is read from (default: .)' } as const;
const DAYS_OPTION = { name: 'days', value: 'N', summary: 'validity in days (CA 3650, others 825)' } as const;

const SPECS = {
  ca: {
    options: [DIR_OPTION, DAYS_OPTION, { name: 'name', value: 'CN', summary: 'the CA\'s name (default "mail-director ring CA")' }],
    positionals: [],
  },
  director: {
    options: [DIR_OPTION, DAYS_OPTION, { name: 'hosts', value: 'HOST[,HOST…]', summary: 'the addresses or names other directors and the CLI dial (its ring.directors grpc host)' }],
    positionals: [{ name: 'ID', required: true, summary: 'the director id (director.id)' }],
  },
  admin: {
    options: [DIR_OPTION, DAYS_OPTION],
    positionals: [{ name: 'NAME', required: true, summary: 'the name to list in grpc_tls.admins' }],
  },
} satisfies Record<string, ArgsSpec>;

const SUMMARIES = {
  ca: 'Make the ring CA: DIR/ring-ca.crt and DIR/ring-ca.key (0600; keep it off the directors).',
  director: "Make a director's gRPC certificate from the ring CA: CN ID, serverAuth and clientAuth, the hosts as subject alt names.",
  admin: 'Make an admin certificate for the CLI from the ring CA: CN NAME, clientAuth only.',
} as const;

type Kind = keyof typeof SPECS;

export const CERT_SUMMARY = 'Make the ring CA and the directors\' and admins\' gRPC certificates (cert ca|director ID|admin NAME).';

function days(args: ParsedArgs, fallback: number): number {
  const raw = args.value('days');
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 36_500) throw new UsageError(`--days must be a whole number from 1 to 36500, got "${raw}"`);
  return n;
}

function hostsOf(args: ParsedArgs): string[] {
  const raw = args.value('hosts');
  if (raw === undefined || raw.trim() === '') throw new UsageError('--hosts is required: the address (or name) in ring.directors and --director');
  return raw.split(',').map((h) => {
    const parsed = parseHost(h.trim());
    if (!parsed.ok) throw new UsageError(`--hosts: ${parsed.message}`);
    return parsed.value;
  });
}

function refuseExisting(files: readonly string[]): void {
  const present = files.filter((f) => existsSync(f));
  if (present.length > 0) throw new PkiError(`${present.join(' and ')} already exist${present.length === 1 ? 's' : ''}; move ${present.length === 1 ? 'it' : 'them'} away first (nothing was written)`);
}

function caFiles(dir: string): CaFiles {
  const ca = { cert: join(dir, 'ring-ca.crt'), key: join(dir, 'ring-ca.key') };
  const missing = [ca.cert, ca.key].filter((f) => !existsSync(f));
  if (missing.length > 0) throw new PkiError(`${missing.join(' and ')} not found: run \`mail-director cert ca --dir ${dir}\` first`);
  return ca;
}

async function run(kind: Kind, args: ParsedArgs, io: CliIo): Promise<void> {
  const dir = resolve(args.value('dir') ?? '.');
  if (kind === 'ca') {
    const out: CaFiles = { cert: join(dir, 'ring-ca.crt'), key: join(dir, 'ring-ca.key') };
    const validity = days(args, CA_DAYS);
    refuseExisting([out.cert, out.key]);
    await mkdir(dir, { recursive: true });
    await makeCa(dir, args.value('name') ?? 'mail-director ring CA', out, validity);
    io.stdout(
      [
        `wrote ${out.cert} (give it to every director as grpc_tls.ca, and to the CLI as --ca)`,
        `wrote ${out.key} (0600: it signs the ring's certificates; keep it where you make them, not on the directors)`,
        '',
      ].join('\n'),
    );
    return;
  }
  const name = args.positionals[0] ?? '';
  if (kind === 'director' && !DIRECTOR_ID.test(name)) throw new UsageError(`"${name}" is not a director id (letters, digits, "_", ".", "-"; up to 64)`);
  if (kind === 'admin' && !ADMIN_NAME.test(name)) throw new UsageError(`"${name}" is not a certificate name (letters, digits, "_", ".", "@", "-"; up to 64)`);
  const hosts = kind === 'director' ? hostsOf(args) : [];
  const validity = days(args, LEAF_DAYS);
  const ca = caFiles(dir);
  const base = kind === 'director' ? `director-${name}` : `admin-${name}`;
  const out: IssuedFiles = { cert: join(dir, `${base}.crt`), key: join(dir, `${base}.key`) };
  refuseExisting([out.cert, out.key]);
  await issue(dir, ca, { name, hosts, usage: kind === 'director' ? 'server-and-client' : 'client', days: validity }, out);
  if (kind === 'director') {
    io.stdout(
      [
        `wrote ${out.cert} (CN ${name}; serverAuth, clientAuth; ${altNames(hosts)})`,
        `wrote ${out.key} (0600; the director's user must read it: chown root:mail-director, chmod 0640)`,
        `in ${name}'s config:`,
        '  grpc_tls:',
        `    ca: ${ca.cert}`,
        `    cert: ${out.cert}`,
        `    key: ${out.key}`,
        '    admins: [NAME]    # the names of `mail-director cert admin NAME`',
        '',
      ].join('\n'),
    );
    return;
  }
  io.stdout(
    [
      `wrote ${out.cert} (CN ${name}; clientAuth)`,
      `wrote ${out.key} (0600)`,
      `list "${name}" in every director's grpc_tls.admins, then run the CLI with:`,
      `  mail-director --director HOST:PORT --ca ${ca.cert} --cert ${out.cert} --key ${out.key} status`,
      `or set MAIL_DIRECTOR_CA, MAIL_DIRECTOR_CERT and MAIL_DIRECTOR_KEY to those files.`,
      '',
    ].join('\n'),
  );
}

/** `mail-director cert …`; resolves to the exit code. */
export async function certCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const kind = argv[0];
  if (kind !== 'ca' && kind !== 'director' && kind !== 'admin') {
    const lines = (Object.keys(SPECS) as Kind[]).map((k) => usageText(['cert', k], SUMMARIES[k], SPECS[k]));
    (kind === undefined || kind === '--help' || kind === '-h' ? io.stdout : io.stderr)(lines.join('\n'));
    return kind === '--help' || kind === '-h' ? EXIT.ok : EXIT.usage;
  }
  const spec = SPECS[kind];
  let args: ParsedArgs;
  try {
    args = parseArgs(argv.slice(1), spec);
    if (args.help) {
      io.stdout(usageText(['cert', kind], SUMMARIES[kind], spec));
      return EXIT.ok;
    }
    await run(kind, args, io);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`mail-director cert ${kind}: ${err.message}\n${usageText(['cert', kind], SUMMARIES[kind], spec)}`);
      return EXIT.usage;
    }
    if (err instanceof PkiError) {
      io.stderr(`mail-director cert ${kind}: ${err.message}\n`);
      return EXIT.failed;
    }
    throw err;
  }
}
