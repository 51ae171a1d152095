import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionPool } from '../../../../src/adapters/ldap/pool.js';
import { Deadline } from '../../../../src/adapters/ldap/deadline.js';
import { LdapError } from '../../../../src/adapters/ldap/errors.js';

// Connections connect lazily, so no server is needed to exercise leasing.
function pool(size: number): ConnectionPool {
  return new ConnectionPool(
    { uri: 'ldap://127.0.0.1:9', timeoutMs: 1000, connectTimeoutMs: 1000, startTls: false, ca: undefined, keepAliveMs: 0, serviceBind: undefined },
    size,
  );
}

test('a bind connection is leased to one caller at a time', async () => {
  const p = pool(1);
  const first = await p.lease(Deadline.after(1000));
  let secondGot = false;
  const second = p.lease(Deadline.after(1000)).then((lease) => {
    secondGot = true;
    return lease;
  });
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(secondGot, false);
  first.release();
  const lease = await second;
  assert.equal(lease.connection, first.connection, 'the released connection is reused');
  lease.release();
  await p.close();
});

test('waiting for a lease ends at the deadline', async () => {
  const p = pool(1);
  const held = await p.lease(Deadline.after(1000));
  const started = Date.now();
  await assert.rejects(p.lease(Deadline.after(100)), (err: unknown) => err instanceof LdapError && err.kind === 'unavailable');
  assert.ok(Date.now() - started < 500);
  held.release();
  await p.close();
});

test('a destroyed connection is replaced, and shared connections rotate', async () => {
  const p = pool(2);
  const a = p.shared();
  const b = p.shared();
  assert.notEqual(a, b);
  assert.equal(p.shared(), a);
  a.destroy();
  assert.equal(p.shared(), b);
  const c = p.shared(); // slot 0 again, where the destroyed one was
  assert.notEqual(c, a);
  assert.notEqual(c, b);
  assert.equal(c.dead, false);
  await p.close();
});
