import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MutualTls } from '../../../src/adapters/grpc/security.js';

export interface TestPki {
  readonly server: MutualTls;
  /** The admin client: CN=admin (the name the TLS test server lists in its admins). */
  readonly clientFiles: { readonly ca: string; readonly cert: string; readonly key: string };
  /** A client certificate from the same CA whose name is not an admin's. */
  readonly memberFiles: { readonly ca: string; readonly cert: string; readonly key: string };
  /** A client certificate from a CA the server does not trust. */
  readonly strangerFiles: { readonly ca: string; readonly cert: string; readonly key: string };
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.crt`, '-subj', `/CN=${name}`, '-days', '2']);
}

function makeLeaf(dir: string, ca: string, name: string, ext: string): void {
  writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`,
    '-set_serial', String(Date.now()), '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`]);
}

/** A CA, a director certificate for 127.0.0.1, an admin and a non-admin client certificate, and a stranger. */
export function makeTestPki(dir: string): TestPki {
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  makeLeaf(dir, 'ca', 'director', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth');
  makeLeaf(dir, 'ca', 'admin', 'extendedKeyUsage=clientAuth');
  makeLeaf(dir, 'ca', 'member', 'extendedKeyUsage=clientAuth');
  makeLeaf(dir, 'other-ca', 'stranger', 'extendedKeyUsage=clientAuth');
  const file = (n: string): string => join(dir, n);
  return {
    server: { ca: readFileSync(file('ca.crt')), cert: readFileSync(file('director.crt')), key: readFileSync(file('director.key')) },
    clientFiles: { ca: file('ca.crt'), cert: file('admin.crt'), key: file('admin.key') },
    memberFiles: { ca: file('ca.crt'), cert: file('member.crt'), key: file('member.key') },
    strangerFiles: { ca: file('ca.crt'), cert: file('stranger.crt'), key: file('stranger.key') },
  };
}
