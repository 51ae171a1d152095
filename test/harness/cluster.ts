import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createCa, type CaFiles } from './certs.js';
import {
  DEFAULT_LISTEN,
  DIRECTOR_CLI_ARGS,
  LDAP_FIELDS,
  LISTEN_KEYS,
  startDirector,
  type ConfigOverrides,
  type DirectorHandle,
  type DirectorListenKey,
} from './director.js';
import { startDovecot, type BackendOAuth2, type DovecotHandle, type DovecotUser } from './dovecot.js';
import { freePort } from './ports.js';
import { processStartTime } from './process.js';
import { startSlapd, type LdapUser, type SlapdHandle } from './slapd.js';
import type { SqlServerHandle } from './sql-server.js';
import { clusterUserRow, createUserTable, sqlPassdbSection, SQL_USER_QUERY, SQL_USER_TABLE, startSqlServer, type SqlDriver } from './sql-users.js';

export type UserKind = 'ring' | 'host' | 'proxy_maybe' | 'proxy_always' | 'destuser' | 'nologin';

export interface ClusterUser {
  readonly name: string;
  readonly password: string;
  readonly kind: UserKind;
  /** mailHost in LDAP, when set. */
  readonly host?: string;
  /** Backend id for kind 'host'. */
  readonly backend?: string;
  /** mailDestUser for kind 'destuser'. */
  readonly destuser?: string;
  /** mailNoLoginReason for kind 'nologin'. */
  readonly reason?: string;
}

/** cluster.json (docs/invariants.md, dev cluster). Ports are "host:port" strings (directors) or numbers (backends); unused ones null. */
export interface ClusterJson {
  readonly ldap: {
    readonly url: string;
    readonly baseDn: string;
    readonly bindDn: string;
    readonly bindPassword: string;
    readonly fields: Readonly<Record<string, string>>;
  };
  readonly directors: ReadonlyArray<
    { readonly id: string; readonly pid: number; readonly log: string; readonly lmtp_socket: string | null } & Readonly<Record<DirectorListenKey, string | null>>
  >;
  readonly backends: ReadonlyArray<{
    readonly id: string;
    readonly host: string;
    readonly imap: number;
    readonly imaps: number;
    readonly pop3: number;
    readonly pop3s: number;
    readonly submission: number;
    readonly lmtp: number;
    readonly sieve: number;
    readonly pid: number;
    readonly log: string;
  }>;
  readonly users: ReadonlyArray<{ readonly name: string; readonly password: string; readonly kind: UserKind }>;
  readonly cli: readonly string[];
  readonly tls: { readonly ca: string };
  /** With ClusterOptions.sql only (added; the keys above are the contract). */
  readonly sql?: {
    readonly driver: SqlDriver;
    readonly host: string;
    readonly port: number;
    readonly database: string;
    readonly user: string;
    readonly password: string;
    readonly table: string;
    readonly password_query: string;
  };
}

/** A process `down` may stop: the start time tells it apart from a later process with a reused PID. */
export interface PidRecord {
  readonly name: string;
  readonly pid: number;
  readonly startTime: string | undefined;
}

export interface DirectorPeer {
  readonly id: string;
  readonly host: string;
  readonly grpc: number | null;
}

export interface ClusterOptions {
  readonly dir: string;
  /** Number of Dovecot backends (127.0.0.11, .12, ...). Default 2. */
  readonly backends?: number;
  /** Number of directors (0: infrastructure only). Default 1. */
  readonly directors?: number;
  /** Generated users user0001..userNNNN (plus alias0001). Default 20. */
  readonly users?: number;
  /** Processes outlive this Node process (dev-cluster up). */
  readonly detached?: boolean;
  readonly masterUser?: DovecotUser;
  readonly directorListen?: readonly DirectorListenKey[];
  /** Directors' listen keys that take a PROXY header (test/harness/haproxy.ts sends it). */
  readonly directorHaproxy?: readonly DirectorListenKey[];
  /** Per-director config overrides; the function form sees every director's gRPC port (ring peers). */
  readonly directorOverrides?: ConfigOverrides | ((self: DirectorPeer, all: readonly DirectorPeer[]) => ConfigOverrides);
  readonly logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  /** Directors also listen for LMTP on DIR/dN/lmtp.sock (listen.lmtp_socket). */
  readonly lmtpSocket?: boolean;
  /** The MTA every backend's submission service relays to (test/harness/postfix.ts). */
  readonly relay?: { readonly host: string; readonly port: number };
  /** Every backend also checks XOAUTH2/OAUTHBEARER tokens with this provider (test/harness/idp.ts). */
  readonly backendOAuth2?: BackendOAuth2;
  /**
   * Directors read the users from this database (MariaDB or PostgreSQL,
   * table SQL_USER_TABLE) instead of LDAP; slapd still runs with the same
   * users, so cluster.json's `ldap` stays as it was.
   */
  readonly sql?: SqlDriver;
}

