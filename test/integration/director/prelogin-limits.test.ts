import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster } from '../../harness/cluster.js';
import type { DirectorHandle } from '../../harness/director.js';
import type { LineClient } from '../support/line-client.js';
import { command, lastLine, login, openImap } from './imap-support.js';

// A flood of idle connections from one address must not take the front end:
// past limits.max_prelogin_per_ip the next one is told "Connection queue
// full" and closed, and sessions already relayed are not touched.

let dir: string;
let cluster: Cluster;
let director: DirectorHandle;
let ca: Buffer;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'prelogin-limits-'));
  cluster = await startCluster({
    dir,
    backends: 1,
    directors: 1,
    users: 4,
    // Loopback is not trusted here, so the per-address cap applies to the test's connections.
    directorOverrides: { director: { trusted_networks: ['10.0.0.0/8'] }, limits: { max_prelogin_per_ip: 3 } },
  });
  director = cluster.directors[0] as DirectorHandle;
  ca = await readFile(cluster.ca.cert);
});

after(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('past max_prelogin_per_ip a connection gets "* BYE Connection queue full"; relayed sessions go on; a freed slot is taken again', async () => {
  const u = cluster.usersOfKind('ring')[0];
  assert.ok(u !== undefined);
  // A relayed session (over TLS: plaintext is not allowed from an untrusted address).
  const relayed = (await openImap(director, { tls: true, ca })).client;
  assert.match(await login(relayed, u.name, u.password), /^a1 OK/);
  const idle: LineClient[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const { client, greeting } = await openImap(director);
      assert.match(greeting, /^\* OK /);
      idle.push(client);
    }
    const { client: refused, greeting } = await openImap(director);
    assert.equal(greeting, '* BYE Connection queue full');
    await refused.waitClosed();

    // The relayed session is not a pre-login connection and is not touched.
    assert.match(lastLine(await command(relayed, 'a2', 'NOOP')), /^a2 OK/);

    // One idle connection leaves: its slot is free again.
    idle.shift()?.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { client: again, greeting: welcome } = await openImap(director);
    assert.match(welcome, /^\* OK /);
    idle.push(again);
  } finally {
    for (const c of idle) c.close();
    relayed.close();
  }
});
