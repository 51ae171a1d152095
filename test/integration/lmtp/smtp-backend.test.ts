// The passdb field `protocol=smtp` (Dovecot's lmtp_proxy): that recipient's
// copy goes to an SMTP server (EHLO, MAIL, RCPT, DATA, one reply for the
// message) at the passdb's host and port, here a real Postfix, which hands it
// on to the user's Dovecot by LMTP; a recipient without the field in the same
// transaction goes straight to its backend's LMTP. Each gets its own reply.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCluster, type Cluster } from '../../harness/cluster.js';
import type { DirectorHandle } from '../../harness/director.js';
import { startPostfix, type PostfixHandle } from '../../harness/postfix.js';
import { deliver, storedOn } from './lmtp-support.js';

let dir: string;
let cluster: Cluster;
let postfix: PostfixHandle;

/** Not the director's address (127.0.0.1 is "self": a host there would be a proxy loop). */
const POSTFIX_HOST = '127.0.0.5';

function director(): DirectorHandle {
  const d = cluster.directors[0];
  if (d === undefined) throw new Error('no director');
  return d;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-lmtp-smtp-'));
  cluster = await startCluster({ dir, backends: 1, directors: 1, users: 10 });
  const b1 = cluster.backends[0];
  if (b1 === undefined) throw new Error('no backend');
  postfix = await startPostfix({
    dir: join(dir, 'postfix'),
    host: POSTFIX_HOST,
    relayDomains: ['example.org'],
    lmtpRoutes: [{ recipient: 'example.org', host: b1.host, port: b1.lmtp }],
  });
});

after(async () => {
  await postfix?.stop();
  await cluster?.stop();
  if (process.env['KEEP_TEST_DIR'] === undefined) await rm(dir, { recursive: true, force: true });
});

test('protocol=smtp: the recipient goes to the SMTP server the passdb names, the other one to its backend, in one transaction', async () => {
  const [viaSmtp, direct] = cluster.usersOfKind('host');
  assert.ok(viaSmtp !== undefined && direct !== undefined);
  await cluster.slapd.modifyUser(viaSmtp.name, { mailHost: POSTFIX_HOST, mailPort: String(postfix.port), mailExtraField: 'protocol=smtp' });
  const subject = `smtp ${randomBytes(4).toString('hex')}`;
  // Both recipients accepted, and each given its own 250 after the message.
  await deliver(director(), [viaSmtp.name, direct.name], subject);

  const straight = await storedOn(cluster.backends, direct.name, subject);
  assert.equal(straight.length, 1);
  assert.doesNotMatch(straight[0]?.text ?? '', /\(Postfix\)/, 'delivered by the director straight to the backend');

  const deadline = Date.now() + 30_000;
  let relayed = await storedOn(cluster.backends, viaSmtp.name, subject);
  while (relayed.length === 0 && Date.now() < deadline) {
    await sleep(500);
    relayed = await storedOn(cluster.backends, viaSmtp.name, subject);
  }
  assert.equal(relayed.length, 1, `one copy for ${viaSmtp.name}\n${await postfix.log()}`);
  // Postfix took it by SMTP from the director (no XCLIENT: Postfix does not offer it to us), then LMTP to Dovecot.
  assert.match(relayed[0]?.text ?? '', /by relay\.test \(Postfix\) with E?SMTP/);
  assert.match(await postfix.log(), new RegExp(`to=<${viaSmtp.name}@example\\.org>.*status=sent`));
});
