import { Attribute, Change, Client } from 'ldapts';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './exec.js';
import { HarnessError } from './errors.js';
import { ldifEntry, type LdifValue } from './ldif.js';
import { freePort } from './ports.js';
import { spawnLogged, waitForPort } from './process.js';

export interface LdapUser {
  readonly uid: string;
  readonly password: string;
  /** Stored userPassword, e.g. '{SSHA}...'; default: the plain password (slapd binds against cleartext). */
  readonly userPassword?: string;
  /** Extra attributes, e.g. { mailHost: '127.0.0.11', mailExtraField: ['port=143', 'ssl=no'] }. */
  readonly attrs?: Readonly<Record<string, string | readonly string[]>>;
}

export interface SlapdHandle {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly baseDn: string;
  readonly peopleDn: string;
  readonly bindDn: string;
  readonly bindPassword: string;
  readonly pid: number;
  readonly logFile: string;
  dnOf(uid: string): string;
  addUser(u: LdapUser): Promise<void>;
  /** Replace attributes; `null` deletes one. */
  modifyUser(uid: string, changes: Readonly<Record<string, string | readonly string[] | null>>): Promise<void>;
  deleteUser(uid: string): Promise<void>;
  /** SIGSTOP: a slow/hanging LDAP server (connections are accepted, nothing answers). */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export interface StartSlapdOptions {
  readonly dir: string;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default: a free port. */
  readonly port?: number;
  readonly users: readonly LdapUser[];
  /** Leave running after this Node process exits (dev-cluster). */
  readonly detached?: boolean;
}

export const BASE_DN = 'dc=example,dc=org';
export const PEOPLE_DN = `ou=people,${BASE_DN}`;
export const ROOT_DN = `cn=admin,${BASE_DN}`;

const SCHEMA = fileURLToPath(new URL('../fixtures/ldap/mail-director.schema', import.meta.url));
const SYSTEM_SCHEMAS = ['core', 'cosine', 'inetorgperson'].map((s) => `/etc/ldap/schema/${s}.schema`);

function dnOf(uid: string): string {
  if (!/^[A-Za-z0-9._@+-]+$/.test(uid)) throw new HarnessError('bad_input', `uid ${JSON.stringify(uid)} needs DN escaping; use [A-Za-z0-9._@+-]`);
  // RFC 4514 §2.4: '+' separates the values of a multi-valued RDN unless escaped.
  return `uid=${uid.replaceAll('+', '\\+')},${PEOPLE_DN}`;
}

function userEntry(u: LdapUser): string {
  const attrs: Record<string, LdifValue> = {
    objectClass: ['inetOrgPerson', 'mailDirectorUser'],
    uid: u.uid,
    cn: u.uid,
    sn: u.uid,
    userPassword: u.userPassword ?? u.password,
  };
  for (const [k, v] of Object.entries(u.attrs ?? {})) attrs[k] = v;
  return ldifEntry(dnOf(u.uid), attrs);
}

function slapdConf(dir: string, rootPassword: string): string {
  return [
    ...SYSTEM_SCHEMAS.map((s) => `include ${s}`),
    `include ${SCHEMA}`,
    `pidfile ${join(dir, 'slapd.pid')}`,
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    'sizelimit unlimited',
    'database mdb',
    // Sparse file; small keeps many parallel test instances cheap.
    'maxsize 268435456',
    `suffix "${BASE_DN}"`,
    `rootdn "${ROOT_DN}"`,
    `rootpw ${rootPassword}`,
    `directory ${join(dir, 'db')}`,
    'index objectClass eq',
    'index uid eq',
    // Users bind with their own password but nobody else reads it (the root DN bypasses ACLs).
    'access to attrs=userPassword',
    '  by self write',
    '  by anonymous auth',
    '  by * none',
    'access to * by * read',
    '',
  ].join('\n');
}

async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ url, timeout: 5000, connectTimeout: 2000 });
  try {
    await client.bind(ROOT_DN, ROOT_PASSWORD);
    return await fn(client);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

const ROOT_PASSWORD = 'admin-secret';

/** An OpenLDAP slapd (mdb) loaded with `users`, as an ordinary process on host:port. */
export async function startSlapd(opts: StartSlapdOptions): Promise<SlapdHandle> {
  const host = opts.host ?? '127.0.0.1';
  const dir = opts.dir;
  await mkdir(join(dir, 'db'), { recursive: true });
  const conf = join(dir, 'slapd.conf');
  // rootpw and every user's password: readable by this user (slapd runs as it) only.
  await writeFile(conf, slapdConf(dir, ROOT_PASSWORD), { mode: 0o600 });
  const ldif = [
    ldifEntry(BASE_DN, { objectClass: ['dcObject', 'organization'], o: 'Example', dc: 'example' }),
    ldifEntry(PEOPLE_DN, { objectClass: 'organizationalUnit', ou: 'people' }),
    ...opts.users.map(userEntry),
  ].join('\n');
  const ldifFile = join(dir, 'init.ldif');
  await writeFile(ldifFile, ldif, { mode: 0o600 });
  // Offline load: thousands of users in well under a second, and slapd starts already populated.
  await run('slapadd', ['-q', '-f', conf, '-l', ldifFile]);

  const port = opts.port ?? (await freePort(host));
  const url = `ldap://${host}:${port}`;
  const logFile = join(dir, 'slapd.log');
  const proc = spawnLogged({
    name: 'slapd',
    command: '/usr/sbin/slapd',
    // -d keeps it in the foreground; 256 = "stats" (connections, binds, searches).
    args: ['-f', conf, '-h', `${url}/`, '-d', '256'],
    logFile,
    detached: opts.detached ?? false,
  });
  try {
    await waitForPort(host, port, 5000, { alive: proc.alive, what: 'slapd', logFile });
  } catch (err) {
    await proc.kill();
    throw err;
  }

  const handle: SlapdHandle = {
    url,
    host,
    port,
    baseDn: BASE_DN,
    peopleDn: PEOPLE_DN,
    bindDn: ROOT_DN,
    bindPassword: ROOT_PASSWORD,
    pid: proc.pid,
    logFile,
    dnOf,
    addUser: (u) =>
      withClient(url, async (client) => {
        const attributes: Record<string, string | string[]> = {
          objectClass: ['inetOrgPerson', 'mailDirectorUser'],
          uid: u.uid,
          cn: u.uid,
          sn: u.uid,
          userPassword: u.userPassword ?? u.password,
        };
        for (const [k, v] of Object.entries(u.attrs ?? {})) attributes[k] = typeof v === 'string' ? v : [...v];
        await client.add(dnOf(u.uid), attributes);
      }),
    modifyUser: (uid, changes) =>
      withClient(url, async (client) => {
        const mods = Object.entries(changes).map(([type, value]) =>
          // A replace with no values deletes the attribute and, unlike delete, does not fail when it is absent.
          new Change({
            operation: 'replace',
            modification: new Attribute({ type, values: value === null ? [] : typeof value === 'string' ? [value] : [...value] }),
          }),
        );
        await client.modify(dnOf(uid), mods);
      }),
    deleteUser: (uid) => withClient(url, (client) => client.del(dnOf(uid))),
    pause: proc.pause,
    resume: proc.resume,
    stop: () => proc.stop(),
  };
  return handle;
}
