import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';

/**
 * The ring's certificates, made with the openssl command (node's crypto
 * makes keys but cannot sign a certificate). What the ring checks decides
 * the shapes: grpc_tls in README.md, src/adapters/grpc/peer-certificate.ts
 * (names: CN, then DNS SANs) and src/cluster/gossip.ts (a director's
 * certificate names its id).
 */

export interface IssuedFiles {
  readonly cert: string;
  readonly key: string;
}

export interface CaFiles {
  readonly cert: string;
  readonly key: string;
}

/** openssl failed or is missing: the message is openssl's own last line. */
export class PkiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PkiError';
  }
}

// P-256: made in milliseconds, accepted by every TLS stack in the ring (grpc-js, OpenSSL 1.1 and 3).
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(args: readonly string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', [...args], { cwd, timeout: 30_000 }, (err, _stdout, stderr) => {
      if (err === null) {
        resolve();
        return;
      }
      const code = (err as NodeJS.ErrnoException).code;
      const last = stderr.trim().split('\n').pop() ?? '';
      reject(new PkiError(code === 'ENOENT' ? 'the openssl command is not installed' : `openssl ${args[0] ?? ''} failed: ${last || err.message}`));
    });
  });
}

/** Serial numbers must differ per issuer: 64 random bits, high bit clear so the number stays positive. */
function randomSerial(): string {
  const bytes = randomBytes(8);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return `0x${bytes.toString('hex')}`;
}

/** A subject's CN as openssl's -subj takes it (`/` and `\` escaped). */
function subject(cn: string): string {
  return `/CN=${cn.replace(/[\\/]/g, (c) => `\\${c}`)}`;
}

/** IP and DNS subject alt names; a host that is not an IP address is a DNS name. */
export function altNames(hosts: readonly string[]): string {
  return hosts.map((h) => (isIP(h) === 0 ? `DNS:${h}` : `IP:${h}`)).join(',');
}

/**
 * Files are made in a private scratch folder and moved into place last, so a
 * failure leaves nothing half-made; keys are 0600 from the start.
 */
async function inScratch<T>(dir: string, make: (scratch: string) => Promise<T>): Promise<T> {
  const scratch = await mkdtemp(join(dir, '.mail-director-cert-'));
  try {
    return await make(scratch);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function place(from: string, to: string, mode: number): Promise<void> {
  await chmod(from, mode);
  await rename(from, to);
}

/** A self-signed CA that signs the ring's certificates only (pathlen 0). */
export async function makeCa(dir: string, name: string, out: CaFiles, days: number): Promise<void> {
  await inScratch(dir, async (scratch) => {
    await openssl(
      [
        'req', '-x509', ...NEW_KEY, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', String(days), '-subj', subject(name),
        '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0',
        '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
        '-addext', 'subjectKeyIdentifier=hash',
      ],
      scratch,
    );
    await place(join(scratch, 'ca.key'), out.key, 0o600);
    await place(join(scratch, 'ca.crt'), out.cert, 0o644);
  });
}

export interface LeafRequest {
  /** The certificate's CN. */
  readonly name: string;
  /** Subject alt names: IP addresses and DNS names. */
  readonly hosts: readonly string[];
  /** serverAuth + clientAuth (a director dials and is dialled), or clientAuth alone (an admin). */
  readonly usage: 'server-and-client' | 'client';
  readonly days: number;
}

/** A certificate for `request` signed by `ca`, with a new key. */
export async function issue(dir: string, ca: CaFiles, request: LeafRequest, out: IssuedFiles): Promise<void> {
  await inScratch(dir, async (scratch) => {
    const ext = [
      `extendedKeyUsage=${request.usage === 'client' ? 'clientAuth' : 'serverAuth,clientAuth'}`,
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
    ];
    if (request.hosts.length > 0) ext.unshift(`subjectAltName=${altNames(request.hosts)}`);
    await writeFile(join(scratch, 'leaf.ext'), `${ext.join('\n')}\n`);
    await openssl(['req', '-new', ...NEW_KEY, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', subject(request.name)], scratch);
    await openssl(
      [
        'x509', '-req', '-in', 'leaf.csr', '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', randomSerial(),
        '-out', 'leaf.crt', '-days', String(request.days), '-sha256', '-extfile', 'leaf.ext',
      ],
      scratch,
    );
    await place(join(scratch, 'leaf.key'), out.key, 0o600);
    await place(join(scratch, 'leaf.crt'), out.cert, 0o644);
  });
}