export interface Cluster {
  readonly dir: string;
  readonly ca: CaFiles;
  readonly slapd: SlapdHandle;
  /** With ClusterOptions.sql: the database the directors read. */
  readonly sqlServer: SqlServerHandle | undefined;
  readonly backends: readonly DovecotHandle[];
  /** Mutable: restart() of a director may replace an entry. */
  readonly directors: DirectorHandle[];
  readonly users: readonly ClusterUser[];
  /** cluster.json as of now (pids follow restarts written back to `directors`). */
  json(): ClusterJson;
  pids(): PidRecord[];
  /** Write DIR/cluster.json (and DIR/pids.json); returns the cluster.json path. */
  writeJson(): Promise<string>;
  usersOfKind(kind: UserKind): ClusterUser[];
  /**
   * A process started beside the cluster (dev-cluster's Postfix): listed in
   * pids.json after the others, so `down` stops it first, and stopped first by stop().
   */
  adopt(name: string, proc: AdoptedProcess): void;
  stop(): Promise<void>;
}

export interface AdoptedProcess {
  readonly pid: number;
  stop(): Promise<void>;
}

export const BACKEND_BASE_OCTET = 11;
export const NOLOGIN_REASON = 'Account suspended for maintenance.';
/** Kinds in the order users are dealt them; every kind appears within the first 10 users. */
const KIND_CYCLE: readonly UserKind[] = ['ring', 'host', 'ring', 'host', 'proxy_maybe', 'ring', 'proxy_always', 'ring', 'host', 'nologin'];

function password(): string {
  // Never a leading '-': command-line clients (swaks, the dev cluster's printed lines) would read it as an option.
  const text = randomBytes(12).toString('base64url');
  return text.startsWith('-') ? `x${text.slice(1)}` : text;
}

export function backendHost(index: number): string {
  return `127.0.0.${BACKEND_BASE_OCTET + index}`;
}

/** The generated users and their LDAP entries (pure apart from random passwords). */
export function generateUsers(count: number, backendCount: number): { users: ClusterUser[]; ldap: LdapUser[] } {
  const users: ClusterUser[] = [];
  const ldap: LdapUser[] = [];
  let hostTurn = 0;
  for (let i = 1; i <= count; i++) {
    const name = `user${String(i).padStart(4, '0')}`;
    const pw = password();
    const kind = KIND_CYCLE[(i - 1) % KIND_CYCLE.length] ?? 'ring';
    let user: ClusterUser;
    let attrs: Record<string, string> = {};
    switch (kind) {
      case 'host': {
        const b = hostTurn++ % Math.max(1, backendCount);
        user = { name, password: pw, kind, host: backendHost(b), backend: `b${b + 1}` };
        attrs = { mailHost: backendHost(b), mailProxy: 'proxy' };
        break;
      }
      case 'proxy_maybe':
        user = { name, password: pw, kind, host: '127.0.0.1' };
        attrs = { mailHost: '127.0.0.1', mailProxy: 'proxy_maybe' };
        break;
      case 'proxy_always':
        user = { name, password: pw, kind, host: '127.0.0.1' };
        attrs = { mailHost: '127.0.0.1', mailProxy: 'proxy_maybe proxy_always' };
        break;
      case 'nologin':
        user = { name, password: pw, kind, reason: NOLOGIN_REASON };
        attrs = { mailNoLogin: 'y', mailNoLoginReason: NOLOGIN_REASON };
        break;
      default:
        user = { name, password: pw, kind: 'ring' };
    }
    users.push(user);
    ldap.push({ uid: name, password: pw, attrs });
  }
  // An alias login name for a host user: same password, routed like its target.
  const target = users.find((u) => u.kind === 'host') ?? users[0];
  if (target !== undefined) {
    const alias: ClusterUser = { name: 'alias0001', password: target.password, kind: 'destuser', destuser: target.name, ...(target.host === undefined ? {} : { host: target.host }) };
    users.push(alias);
    const attrs: Record<string, string> = { mailDestUser: target.name };
    if (target.host !== undefined) {
      attrs['mailHost'] = target.host;
      attrs['mailProxy'] = 'proxy';
    }
    ldap.push({ uid: alias.name, password: alias.password, attrs });
  }
  return { users, ldap };
}

