import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { status as grpcStatus } from '@grpc/grpc-js';
import type { sendUnaryData, ServerUnaryCall, ServiceError } from '@grpc/grpc-js';
import { pino } from 'pino';
import { createRingAdminHandlers } from '../../../src/admin/ring-admin.js';
import type { RingAdminDeps } from '../../../src/admin/ring-admin.js';
import { RingNode } from '../../../src/cluster/ring-node.js';
import type { AddBackendRequest__Output } from '../../../src/adapters/grpc/generated/maildirector/admin/v1/AddBackendRequest.js';

function invoke<Req, Res>(
  handler: (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void,
  request: Req,
): Promise<[Partial<ServiceError> | null, Res | undefined]> {
  const call = Object.assign(new EventEmitter(), { request }) as unknown as ServerUnaryCall<Req, Res>;
  return new Promise((resolve) => handler(call, (err, value) => resolve([err, value ?? undefined])));
}

/** A ring of one director with b1 seeded and probed up; `resolved` names what the fake resolver knows. */
function setup(resolved: Readonly<Record<string, readonly string[]>> = {}): { node: RingNode; handlers: ReturnType<typeof createRingAdminHandlers>; asked: string[] } {
  const node = new RingNode({
    selfId: 'd1',
    seed: { backends: [{ id: 'b1', host: '127.0.0.11', ports: {}, weight: 100, tag: '' }], directors: [{ id: 'd1', address: '127.0.0.1:1' }] },
    vnodes: 40,
    stateFile: undefined,
    tls: undefined,
    log: pino({ level: 'silent' }),
  });
  node.publishVerdict('b1', false, { imap: [], pop3: [] });
  const asked: string[] = [];
  const deps: RingAdminDeps = {
    directorId: 'd1',
    node,
    registry: { add: () => undefined, remove: () => undefined, list: () => [], countForUser: () => 0, kickUser: () => 0 },
    passdb: { lookup: () => Promise.resolve({ kind: 'not_found' }) },
    route: () => ({ kind: 'refuse', failure: 'no_backend', detail: 'unused' }),
    resolveHost: (name) => {
      asked.push(name);
      const found = resolved[name];
      if (found === undefined) return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' }));
      return Promise.resolve(found);
    },
  };
  return { node, handlers: createRingAdminHandlers(deps), asked };
}

function add(id: string, host: string): AddBackendRequest__Output {
  return { id, host, ports: {}, weight: 0, tag: '' };
}

test('AddBackend: a malformed host is INVALID_ARGUMENT and nothing is written', async () => {
  const { node, handlers, asked } = setup();
  const [err] = await invoke(handlers.AddBackend, add('bX', 'not_a_host!!'));
  assert.equal(err?.code, grpcStatus.INVALID_ARGUMENT);
  assert.match(err?.details ?? '', /"not_a_host!!" is not an IP address or host name/);
  assert.deepEqual(asked, [], 'no DNS for a host that is not even a name');
  assert.deepEqual(node.state.backends().map((b) => b.id), ['b1']);
  await node.close();
});

test('AddBackend: a name that does not resolve is INVALID_ARGUMENT and nothing is written', async () => {
  const { node, handlers } = setup();
  const [err] = await invoke(handlers.AddBackend, add('b4', 'mail4.invalid'));
  assert.equal(err?.code, grpcStatus.INVALID_ARGUMENT);
  assert.match(err?.details ?? '', /host "mail4\.invalid" does not resolve \(ENOTFOUND\)/);
  assert.deepEqual(node.state.backends().map((b) => b.id), ['b1']);
  await node.close();
});

test('AddBackend: an IP is kept as given, a name with what it resolves to; both wait for probes', async () => {
  const { node, handlers } = setup({ 'mail5.example': ['10.0.0.5'] });
  const [err, byIp] = await invoke(handlers.AddBackend, add('b4', '127.0.0.14'));
  assert.equal(err, null);
  assert.deepEqual([byIp?.addresses, byIp?.pending, byIp?.down], [[], ['b4'], []]);
  const [err2, byName] = await invoke(handlers.AddBackend, add('b5', 'Mail5.Example'));
  assert.equal(err2, null);
  assert.deepEqual([byName?.addresses, byName?.pending], [['10.0.0.5'], ['b4', 'b5']]);
  assert.equal(node.state.backends().find((b) => b.id === 'b5')?.host, 'mail5.example');
  // No users for them until a probe says up.
  const ring = node.ring();
  for (let i = 0; i < 200; i++) assert.equal(ring.pick(`user${i}`, '')?.id, 'b1');
  node.publishVerdict('b4', false, { imap: [], pop3: [] });
  const after = node.ring();
  assert.ok(after.isUp('b4'));
  assert.ok([...Array(200).keys()].some((i) => after.pick(`user${i}`, '')?.id === 'b4'), 'b4 takes users once probed up');
  await node.close();
});
