import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { status as grpcStatus } from '@grpc/grpc-js';
import type { sendUnaryData, ServerUnaryCall, ServiceError } from '@grpc/grpc-js';
import { createAdminService, DEFAULT_KICK_REASON } from '../../../src/admin/service.js';
import type { AdminServiceDeps } from '../../../src/admin/service.js';
import type { BackendSpec, RingView } from '../../../src/ring/types.js';
import type { LiveSession, SessionInfo, SessionRegistry } from '../../../src/session/registry.js';

function info(sessionId: string, user: string, startedAt: number, backendHost = '10.0.0.1'): SessionInfo {
  return {
    sessionId,
    user,
    protocol: 'imap',
    clientIp: '192.0.2.1',
    clientPort: 1234,
    backendId: undefined,
    backendHost,
    backendPort: 143,
    startedAt,
    bytesFromClient: 5,
    bytesFromBackend: 6,
  };
}

/** Records what the service asks of the registry. */
class RecordingRegistry implements SessionRegistry {
  readonly kickCalls: [string, string, string | undefined][] = [];
  constructor(readonly sessions: SessionInfo[]) {}
  add(_session: LiveSession): void {}
  remove(_sessionId: string): void {}
  list(): SessionInfo[] {
    return [...this.sessions];
  }
  countForUser(user: string): number {
    return this.sessions.filter((s) => s.user === user).length;
  }
  kickUser(user: string, reason: string, backendHost?: string): number {
    this.kickCalls.push([user, reason, backendHost]);
    return 2;
  }
}

function ring(backends: BackendSpec[]): RingView {
  return { pick: () => undefined, backends: () => backends, backend: (id) => backends.find((b) => b.id === id) };
}

