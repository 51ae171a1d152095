import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginSourceIps, resolveLoginSourceIps, SourceIpRotation } from '../../../src/net/login-source-ips.js';

test('rotation: round robin per family; a host name goes over IPv4 when there are IPv4 sources', () => {
  const r = new SourceIpRotation(['10.0.0.1', '2001:db8::1', '10.0.0.2', '2001:db8::2']);
  assert.equal(r.size, 4);
  assert.deepEqual([r.next('10.1.1.1'), r.next('10.1.1.1'), r.next('mail.example'), r.next('10.1.1.1')], ['10.0.0.1', '10.0.0.2', '10.0.0.1', '10.0.0.2']);
  assert.deepEqual([r.next('2001:db8::99'), r.next('2001:db8::99'), r.next('2001:db8::99')], ['2001:db8::1', '2001:db8::2', '2001:db8::1']);
  const onlySix = new SourceIpRotation(['2001:db8::1']);
  assert.equal(onlySix.next('10.1.1.1'), undefined);
  assert.equal(onlySix.next('mail.example'), '2001:db8::1');
  assert.equal(new SourceIpRotation([]).next('10.1.1.1'), undefined);
});

test('resolve: addresses as given, names to all their addresses, ?name to those this host has; each once, in order', async () => {
  const names: Record<string, string[]> = { 'pool.example': ['192.0.2.1', '192.0.2.2', '192.0.2.3'], 'one.example': ['192.0.2.2'] };
  const local = new Set(['192.0.2.2', '192.0.2.3']);
  const resolved = await resolveLoginSourceIps(['192.0.2.9', '?pool.example', 'one.example', '?gone.example', '?far.example'], {
    lookup: async (name) => {
      if (name === 'far.example') return ['198.51.100.1'];
      const found = names[name];
      if (found === undefined) throw new Error(`getaddrinfo ENOTFOUND ${name}`);
      return found;
    },
    canBind: async (ip) => local.has(ip),
  });
  assert.deepEqual(resolved.ips, ['192.0.2.9', '192.0.2.2', '192.0.2.3']);
  assert.equal(resolved.problems.length, 2);
  assert.match(resolved.problems[0] ?? '', /\?gone\.example: getaddrinfo ENOTFOUND/);
  assert.match(resolved.problems[1] ?? '', /\?far\.example: none of 198\.51\.100\.1 is an address of this host/);
});

test('resolve with the real resolver and bind test: ?127.0.0.5 is local (all of 127/8 is), ?192.0.2.1 is not', async () => {
  const resolved = await resolveLoginSourceIps(['?127.0.0.5', '?192.0.2.1']);
  assert.deepEqual(resolved.ips, ['127.0.0.5']);
  assert.equal(resolved.problems.length, 1);
});

test('a later apply wins over an earlier one still resolving', async () => {
  const holder = new LoginSourceIps();
  let release: () => void = () => undefined;
  const slow = holder.apply(['slow.example'], {
    lookup: () => new Promise((resolve) => (release = () => resolve(['192.0.2.1']))),
  });
  await holder.apply(['192.0.2.7']);
  release();
  await slow;
  assert.equal(holder.next('10.0.0.1'), '192.0.2.7');
});
