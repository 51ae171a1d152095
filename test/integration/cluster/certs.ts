import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MutualTls } from '../../../src/adapters/grpc/security.js';

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.crt`, '-subj', `/CN=${name}`, '-days', '2']);
}

/** A director certificate: server and client at once, since directors dial each other. */
function makeDirectorCert(dir: string, ca: string, name: string): MutualTls {
  writeFileSync(join(dir, `${name}.ext`), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`,
    '-set_serial', String(Date.now() + Math.floor(Math.random() * 1e6)), '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`]);
  return {
    ca: readFileSync(join(dir, `${ca}.crt`)),
    cert: readFileSync(join(dir, `${name}.crt`)),
    key: readFileSync(join(dir, `${name}.key`)),
  };
}

export interface ClusterPki {
  /** One certificate per director id, all from the ring CA. */
  readonly directors: ReadonlyMap<string, MutualTls>;
  /** A client whose certificate comes from a CA the ring does not trust (it trusts the ring CA itself). */
  readonly stranger: MutualTls;
}

export function makeClusterPki(dir: string, ids: readonly string[]): ClusterPki {
  makeCa(dir, 'ring-ca');
  makeCa(dir, 'other-ca');
  const directors = new Map(ids.map((id) => [id, makeDirectorCert(dir, 'ring-ca', id)]));
  const strangerOwn = makeDirectorCert(dir, 'other-ca', 'stranger');
  return { directors, stranger: { ...strangerOwn, ca: readFileSync(join(dir, 'ring-ca.crt')) } };
}
