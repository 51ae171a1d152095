import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Deadline } from '../../../src/net/deadline.js';

test('pause resolves true after its time, false when the deadline runs out first', async () => {
  const long = new Deadline(5_000);
  assert.equal(await long.pause(10), true);
  long.clear();
  const short = new Deadline(20);
  const started = Date.now();
  assert.equal(await short.pause(5_000), false);
  assert.ok(Date.now() - started < 2_000, 'the pause ends when the deadline does');
  assert.equal(short.expired, true);
});

test('a watcher is told once; one registered after expiry at once; clear() stops the timer', async () => {
  const deadline = new Deadline(10);
  let told = 0;
  deadline.watch({ deadlineExpired: () => told++ });
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(told, 1);
  deadline.watch({ deadlineExpired: () => told++ });
  assert.equal(told, 2);
  const cleared = new Deadline(10);
  cleared.watch({ deadlineExpired: () => assert.fail('cleared deadline fired') });
  cleared.clear();
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(cleared.expired, false);
});

test('remainingMs counts down to 0 and is 0 once expired', async () => {
  const deadline = new Deadline(200);
  const first = deadline.remainingMs();
  assert.ok(first > 150 && first <= 200, String(first));
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(deadline.remainingMs() < first);
  deadline.expire();
  assert.equal(deadline.remainingMs(), 0);
});
