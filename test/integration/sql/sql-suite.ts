import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startCluster, type Cluster, type ClusterUser } from '../../harness/cluster.js';
import { DIRECTOR_CLI_ARGS, REPO_ROOT, startDirector, type DirectorHandle } from '../../harness/director.js';
import { freePort } from '../../harness/ports.js';
import { lmtpDeliver } from '../../harness/lmtp.js';
import type { DovecotHandle } from '../../harness/dovecot.js';
import type { SqlServerHandle } from '../../harness/sql-server.js';
import { insertUserRow, sqlPassdbSection, SQL_USER_TABLE, type SqlDriver } from '../../harness/sql-users.js';
import { landedOn, loginCounts, loginOnce } from '../director/imap-support.js';
import { captureLog } from '../auth/log-capture.js';
import { SqlPassdb } from '../../../src/auth/sql-passdb.js';
import { compileSqlQuery } from '../../../src/config/sql-query.js';
import type { SqlPassdbConfig } from '../../../src/config/types.js';
import type { AuthRequest } from '../../../src/auth/passdb.js';
import { Secret } from '../../../src/core/secret.js';

const FAILED = 'NO [AUTHENTICATIONFAILED] Authentication failed.';
const TEMP = 'NO [UNAVAILABLE] Temporary authentication failure.';

/** The seed's (Dovecot's Proxying document's) two examples; PostgreSQL needs its reserved word `user` quoted. */
function seedTables(driver: SqlDriver): { proxyTable: string; usersTable: string; query1: string; query2: string } {
  const u = driver === 'mysql' ? 'user' : '"user"';
  return {
    proxyTable: `CREATE TABLE proxy (${u} varchar(255) NOT NULL, host varchar(16), destuser varchar(255), PRIMARY KEY (${u}))`,
    usersTable: `CREATE TABLE users ( ${u} varchar(255) NOT NULL, domain varchar(255) NOT NULL, password varchar(100) NOT NULL, host varchar(16) NOT NULL, home varchar(100) NOT NULL, PRIMARY KEY (${u}) )`,
    // As written in the document (mysql); the same with "user" quoted for pgsql.
    query1: `SELECT NULL AS password, 'Y' as nopassword, host, destuser, 'Y' AS proxy FROM proxy WHERE ${u} = '%u'`,
    query2:
      driver === 'mysql'
        ? `SELECT concat(user, '@', domain) AS user, password, host, 'Y' AS proxy_maybe FROM users WHERE user = '%n' AND domain = '%d'`
        : `SELECT "user" || '@' || domain AS user, password, host, 'Y' AS proxy_maybe FROM users WHERE "user" = '%n' AND domain = '%d'`,
  };
}

function ph(driver: SqlDriver, n: number): string {
  return Array.from({ length: n }, (_, i) => (driver === 'mysql' ? '?' : `$${i + 1}`)).join(', ');
}

const run = promisify(execFile);

/** MD5-CRYPT by openssl, independent of the code under test. */
async function md5Crypt(password: string): Promise<string> {
  const { stdout } = await run('openssl', ['passwd', '-1', '-salt', 'Xy12ab', password]);
  return stdout.trim();
}

function ssha256(password: string): string {
  const salt = randomBytes(8);
  return `{SSHA256}${Buffer.concat([createHash('sha256').update(password).update(salt).digest(), salt]).toString('base64')}`;
}

function request(user: string, password: string): AuthRequest {
  return { user, password: new Secret(password), protocol: 'imap', sessionId: 's1', remoteIp: '127.0.0.1', localIp: '127.0.0.1' };
}

/**
 * The SQL passdb against a real database: the passdb alone (seed examples,
 * schemes, injection, odd results), then a director with Dovecot backends
 * reading its users from the database (every routing row, failover, a
 * database down, `auth cache flush`).
 */
