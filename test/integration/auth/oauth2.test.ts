// SASL XOAUTH2 and OAUTHBEARER through real directors: the user's routing
// fields come from slapd, the token goes on to a Dovecot backend with its own
// oauth2 passdb (proxy_mech=%m), which introspects it at the test's identity
// provider (test/harness/idp.ts). d1 validates tokens locally (JWT against
// the provider's JWKS URL), d2 by RFC 7662 introspection. Refused tokens get
// Dovecot's JSON status challenge, then the failure reply; an unreachable
// provider is a temporary failure.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa } from '../../harness/certs.js';
import { startCluster, type Cluster, type ClusterUser } from '../../harness/cluster.js';
import type { DirectorHandle } from '../../harness/director.js';
import type { DovecotHandle } from '../../harness/dovecot.js';
import { IDP_AUDIENCE, startIdp, type IdpHandle } from '../../harness/idp.js';
import { LineClient } from '../support/line-client.js';

const MASTER = { name: 'masteruser', password: 'Mast3r-oauth-pw' };
/** Dovecot's JSON statuses (mech-oauth2.c), base64. */
const XOAUTH2_STATUS = Buffer.from('{"status":"401","schemes":"bearer","scope":"mail"}').toString('base64');
const OAUTHBEARER_STATUS = Buffer.from('{"status":"invalid_token"}').toString('base64');

let dir: string;
let idp: IdpHandle;
let cluster: Cluster;
let local: DirectorHandle;
let introspecting: DirectorHandle;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-oauth2-'));
  const idpCa = await createCa(join(dir, 'idp-ca'), 'idp-test-ca');
  idp = await startIdp({ dir: join(dir, 'idp'), ca: idpCa });
  const common = {
    username_attribute: 'username',
    tls_ca_cert_file: idpCa.cert,
    timeout: '2s',
  };
  cluster = await startCluster({
    dir,
    backends: 2,
    directors: 2,
    users: 10,
    masterUser: MASTER,
    backendOAuth2: { introspectionUrl: idp.introspectionUrl, usernameAttribute: 'username', caFile: idpCa.cert },
    directorListen: ['imap', 'pop3', 'submission', 'sieve', 'http'],
    directorOverrides: (self) => ({
      limits: { auth_failure_delay: '100ms' },
      passdb: { fields: { proxy_mech: '=%m' } },
      oauth2:
        self.id === 'd1'
          ? {
              ...common,
              introspection_mode: 'local',
              local_validation_jwks: idp.jwksUrl,
              issuers: [idp.issuer, 'https://other-issuer.example'],
              client_id: IDP_AUDIENCE,
            }
          : { ...common, introspection_mode: 'post', introspection_url: idp.introspectionUrl },
    }),
  });
  local = cluster.directors[0] as DirectorHandle;
  introspecting = cluster.directors[1] as DirectorHandle;
});

after(async () => {
  await idp?.start().catch(() => undefined);
  await cluster?.stop();
  await idp?.stop();
  if (process.env['KEEP_TEST_DIR'] === undefined) await rm(dir, { recursive: true, force: true });
});

