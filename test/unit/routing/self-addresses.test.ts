import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { networkInterfaces } from 'node:os';
import { checkConfigText } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/types.js';
import { selfAddressesFrom } from '../../../src/routing/self-addresses.js';

type Interfaces = ReturnType<typeof networkInterfaces>;

const IFACES: Interfaces = {
  lo: [
    { address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' },
    { address: '::1', netmask: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', family: 'IPv6', mac: '00:00:00:00:00:00', internal: true, cidr: '::1/128', scopeid: 0 },
  ],
  eth0: [
    { address: '192.0.2.10', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '192.0.2.10/24' },
    { address: '2001:DB8::10', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:00:00:00:00:01', internal: false, cidr: '2001:db8::10/64', scopeid: 0 },
  ],
};

function config(listen: string, self = '[]'): Config {
  const text = `director: { id: d1, self_addresses: ${self} }\nlisten: ${listen}\npassdb: { driver: passwd-file, path: /x }\nring: { backends: [{ id: b1, host: 10.0.0.1 }] }\n`;
  const { config: c, problems } = checkConfigText('/tmp/self.yaml', text);
  assert.deepEqual(problems, []);
  return c!;
}

test('specific listen addresses, self_addresses and extra ring addresses', () => {
  const s = selfAddressesFrom(config('{ imap: 127.0.0.5:143, grpc: "[::1]:7000" }', '["::ffff:198.51.100.1"]'), ['203.0.113.9'], IFACES);
  assert.deepEqual([...s].sort(), ['0.0.0.0', '127.0.0.5', '198.51.100.1', '203.0.113.9', '::', '::1'].sort());
  assert.ok(!s.has('192.0.2.10'), 'interface addresses count only with a wildcard listen');
});

test('0.0.0.0 expands to every IPv4 interface address; :: to all of them', () => {
  const v4 = selfAddressesFrom(config('{ imap: 0.0.0.0:143 }'), [], IFACES);
  assert.ok(v4.has('127.0.0.1') && v4.has('192.0.2.10'));
  assert.ok(!v4.has('2001:db8::10'));
  const any = selfAddressesFrom(config('{ imap: "[::]:143" }'), [], IFACES);
  assert.ok(any.has('192.0.2.10') && any.has('2001:db8::10') && any.has('::1'));
  const star = selfAddressesFrom(config('{ pop3: "*:110" }'), [], IFACES);
  assert.ok(star.has('192.0.2.10'));
});