export function sqlSuite(driver: SqlDriver): void {
  let dir: string;
  let cluster: Cluster;
  let db: SqlServerHandle;
  let director: DirectorHandle;
  let closedPort: number;
  const { log, lines } = captureLog();
  const open: SqlPassdb[] = [];
  const seed = seedTables(driver);
  const HOSTILE = ["a'OR'1'='1", 'back\\slash', 'pct%', "o'hara"];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `sql-${driver}-`));
    const started = Date.now();
    cluster = await startCluster({ dir, backends: 2, directors: 0, users: 10, sql: driver });
    assert.ok(cluster.sqlServer !== undefined);
    db = cluster.sqlServer;
    log.info({ ms: Date.now() - started }, 'cluster with database started');
    await db.exec(seed.proxyTable);
    await db.exec(seed.usersTable);
    const ins1 = `INSERT INTO proxy VALUES (${ph(driver, 3)})`;
    await db.exec(ins1, ['proxied', '127.0.0.11', 'proxied@backend']);
    await db.exec(`INSERT INTO users VALUES (${ph(driver, 5)})`, ['alice', 'example.org', await md5Crypt('alice-pw'), '127.0.0.12', '/home/alice']);
    await db.grantRead('proxy');
    await db.grantRead('users');
    // Names that would break a spliced query; each has its own row and password.
    for (const [i, name] of HOSTILE.entries()) await insertUserRow(db, { username: name, password: `{PLAIN}hostile-${i}` });
    await insertUserRow(db, { username: 'hashed', password: ssha256('hashed-pw') });
    await insertUserRow(db, { username: 'bare', password: 'bare-pw' });
    await insertUserRow(db, { username: 'nopass0001', nopassword: 'y', host: cluster.backends[1]!.host, proxy: 'Y' });
    await cluster.backends[1]!.addUser({ name: 'nopass0001', password: 'nopass-pw' });
    closedPort = await freePort();
    director = await startDirector({
      dir: join(dir, 'd1'),
      id: 'd1',
      ca: cluster.ca,
      ldap: cluster.slapd,
      backends: cluster.backends,
      listen: ['imap', 'pop3', 'lmtp', 'grpc', 'http'],
      localBackend: 'b1',
      // A dead host first: every login below goes through failover.
      passdb: sqlPassdbSection(db, { hostsBefore: [`127.0.0.1:${closedPort}`] }),
      overrides: { cache: { size: 1000, ttl: '1h', negative_ttl: '1h' }, limits: { auth_failure_delay: '0s' } },
    });
  });

  after(async () => {
    await Promise.all(open.map((p) => p.close()));
    await director?.stop();
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  function config(query: string, overrides: Partial<SqlPassdbConfig> = {}): SqlPassdbConfig {
    return {
      driver: 'sql',
      sqlDriver: driver,
      hosts: [{ host: db.host, port: db.port }],
      dbname: db.database,
      user: db.user,
      password: new Secret(db.password),
      passwordQuery: compileSqlQuery(query, driver),
      defaultPassScheme: 'MD5',
      timeoutMs: 1500,
      connectTimeoutMs: 500,
      poolSize: 2,
      ...overrides,
    };
  }

  function passdb(query: string, overrides: Partial<SqlPassdbConfig> = {}): SqlPassdb {
    const p = new SqlPassdb(config(query, overrides), log);
    open.push(p);
    return p;
  }

  const MAIN = `SELECT username AS user, password, host, proxy, destuser, nopassword, nologin, reason FROM ${SQL_USER_TABLE} WHERE username = '%u'`;

  test(`${driver}: the seed's first example (nopassword proxy row) works as written`, async () => {
    const result = await passdb(seed.query1).authenticate(request('proxied', 'anything'));
    assert.equal(result.kind, 'ok');
    if (result.kind !== 'ok') return;
    assert.equal(result.fields.proxy, 'proxy');
    assert.equal(result.fields.host, '127.0.0.11');
    assert.equal(result.fields.destuser, 'proxied@backend');
    assert.equal(result.fields.nopassword, true);
    assert.equal((await passdb(seed.query1).authenticate(request('nobody', 'x'))).kind, 'fail');
  });

  test(`${driver}: the seed's second example (%n, %d, concat AS user, proxy_maybe, bare $1$ password)`, async () => {
    const p = passdb(seed.query2);
    const result = await p.authenticate(request('alice@example.org', 'alice-pw'));
    assert.equal(result.kind, 'ok');
    if (result.kind !== 'ok') return;
    assert.equal(result.fields.user, 'alice@example.org');
    assert.equal(result.fields.proxy, 'proxy_maybe');
    assert.equal(result.fields.host, '127.0.0.12');
    assert.equal((await p.authenticate(request('alice@example.org', 'wrong'))).kind, 'fail');
    assert.equal((await p.authenticate(request('alice@example.com', 'alice-pw'))).kind, 'fail');
    const looked = await p.lookup('alice@example.org');
    assert.equal(looked.kind, 'ok');
  });

  test(`${driver}: schemes: {SSHA256}, and a bare value in default_pass_scheme`, async () => {
    assert.equal((await passdb(MAIN).authenticate(request('hashed', 'hashed-pw'))).kind, 'ok');
    assert.equal((await passdb(MAIN).authenticate(request('hashed', 'hashed-pW'))).kind, 'fail');
    assert.equal((await passdb(MAIN, { defaultPassScheme: 'PLAIN' }).authenticate(request('bare', 'bare-pw'))).kind, 'ok');
    // Under Dovecot's default (MD5 = MD5-CRYPT) a bare plaintext value is no hash: never a match.
    assert.notEqual((await passdb(MAIN).authenticate(request('bare', 'bare-pw'))).kind, 'ok');
  });

  test(`${driver}: injection attempts match only the literal name`, async () => {
    const p = passdb(MAIN);
    for (const [i, name] of HOSTILE.entries()) {
      const own = await p.authenticate(request(name, `hostile-${i}`));
      assert.equal(own.kind, 'ok', `${name} with its own password`);
      if (own.kind === 'ok') assert.equal(own.fields.user, name);
      // Another hostile row's password never works for it: each name found exactly its row.
      assert.equal((await p.authenticate(request(name, `hostile-${(i + 1) % HOSTILE.length}`))).kind, 'fail');
    }
    for (const probe of ["x'OR'1'='1", "' OR '1'='1", '%', 'pct_', "o''hara", "o\\'hara", 'back\\\\slash', "user0001'--", 'user0001\u0000']) {
      const result = await p.authenticate(request(probe, 'hostile-0'));
      assert.equal(result.kind, 'fail', `${JSON.stringify(probe)}: ${JSON.stringify(result)}`);
      const looked = await p.lookup(probe);
      assert.equal(looked.kind, 'not_found', JSON.stringify(probe));
    }
  });

  test(`${driver}: several rows, no password column, a refused statement are temporary failures`, async () => {
    const many = passdb(`SELECT password, host FROM ${SQL_USER_TABLE} WHERE username = '%u' OR username LIKE 'user%%'`);
    assert.equal((await many.authenticate(request('user0001', 'x'))).kind, 'tempfail');
    assert.ok(lines.some((l) => l.includes('Password query returned multiple matches')));
    const noPassword = passdb(`SELECT host FROM ${SQL_USER_TABLE} WHERE username = '%u'`);
    assert.equal((await noPassword.authenticate(request('user0001', 'x'))).kind, 'tempfail');
    const badColumn = passdb(`SELECT password, no_such_column FROM ${SQL_USER_TABLE} WHERE username = '%u'`);
    assert.equal((await badColumn.authenticate(request('user0001', 'x'))).kind, 'tempfail');
    assert.ok(lines.some((l) => l.includes('Password query failed')));
  });

  test(`${driver}: failover to the second host; every host down is a temporary failure`, async () => {
    const dead = await freePort();
    const p = passdb(MAIN, { hosts: [{ host: '127.0.0.1', port: dead }, { host: db.host, port: db.port }] });
    const u = cluster.usersOfKind('ring')[0]!;
    assert.equal((await p.authenticate(request(u.name, u.password))).kind, 'ok');
    assert.ok(lines.some((l) => l.includes('SQL host failed, trying the next one') && l.includes(`127.0.0.1:${dead}`)));
    const down = passdb(MAIN, { hosts: [{ host: '127.0.0.1', port: dead }] });
    const started = Date.now();
    assert.equal((await down.authenticate(request(u.name, u.password))).kind, 'tempfail');
    assert.ok(Date.now() - started < 1500);
    // Secrets never reach the log.
    const text = lines.join('\n');
    for (const secret of [db.password, u.password, 'hostile-0']) assert.ok(!text.includes(secret), 'a secret reached the log');
  });

  test(`${driver} director: every routing row`, async () => {
    const [b1, b2] = cluster.backends;
    assert.ok(b1 !== undefined && b2 !== undefined);
    const checkOn = async (u: ClusterUser, loginAs: string, expected: string | undefined): Promise<void> => {
      const before = await loginCounts(cluster.backends, loginAs);
      assert.match(await loginOnce(director, u.name, u.password), /^OK/, `${u.name} (${u.kind})`);
      const on = await landedOn(cluster.backends, loginAs, before);
      if (expected !== undefined) assert.equal(on, expected, `${u.name} (${u.kind})`);
    };
    // host: that backend; no host: the ring; proxy_maybe and proxy_always with a self host:
    // local_backend and the ring; destuser: the other name on its host.
    for (const u of cluster.usersOfKind('host')) await checkOn(u, u.name, u.backend);
    await checkOn(cluster.usersOfKind('ring')[0]!, cluster.usersOfKind('ring')[0]!.name, undefined);
    await checkOn(cluster.usersOfKind('proxy_maybe')[0]!, cluster.usersOfKind('proxy_maybe')[0]!.name, 'b1');
    await checkOn(cluster.usersOfKind('proxy_always')[0]!, cluster.usersOfKind('proxy_always')[0]!.name, undefined);
    const alias = cluster.usersOfKind('destuser')[0]!;
    const target = cluster.users.find((x) => x.name === alias.destuser)!;
    await checkOn(alias, target.name, target.backend);
    // nopassword: the director does not check; the backend does.
    const before = await loginCounts(cluster.backends, 'nopass0001');
    assert.match(await loginOnce(director, 'nopass0001', 'nopass-pw'), /^OK/);
    assert.equal(await landedOn(cluster.backends, 'nopass0001', before), 'b2');
    const blocked = cluster.usersOfKind('nologin')[0]!;
    const refused = await loginOnce(director, blocked.name, blocked.password);
    assert.match(refused, /^NO /);
    assert.ok(refused.includes(blocked.reason ?? '?'), refused);
    assert.equal(await loginOnce(director, 'stranger', 'whatever'), FAILED);
    const metrics = await (await fetch(`http://${director.address('http')}/metrics`)).text();
    const ok = /^maildirector_sql_request_seconds_count\{op="authenticate",result="ok"\} (\d+)$/m.exec(metrics);
    assert.ok(ok !== null && Number(ok[1]) >= 5, 'every cache miss is a timed SQL query');
    assert.equal(await loginOnce(director, cluster.usersOfKind('ring')[1]!.name, 'wrong'), FAILED);
    // Injection attempts through IMAP: no login, and the director answers the next one.
    for (const probe of ["x'OR'1'='1", "' OR '1'='1", '%', 'back\\slash\\', "user0001'--"]) {
      assert.equal(await loginOnce(director, probe, 'hostile-0'), FAILED, probe);
    }
  });

  /** Messages with this subject in the backend's own Maildir for the user. */
  async function inMaildir(b: DovecotHandle, user: string, subject: string): Promise<number> {
    let n = 0;
    for (const sub of ['new', 'cur']) {
      const folder = join(b.dir, 'mail', user, sub);
      const names = await readdir(folder).catch(() => [] as string[]);
      for (const name of names) if ((await readFile(join(folder, name), 'latin1')).includes(`Subject: ${subject}`)) n++;
    }
    return n;
  }

  test(`${driver} director: LMTP looks recipients up without a password and delivers to their host`, async () => {
    const lmtp = director.lmtp;
    assert.ok(lmtp !== null);
    for (const u of cluster.usersOfKind('host')) {
      const subject = `sql-${driver}-${u.name}`;
      await lmtpDeliver(director.host, lmtp, `${u.name}@example.org`, `Subject: ${subject}\r\n\r\nhello\r\n`);
      const home = cluster.backends.find((b) => b.id === u.backend)!;
      let found = 0;
      for (let i = 0; i < 40 && found === 0; i++) {
        found = await inMaildir(home, u.name, subject);
        if (found === 0) await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(found, 1, `${u.name} on ${home.id}`);
    }
    await assert.rejects(lmtpDeliver(director.host, lmtp, 'stranger@example.org', 'Subject: x\r\n\r\nx\r\n'), /550 5\.1\.1/);
  });

  test(`${driver} director: a database that stops answering gives the temporary-failure reply; the director stays up`, async () => {
    const [u, v] = cluster.usersOfKind('ring').slice(2, 4);
    assert.ok(u !== undefined && v !== undefined);
    db.pause();
    try {
      const started = Date.now();
      assert.equal(await loginOnce(director, u.name, u.password), TEMP);
      // timeout: 3s in the harness's passdb section, failover included.
      assert.ok(Date.now() - started < 6000, `took ${Date.now() - started} ms`);
      await assert.rejects(lmtpDeliver(director.host, director.lmtp ?? 0, `${v.name}@example.org`, 'Subject: x\r\n\r\nx\r\n'), /451 4\.3\.0/);
    } finally {
      db.resume();
    }
    // Backoff of a failed host is short; the same director serves once the database answers.
    let reply = '';
    for (let i = 0; i < 20 && !reply.startsWith('OK'); i++) {
      reply = await loginOnce(director, v.name, v.password);
      if (!reply.startsWith('OK')) await new Promise((r) => setTimeout(r, 250));
    }
    assert.match(reply, /^OK/);
    assert.match(await loginOnce(director, u.name, u.password), /^OK/);
    const text = await readFile(director.logFile, 'utf8');
    assert.ok(!text.includes(db.password), 'the database password reached the log');
  });

  test(`${driver} director: a changed row is served from the cache until auth cache flush`, async () => {
    const u = cluster.usersOfKind('host')[0]!;
    const [b1, b2] = cluster.backends;
    assert.ok(b1 !== undefined && b2 !== undefined);
    const from = u.backend === 'b1' ? b1 : b2;
    const to = u.backend === 'b1' ? b2 : b1;
    let before = await loginCounts(cluster.backends, u.name);
    assert.match(await loginOnce(director, u.name, u.password), /^OK/);
    assert.equal(await landedOn(cluster.backends, u.name, before), from.id);
    await db.exec(`UPDATE ${SQL_USER_TABLE} SET host = ${ph(driver, 1)} WHERE username = ${driver === 'mysql' ? '?' : '$2'}`, [to.host, u.name]);
    before = await loginCounts(cluster.backends, u.name);
    assert.match(await loginOnce(director, u.name, u.password), /^OK/);
    assert.equal(await landedOn(cluster.backends, u.name, before), from.id, 'the cached row should still be used');
    const grpc = director.address('grpc');
    assert.ok(grpc !== null);
    const flushed = await run(process.execPath, [...DIRECTOR_CLI_ARGS, '--director', grpc, 'auth', 'cache', 'flush', u.name, '--json'], { cwd: REPO_ROOT });
    assert.ok((JSON.parse(flushed.stdout) as { flushed: number }).flushed >= 1, flushed.stdout);
    before = await loginCounts(cluster.backends, u.name);
    assert.match(await loginOnce(director, u.name, u.password), /^OK/);
    assert.equal(await landedOn(cluster.backends, u.name, before), to.id, 'after the flush the new host is used');
  });

}
