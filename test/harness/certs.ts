import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { run } from './exec.js';
import { HarnessError } from './errors.js';

/** Paths of a PEM certificate and its unencrypted key. */
export interface CaFiles {
  readonly cert: string;
  readonly key: string;
}

export interface CertFiles {
  readonly cert: string;
  readonly key: string;
}

export interface SubjectAltNames {
  readonly ips: readonly string[];
  readonly dns: readonly string[];
}

// P-256 keys: generated in milliseconds, unlike RSA, and every TLS stack here accepts them.
const KEY_ARGS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function safeName(name: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new HarnessError('bad_input', `certificate name ${JSON.stringify(name)}: use [A-Za-z0-9._-]`);
  return name;
}

/** A self-signed CA in `dir` as NAME.crt / NAME.key. */
export async function createCa(dir: string, name: string): Promise<CaFiles> {
  safeName(name);
  await mkdir(dir, { recursive: true });
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await run('openssl', [
    'req', '-x509', ...KEY_ARGS, '-keyout', key, '-out', cert, '-days', '3650', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-addext', 'subjectKeyIdentifier=hash',
  ]);
  return { cert, key };
}

/**
 * A leaf certificate for `name` signed by `ca`, usable as server and client
 * (serverAuth + clientAuth), with the given IP and DNS subject alt names.
 */
export async function issueCert(ca: CaFiles, dir: string, name: string, san: SubjectAltNames): Promise<CertFiles> {
  safeName(name);
  await mkdir(dir, { recursive: true });
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  const names = [...san.ips.map((ip) => `IP:${ip}`), ...san.dns.map((dns) => `DNS:${dns}`)];
  if (names.length === 0) throw new HarnessError('bad_input', `certificate ${name}: give at least one IP or DNS name`);
  await writeFile(
    ext,
    [
      `subjectAltName=${names.join(',')}`,
      'extendedKeyUsage=serverAuth,clientAuth',
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'authorityKeyIdentifier=keyid',
      '',
    ].join('\n'),
  );
  await run('openssl', ['req', '-new', ...KEY_ARGS, '-keyout', key, '-out', csr, '-subj', `/CN=${name}`]);
  await run('openssl', [
    'x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', `0x${randomSerial()}`,
    '-out', cert, '-days', '825', '-sha256', '-extfile', ext,
  ]);
  return { cert, key };
}

function randomSerial(): string {
  // Serial numbers must differ per issuer; 64 random bits, high bit clear so it stays positive.
  const bytes = randomBytes(8);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}