/** Clusters of this process that are still up (not detached): stopped on Ctrl-C or SIGTERM. */
const runningClusters = new Set<Cluster>();
let signalsHandled = false;

/**
 * A chaos run, a bench or a test file stopped by Ctrl-C (or the test
 * runner's SIGTERM) would otherwise leave its slapd, Dovecot and director
 * processes running. The first signal stops every cluster of the process
 * and exits as the signal would; a second one exits at once.
 */
function stopOnSignal(cluster: Cluster): void {
  runningClusters.add(cluster);
  if (signalsHandled) return;
  signalsHandled = true;
  let stopping = false;
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(code);
      stopping = true;
      process.stderr.write(`${signal}: stopping ${runningClusters.size} cluster(s)\n`);
      Promise.allSettled([...runningClusters].map((c) => c.stop())).finally(() => process.exit(code));
    });
  }
}

/** CA, slapd with generated users, Dovecot backends on 127.0.0.11.., and directors. */
export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const dir = resolve(opts.dir);
  const backendCount = opts.backends ?? 2;
  const directorCount = opts.directors ?? 1;
  const detached = opts.detached ?? false;
  await mkdir(dir, { recursive: true });
  const { users, ldap } = generateUsers(opts.users ?? 20, backendCount);

  const started: Array<{ stop(): Promise<void> }> = [];
  let sqlStarting: Promise<SqlServerHandle> | undefined;
  const stopStarted = async (): Promise<void> => {
    // A database still starting joins `started` first, so it is stopped too.
    await sqlStarting?.catch(() => undefined);
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
  };
  try {
    if (opts.sql !== undefined) {
      // Beside the other servers: initdb/mariadb-install-db take seconds. A detached (dev cluster)
      // database keeps its data under DIR; a test's goes to a temp folder its server account can reach.
      sqlStarting = startSqlServer(opts.sql, { dir: join(dir, 'sql'), detached, ...(detached ? { dataDir: join(dir, 'sql', 'data') } : {}) }).then(
        async (server) => {
          started.push(server);
          await createUserTable(server, users.map(clusterUserRow));
          return server;
        },
      );
    }
    const ca = await createCa(join(dir, 'ca'), 'mail-director-test-ca');
    const backendUsers = users.filter((u) => u.kind !== 'destuser').map((u) => ({ name: u.name, password: u.password }));
    const [slapd, ...backends] = await Promise.all([
      startSlapd({ dir: join(dir, 'ldap'), users: ldap, detached }).then((s) => {
        started.push(s);
        return s;
      }),
      ...Array.from({ length: backendCount }, (_, i) =>
        startDovecot({
          dir: join(dir, `b${i + 1}`),
          id: `b${i + 1}`,
          host: backendHost(i),
          users: backendUsers,
          trustedNetworks: ['127.0.0.0/8'],
          ca,
          detached,
          ...(opts.masterUser === undefined ? {} : { masterUser: opts.masterUser }),
          ...(opts.relay === undefined ? {} : { relay: opts.relay }),
          ...(opts.backendOAuth2 === undefined ? {} : { oauth2: opts.backendOAuth2 }),
        }).then((b) => {
          started.push(b);
          return b;
        }),
    ),
    ]) as [SlapdHandle, ...DovecotHandle[]];
    const sqlServer = await sqlStarting;

    // Ports first, so every director can be told about every other one.
    const listen = opts.directorListen ?? DEFAULT_LISTEN;
    const peers: DirectorPeer[] = [];
    for (let i = 0; i < directorCount; i++) {
      peers.push({ id: `d${i + 1}`, host: '127.0.0.1', grpc: listen.includes('grpc') ? await freePort('127.0.0.1') : null });
    }
    const directors = await Promise.all(
      peers.map(async (peer) => {
        const overrides = typeof opts.directorOverrides === 'function' ? opts.directorOverrides(peer, peers) : opts.directorOverrides;
        const d = await startDirector({
          dir: join(dir, peer.id),
          id: peer.id,
          ca,
          ldap: slapd,
          backends,
          listen,
          ports: peer.grpc === null ? {} : { grpc: peer.grpc },
          localBackend: 'b1',
          detached,
          lmtpSocket: opts.lmtpSocket ?? false,
          ...(sqlServer === undefined ? {} : { passdb: sqlPassdbSection(sqlServer) }),
          ...(opts.directorHaproxy === undefined ? {} : { haproxy: opts.directorHaproxy }),
          ...(opts.logLevel === undefined ? {} : { logLevel: opts.logLevel }),
          ...(overrides === undefined ? {} : { overrides }),
        });
        started.push(d);
        return d;
      }),
    );

    const json = (): ClusterJson => ({
      ldap: {
        url: slapd.url,
        baseDn: slapd.baseDn,
        bindDn: slapd.bindDn,
        bindPassword: slapd.bindPassword,
        fields: { ...LDAP_FIELDS },
      },
      directors: directors.map((d) => {
        const ports = Object.fromEntries(LISTEN_KEYS.map((k) => [k, d.address(k)])) as Record<DirectorListenKey, string | null>;
        return { id: d.id, pid: d.pid, ...ports, lmtp_socket: d.lmtpSocket, log: d.logFile };
      }),
      backends: backends.map((b) => ({
        id: b.id,
        host: b.host,
        imap: b.imap,
        imaps: b.imaps,
        pop3: b.pop3,
        pop3s: b.pop3s,
        submission: b.submission,
        lmtp: b.lmtp,
        sieve: b.sieve,
        pid: b.pid,
        log: b.logFile,
      })),
      users: users.map((u) => ({ name: u.name, password: u.password, kind: u.kind })),
      cli: [process.execPath, ...DIRECTOR_CLI_ARGS, '--director', directors[0]?.address('grpc') ?? '127.0.0.1:0'],
      tls: { ca: ca.cert },
      ...(sqlServer === undefined
        ? {}
        : {
            sql: {
              driver: sqlServer.driver,
              host: sqlServer.host,
              port: sqlServer.port,
              database: sqlServer.database,
              user: sqlServer.user,
              password: sqlServer.password,
              table: SQL_USER_TABLE,
              password_query: SQL_USER_QUERY,
            },
          }),
    });
    const adopted: Array<{ readonly name: string; readonly proc: AdoptedProcess }> = [];
    const pids = (): PidRecord[] =>
      [
        { name: 'slapd', pid: slapd.pid },
        ...(sqlServer === undefined ? [] : [{ name: sqlServer.driver === 'mysql' ? 'mariadb' : 'postgres', pid: sqlServer.pid }]),
        ...backends.map((b) => ({ name: `dovecot ${b.id}`, pid: b.pid })),
        ...directors.map((d) => ({ name: `director ${d.id}`, pid: d.pid })),
        ...adopted.map((a) => ({ name: a.name, pid: a.proc.pid })),
      ].map((p) => ({ ...p, startTime: processStartTime(p.pid) }));

    const cluster: Cluster = {
      dir,
      ca,
      slapd,
      sqlServer,
      backends,
      directors,
      users,
      json,
      pids,
      writeJson: async () => {
        const file = join(dir, 'cluster.json');
        await writeFile(join(dir, 'pids.json'), `${JSON.stringify(pids(), null, 2)}\n`);
        // Every user's password and the LDAP bind password: for this user only.
        await writeFile(file, `${JSON.stringify(json(), null, 2)}\n`, { mode: 0o600 });
        return file;
      },
      usersOfKind: (kind) => users.filter((u) => u.kind === kind),
      adopt: (name, proc) => {
        adopted.push({ name, proc });
      },
      stop: async () => {
        runningClusters.delete(cluster);
        for (const a of [...adopted].reverse()) await a.proc.stop();
        await Promise.all(directors.map((d) => d.stop()));
        await Promise.all(backends.map((b) => b.stop()));
        await sqlServer?.stop();
        await slapd.stop();
      },
    };
    if (!detached) stopOnSignal(cluster);
    return cluster;
  } catch (err) {
    await stopStarted();
    throw err;
  }
}