/** Invoke a unary handler with a fake call; resolves to [error, response]. */
function invoke<Req, Res>(
  handler: (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void,
  request: Req,
): Promise<[Partial<ServiceError> | null, Res | undefined]> {
  // A plaintext loopback caller: admin/guard.test.ts covers who may call.
  const call = Object.assign(new EventEmitter(), { request, getPeer: () => '127.0.0.1:40000', getAuthContext: () => ({}) }) as unknown as ServerUnaryCall<Req, Res>;
  return new Promise((resolve) => handler(call, (err, value) => resolve([err, value ?? undefined])));
}

function deps(overrides: Partial<AdminServiceDeps> = {}): AdminServiceDeps & { registry: RecordingRegistry } {
  const registry = new RecordingRegistry([info('s2', 'bob', 20), info('s1', 'alice', 30), info('s0', 'alice', 10)]);
  return {
    directorId: 'd9',
    startedAt: 1_000,
    registry,
    passdb: { flushCache: () => 0 },
    ring: () => ring([]),
    now: () => 61_000,
    access: { tls: false, admins: () => [] },
    audit: { info: () => undefined, warn: () => undefined },
    ...overrides,
  } as AdminServiceDeps & { registry: RecordingRegistry };
}

test('Status: identity, uptime from the clock, session count, backends sorted by id with health', async () => {
  const backends: BackendSpec[] = [
    { id: 'b2', host: 'h2', ports: { imap: 1143 }, weight: 10, tag: 't' },
    { id: 'b1', host: 'h1', ports: {}, weight: 100, tag: '' },
  ];
  const service = createAdminService(deps({ ring: () => ring(backends), isBackendDown: (id) => id === 'b2' }));
  const [err, res] = await invoke(service.Status, {});
  assert.equal(err, null);
  assert.deepEqual(res, {
    directorId: 'd9',
    startedAtMs: 1_000,
    uptimeMs: 60_000,
    sessionCount: 3,
    backends: [
      { id: 'b1', host: 'h1', ports: {}, weight: 100, tag: '', state: 'BACKEND_STATE_UP', sessions: 0, users: 0 },
      { id: 'b2', host: 'h2', ports: { imap: 1143 }, weight: 10, tag: 't', state: 'BACKEND_STATE_DOWN', sessions: 0, users: 0 },
    ],
  });
});

test('Status: the ring is read per request (reload swaps it)', async () => {
  let current = ring([]);
  const service = createAdminService(deps({ ring: () => current }));
  current = ring([{ id: 'b7', host: 'h', ports: {}, weight: 1, tag: '' }]);
  const [, res] = await invoke(service.Status, {});
  assert.deepEqual(res?.backends?.map((b) => b.id), ['b7']);
});

test('Who: sessions sorted by user then start time, filtered by mask, stamped with the director id', async () => {
  const service = createAdminService(deps());
  const [, all] = await invoke(service.Who, { userMask: '' });
  assert.deepEqual(all?.sessions?.map((s) => s.sessionId), ['s0', 's1', 's2']);
  assert.equal(all?.sessions?.[0]?.directorId, 'd9');
  assert.equal(all?.sessions?.[0]?.backendId, '');
  const [, some] = await invoke(service.Who, { userMask: 'b?b' });
  assert.deepEqual(some?.sessions?.map((s) => s.sessionId), ['s2']);
});

test('KickUser: default reason, optional backend host, count returned', async () => {
  const d = deps();
  const service = createAdminService(d);
  const [, res] = await invoke(service.KickUser, { user: 'alice', reason: '', backendHost: '', local: true });
  assert.deepEqual(res, { kicked: 2, directors: [{ directorId: 'd9', kicked: 2 }], unreachable: [] });
  await invoke(service.KickUser, { user: 'bob', reason: 'maintenance', backendHost: '10.0.0.2', local: true });
  assert.deepEqual(d.registry.kickCalls, [
    ['alice', DEFAULT_KICK_REASON, undefined],
    ['bob', 'maintenance', '10.0.0.2'],
  ]);
});

test('KickUser: the reason reaches clients without control characters (no injected protocol lines)', async () => {
  const d = deps();
  const service = createAdminService(d);
  await invoke(service.KickUser, { user: 'alice', reason: 'bye\r\n* OK fake', backendHost: '', local: true });
  assert.equal(d.registry.kickCalls[0]?.[1], 'bye * OK fake');
});

test('KickUser: ring-wide unless local, with each live peer\'s count and who did not answer', async () => {
  const asked: string[] = [];
  const d = deps({
    kickPeers: async (user, reason) => {
      asked.push(`${user}/${reason}`);
      return [{ directorId: 'd1', kicked: 3 }, { directorId: 'd2', kicked: undefined }];
    },
  });
  const service = createAdminService(d);
  const [, res] = await invoke(service.KickUser, { user: 'alice', reason: 'later', backendHost: '', local: false });
  assert.deepEqual(res, { kicked: 5, directors: [{ directorId: 'd9', kicked: 2 }, { directorId: 'd1', kicked: 3 }], unreachable: ['d2'] });
  assert.deepEqual(asked, ['alice/later']);
  const [, local] = await invoke(service.KickUser, { user: 'bob', reason: '', backendHost: '', local: true });
  assert.deepEqual(local, { kicked: 2, directors: [{ directorId: 'd9', kicked: 2 }], unreachable: [] });
  assert.equal(asked.length, 1, 'local asks no peer');
});

test('KickUser: no session anywhere and not in the passdb is NOT_FOUND; a known user without sessions is 0', async () => {
  const none = new RecordingRegistry([]);
  none.kickUser = () => 0;
  const service = createAdminService(deps({ registry: none, userExists: async (user) => user === 'carol' }));
  const [err] = await invoke(service.KickUser, { user: 'nobody', reason: '', backendHost: '', local: true });
  assert.equal(err?.code, grpcStatus.NOT_FOUND);
  assert.match(err?.details ?? '', /nobody does not exist/);
  const [, carol] = await invoke(service.KickUser, { user: 'carol', reason: '', backendHost: '', local: true });
  assert.equal(carol?.kicked, 0);
});

test('KickUser: an empty user is INVALID_ARGUMENT and kicks nobody', async () => {
  const d = deps();
  const [err] = await invoke(createAdminService(d).KickUser, { user: '', reason: '', backendHost: '', local: true });
  assert.equal(err?.code, grpcStatus.INVALID_ARGUMENT);
  assert.deepEqual(d.registry.kickCalls, []);
});

test('FlushAuthCache: empty user flushes all; a user flushes that user', async () => {
  const calls: (string | undefined)[] = [];
  const service = createAdminService(deps({ passdb: { flushCache: (u) => (calls.push(u), 3) } }));
  const [, all] = await invoke(service.FlushAuthCache, { user: '' });
  const [, one] = await invoke(service.FlushAuthCache, { user: 'alice' });
  assert.deepEqual([all, one], [{ flushed: 3 }, { flushed: 3 }]);
  assert.deepEqual(calls, [undefined, 'alice']);
});

test('a throwing dependency becomes INTERNAL and is reported to onError', async () => {
  const reported: string[] = [];
  const service = createAdminService(
    deps({
      passdb: {
        flushCache: () => {
          throw new Error('boom');
        },
      },
      onError: (method) => reported.push(method),
    }),
  );
  const [err] = await invoke(service.FlushAuthCache, { user: '' });
  assert.equal(err?.code, grpcStatus.INTERNAL);
  assert.equal(err?.details, 'FlushAuthCache failed: boom');
  assert.deepEqual(reported, ['FlushAuthCache']);
});
