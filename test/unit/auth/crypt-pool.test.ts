import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type AddressInfo } from 'node:net';
import { verifyPassword } from '../../../src/auth/schemes.js';
import { Secret } from '../../../src/core/secret.js';

// Regression: the crypt(3) schemes ran on the event loop, so one BLF-CRYPT
// login stalled every relayed session of the process for its whole cost.

/** bcrypt cost 12 of "s3cret-pw" (about 0.7 s in bcryptjs on this kind of machine). */
const BLF_12 = '{BLF-CRYPT}$2b$12$IccQ6M0suGOXk06H6S470.TSZ791cVOLq0q4xKZjzmOGETta81AUS';

test('a BLF-CRYPT cost-12 check does not delay bytes relayed on the event loop by more than a few milliseconds', async () => {
  const server = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise<void>((resolve) => client.once('connect', resolve));
  // A relayed session: a byte out, its echo back, again, every 2 ms.
  let worst = 0;
  let echoes = 0;
  let sentAt = 0;
  let running = true;
  const ping = (): void => {
    sentAt = performance.now();
    client.write('x');
  };
  client.on('data', () => {
    worst = Math.max(worst, performance.now() - sentAt);
    echoes++;
    if (running) setTimeout(ping, 2);
  });
  ping();
  try {
    const started = performance.now();
    const [right, wrong] = await Promise.all([verifyPassword(BLF_12, new Secret('s3cret-pw')), verifyPassword(BLF_12, new Secret('nope'))]);
    const took = performance.now() - started;
    assert.deepEqual(right, { kind: 'match' });
    assert.deepEqual(wrong, { kind: 'mismatch' });
    assert.ok(took > 100, `the check took ${took.toFixed(0)} ms: too quick to show anything`);
    assert.ok(echoes > 20, `only ${echoes} round trips during ${took.toFixed(0)} ms`);
    assert.ok(worst < 50, `a relayed byte waited ${worst.toFixed(1)} ms while the hash was checked`);
  } finally {
    running = false;
    client.destroy();
    server.close();
  }
});

test('hashes that ask for more than limits.crypt_max_rounds or limits.blf_max_cost are refused at once, not computed', async () => {
  const limits = { maxShaRounds: 100_000, maxBlfCost: 12 };
  const started = performance.now();
  const sha = await verifyPassword('{SHA512-CRYPT}$6$rounds=999999999$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/', new Secret('x'), limits);
  const blf = await verifyPassword('{BLF-CRYPT}$2b$31$IccQ6M0suGOXk06H6S470.TSZ791cVOLq0q4xKZjzmOGETta81AUS', new Secret('x'), limits);
  assert.ok(performance.now() - started < 200);
  assert.equal(sha.kind, 'unsupported');
  assert.match(sha.kind === 'unsupported' ? sha.reason : '', /rounds=999999999 is above limits\.crypt_max_rounds \(100000\)/);
  assert.equal(blf.kind, 'unsupported');
  assert.match(blf.kind === 'unsupported' ? blf.reason : '', /cost 31 is above limits\.blf_max_cost \(12\)/);
  // At the cap itself the hash is checked.
  assert.deepEqual(await verifyPassword(BLF_12, new Secret('s3cret-pw'), limits), { kind: 'match' });
});