/** Every token the tests sent, to check no log holds one. */
const issued: string[] = [];
async function issue(options: Parameters<IdpHandle['issue']>[0]): Promise<string> {
  const token = await idp.issue(options);
  issued.push(token);
  return token;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const xoauth2 = (user: string, token: string): string => b64(`user=${user}\x01auth=Bearer ${token}\x01\x01`);
const oauthbearer = (user: string, token: string): string => b64(`n,a=${user},\x01auth=Bearer ${token}\x01\x01`);

function hostUser(index = 0): ClusterUser {
  const u = cluster.usersOfKind('host')[index];
  assert.ok(u !== undefined && u.backend !== undefined);
  return u;
}

function backend(id: string): DovecotHandle {
  const b = cluster.backends.find((x) => x.id === id);
  assert.ok(b !== undefined);
  return b;
}

/** The backend's own login lines for `user` with `method` (Dovecot logs method=%m). */
async function backendLogins(b: DovecotHandle, service: string, user: string, method: string): Promise<number> {
  const log = await readFile(b.logFile, 'utf8');
  const re = new RegExp(`${service}-login: Info: Login: user=<${user}>,? method=${method},? `);
  return log.split('\n').filter((l) => re.test(l)).length;
}

async function imap(d: DirectorHandle): Promise<LineClient> {
  assert.ok(d.imap !== null);
  const c = await LineClient.connect(d.host, d.imap);
  await c.line();
  return c;
}

/** A refused token: the JSON status as a `+` challenge, the client's empty answer, then the tagged NO. */
async function imapRefused(d: DirectorHandle, mech: 'XOAUTH2' | 'OAUTHBEARER', message: string): Promise<string> {
  const c = await imap(d);
  try {
    c.write(`a AUTHENTICATE ${mech} ${message}\r\n`);
    assert.equal(await c.line(), `+ ${mech === 'XOAUTH2' ? XOAUTH2_STATUS : OAUTHBEARER_STATUS}`);
    c.write('\r\n');
    return await c.line();
  } finally {
    c.close();
  }
}

test('capabilities offer XOAUTH2 and OAUTHBEARER on every login protocol', async () => {
  const c = await imap(local);
  c.write('a CAPABILITY\r\n');
  const caps = (await c.until('a ')).join(' ');
  c.close();
  assert.match(caps, /AUTH=PLAIN AUTH=LOGIN AUTH=XOAUTH2 AUTH=OAUTHBEARER/);

  const pop3 = await LineClient.connect(local.host, local.pop3 ?? 0);
  await pop3.line();
  pop3.write('CAPA\r\n');
  assert.ok((await pop3.until('.')).includes('SASL PLAIN LOGIN XOAUTH2 OAUTHBEARER'));
  pop3.close();

  const sieve = await LineClient.connect(local.host, local.sieve ?? 0);
  assert.ok((await sieve.until('OK')).includes('"SASL" "PLAIN LOGIN XOAUTH2 OAUTHBEARER"'));
  sieve.close();

  const smtp = await LineClient.connect(local.host, local.submission ?? 0);
  await smtp.line();
  smtp.write('EHLO client.example\r\n');
  assert.ok((await smtp.until('250 ')).some((l) => l.endsWith('AUTH PLAIN LOGIN XOAUTH2 OAUTHBEARER')));
  smtp.close();
});

test('IMAP XOAUTH2 (JWT checked locally): the user lands on the LDAP host, whose Dovecot verifies the same token', async () => {
  const u = hostUser(0);
  const token = await issue({ user: u.name });
  const c = await imap(local);
  c.write(`a AUTHENTICATE XOAUTH2 ${xoauth2(u.name, token)}\r\n`);
  const lines = await c.until('a ');
  assert.match(lines.at(-1) ?? '', /^a OK /);
  c.write('b SELECT INBOX\r\n');
  assert.match((await c.until('b ')).at(-1) ?? '', /^b OK /);
  c.write('c LOGOUT\r\n');
  await c.until('c ');
  c.close();
  assert.equal(await backendLogins(backend(u.backend!), 'imap', u.name, 'XOAUTH2'), 1, 'the LDAP host logged the XOAUTH2 login');
  assert.equal(idp.introspections(token), 1, 'only the backend asked the provider (d1 checked the JWT itself)');
  const other = cluster.backends.find((b) => b.id !== u.backend)!;
  assert.equal(await backendLogins(other, 'imap', u.name, 'XOAUTH2'), 0);
});

test('IMAP OAUTHBEARER without an initial response, through the introspecting director', async () => {
  const u = hostUser(1);
  const token = await issue({ user: u.name });
  const c = await imap(introspecting);
  c.write('a AUTHENTICATE OAUTHBEARER\r\n');
  assert.equal(await c.line(), '+ ');
  c.write(`${oauthbearer(u.name, token)}\r\n`);
  assert.match((await c.until('a ')).at(-1) ?? '', /^a OK /);
  c.close();
  assert.equal(await backendLogins(backend(u.backend!), 'imap', u.name, 'OAUTHBEARER'), 1);
  assert.equal(idp.introspections(token), 2, 'the director and the backend each introspected the token');
});

test('POP3, Submission and ManageSieve log in with the token too', async () => {
  const u = hostUser(2);
  const b = backend(u.backend!);

  const pop3 = await LineClient.connect(introspecting.host, introspecting.pop3 ?? 0);
  await pop3.line();
  pop3.write(`AUTH XOAUTH2 ${xoauth2(u.name, await issue({ user: u.name }))}\r\n`);
  assert.match(await pop3.line(), /^\+OK/);
  pop3.write('QUIT\r\n');
  await pop3.line();
  pop3.close();
  assert.equal(await backendLogins(b, 'pop3', u.name, 'XOAUTH2'), 1);

  const smtp = await LineClient.connect(local.host, local.submission ?? 0);
  await smtp.line();
  smtp.write('EHLO client.example\r\n');
  await smtp.until('250 ');
  smtp.write(`AUTH OAUTHBEARER ${oauthbearer(u.name, await issue({ user: u.name }))}\r\n`);
  assert.match(await smtp.line(), /^235 /);
  smtp.write('QUIT\r\n');
  smtp.close();
  assert.equal(await backendLogins(b, 'submission', u.name, 'OAUTHBEARER'), 1);

  const sieve = await LineClient.connect(local.host, local.sieve ?? 0);
  await sieve.until('OK');
  sieve.write(`AUTHENTICATE "XOAUTH2" "${xoauth2(u.name, await issue({ user: u.name }))}"\r\n`);
  assert.match((await sieve.until('OK')).at(-1) ?? '', /^OK/);
  sieve.write('LOGOUT\r\n');
  sieve.close();
  assert.equal(await backendLogins(b, 'managesieve', u.name, 'XOAUTH2'), 1);
});

test('expired, forged and wrong-audience tokens, another user\'s token and an unknown user are refused after the JSON status', async () => {
  const u = hostUser(0);
  const failed = 'a NO [AUTHENTICATIONFAILED] Authentication failed.';
  assert.equal(await imapRefused(local, 'XOAUTH2', xoauth2(u.name, await issue({ user: u.name, expiresIn: -60 }))), failed);
  assert.equal(await imapRefused(local, 'OAUTHBEARER', oauthbearer(u.name, await issue({ user: u.name, forged: true }))), failed);
  assert.equal(await imapRefused(local, 'XOAUTH2', xoauth2(u.name, await issue({ user: u.name, audience: 'another-client' }))), failed);
  assert.equal(await imapRefused(local, 'XOAUTH2', xoauth2(u.name, await issue({ user: hostUser(1).name }))), failed);
  assert.equal(await imapRefused(local, 'XOAUTH2', xoauth2('nobody9999', await issue({ user: 'nobody9999' }))), failed);
  // Through introspection: the provider says inactive.
  assert.equal(await imapRefused(introspecting, 'XOAUTH2', xoauth2(u.name, await issue({ user: u.name, expiresIn: -60 }))), failed);
  assert.equal(await backendLogins(backend(u.backend!), 'imap', u.name, 'XOAUTH2'), 1, 'no new backend login');
});

test('POP3, Submission and ManageSieve send the JSON status too, then their own failure reply', async () => {
  const u = hostUser(0);
  const expired = async (): Promise<string> => issue({ user: u.name, expiresIn: -60 });

  const pop3 = await LineClient.connect(local.host, local.pop3 ?? 0);
  await pop3.line();
  pop3.write(`AUTH XOAUTH2 ${xoauth2(u.name, await expired())}\r\n`);
  assert.equal(await pop3.line(), `+ ${XOAUTH2_STATUS}`);
  pop3.write('\r\n');
  assert.equal(await pop3.line(), '-ERR [AUTH] Authentication failed.');
  pop3.close();

  const smtp = await LineClient.connect(local.host, local.submission ?? 0);
  await smtp.line();
  smtp.write('EHLO client.example\r\n');
  await smtp.until('250 ');
  smtp.write(`AUTH OAUTHBEARER ${oauthbearer(u.name, await expired())}\r\n`);
  assert.equal(await smtp.line(), `334 ${OAUTHBEARER_STATUS}`);
  smtp.write('AQ==\r\n');
  assert.equal(await smtp.line(), '535 5.7.8 Authentication failed.');
  smtp.close();

  const sieve = await LineClient.connect(local.host, local.sieve ?? 0);
  await sieve.until('OK');
  sieve.write(`AUTHENTICATE "OAUTHBEARER" "${oauthbearer(u.name, await expired())}"\r\n`);
  assert.equal(await sieve.line(), `"${OAUTHBEARER_STATUS}"`);
  sieve.write('""\r\n');
  assert.equal(await sieve.line(), 'NO "Authentication failed."');
  sieve.close();
});

test('a token the backend refuses (accepted issuer here, not there) is a failed login, not a hang', async () => {
  const u = hostUser(0);
  const token = await issue({ user: u.name, issuer: 'https://other-issuer.example' });
  const c = await imap(local);
  c.write(`a AUTHENTICATE XOAUTH2 ${xoauth2(u.name, token)}\r\n`);
  assert.equal(await c.line(), 'a NO [AUTHENTICATIONFAILED] Authentication failed.');
  c.close();
  assert.equal(idp.introspections(token), 1, 'the backend asked and was told no');
});

test('a master user in LDAP logs in to the backend as master, whatever the client\'s mechanism', async () => {
  const u = cluster.usersOfKind('ring')[0];
  assert.ok(u !== undefined);
  await cluster.slapd.modifyUser(u.name, { mailExtraField: [`master=${MASTER.name}`, `pass=${MASTER.password}`] });
  const token = await issue({ user: u.name });
  const c = await imap(local);
  c.write(`a AUTHENTICATE XOAUTH2 ${xoauth2(u.name, token)}\r\n`);
  assert.match((await c.until('a ')).at(-1) ?? '', /^a OK /);
  c.close();
  let plain = 0;
  for (const b of cluster.backends) plain += await backendLogins(b, 'imap', u.name, 'PLAIN');
  assert.equal(plain, 1, 'the backend saw a PLAIN (master) login');
  assert.equal(idp.introspections(token), 0, 'the token never left the director');
});

test('an unreachable provider is a temporary failure, not a refusal', async () => {
  const u = hostUser(0);
  const token = await issue({ user: u.name });
  await idp.stop();
  try {
    const c = await imap(introspecting);
    c.write(`a AUTHENTICATE XOAUTH2 ${xoauth2(u.name, token)}\r\n`);
    assert.equal(await c.line(), 'a NO [UNAVAILABLE] Temporary authentication failure.');
    c.close();
  } finally {
    await idp.start();
  }
});

test('no token reaches a director\'s log', async () => {
  assert.ok(issued.length > 10);
  for (const d of cluster.directors) {
    const log = await readFile(d.logFile, 'utf8');
    assert.ok(log.includes('XOAUTH2'), 'the log shows the logins');
    for (const token of issued) assert.ok(!log.includes(token.split('.')[2] ?? token), `${d.id}'s log holds a token`);
  }
});
