import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { pino } from 'pino';
import { EqualityFilter } from 'ldapts';
import { LdapDirectory } from '../../../../src/adapters/ldap/directory.js';
import { Deadline } from '../../../../src/adapters/ldap/deadline.js';
import { LdapError } from '../../../../src/adapters/ldap/errors.js';
import { Secret } from '../../../../src/core/secret.js';

const log = pino({ level: 'silent' });
const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();
after(() => {
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
});

/** Accepts connections and never answers: a hung LDAP server. */
async function silentServer(): Promise<{ url: string; connections: () => number }> {
  let count = 0;
  const server = net.createServer((socket) => {
    count += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return { url: `ldap://127.0.0.1:${address.port}`, connections: () => count };
}

function directory(uris: string[], timeoutMs: number): LdapDirectory {
  return new LdapDirectory(
    {
      uris,
      bindDn: 'cn=admin,dc=example,dc=org',
      bindPassword: new Secret('x'),
      timeoutMs,
      connectTimeoutMs: timeoutMs,
      searchPoolSize: 1,
      bindPoolSize: 1,
      startTls: false,
      ca: undefined,
      backoff: { baseMs: 10_000, maxMs: 10_000 },
    },
    log,
  );
}

const SPEC = { base: 'dc=example,dc=org', scope: 'sub' as const, filter: new EqualityFilter({ attribute: 'uid', value: 'a' }), attributes: ['mail'] };

test('a hung server: our deadline answers (ldapts backstop is later), then the URI is in backoff', async () => {
  const hung = await silentServer();
  const dir = directory([hung.url], 300);
  const started = Date.now();
  await assert.rejects(dir.findOne(SPEC, dir.deadline()), (err: unknown) => err instanceof LdapError && err.kind === 'unavailable');
  const took = Date.now() - started;
  assert.ok(took >= 250 && took < 900, `took ${took} ms`);
  const again = Date.now();
  await assert.rejects(dir.findOne(SPEC, dir.deadline()), /backoff/);
  assert.ok(Date.now() - again < 50);
  await dir.close();
});

test('one request deadline covers the whole failover chain', async () => {
  const a = await silentServer();
  const b = await silentServer();
  const dir = directory([a.url, b.url], 400);
  const started = Date.now();
  await assert.rejects(dir.verifyBind('uid=a,dc=example,dc=org', new Secret('pw'), Deadline.after(400)), LdapError);
  assert.ok(Date.now() - started < 800);
  await dir.close();
});

test('an empty password never reaches the server', async () => {
  const server = await silentServer();
  const dir = directory([server.url], 300);
  assert.equal(await dir.verifyBind('uid=a,dc=example,dc=org', new Secret(''), dir.deadline()), false);
  assert.equal(server.connections(), 0);
  await dir.close();
});
