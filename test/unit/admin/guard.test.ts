import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { PeerCertificate } from 'node:tls';
import { status as grpcStatus } from '@grpc/grpc-js';
import type { handleUnaryCall, ServerUnaryCall, ServiceError } from '@grpc/grpc-js';
import type { AdminHandlers } from '../../../src/adapters/grpc/generated/maildirector/admin/v1/Admin.js';
import type { AdminAccess } from '../../../src/admin/access.js';
import { guardAdminHandlers } from '../../../src/admin/guard.js';

/** Every handler answers `{}`, except SetBackendWeight for weight 7, which fails. */
function handlers(calls: string[]): AdminHandlers {
  const ok = (name: string): handleUnaryCall<unknown, object> => (_call, callback) => {
    calls.push(name);
    callback(null, {});
  };
  return {
    Status: ok('Status'), Who: ok('Who'), Ring: ok('Ring'), UserWhere: ok('UserWhere'),
    AddBackend: ok('AddBackend'), RemoveBackend: ok('RemoveBackend'), SetBackendState: ok('SetBackendState'),
    MoveUser: ok('MoveUser'), KickUser: ok('KickUser'), FlushAuthCache: ok('FlushAuthCache'),
    AddDirector: ok('AddDirector'), RemoveDirector: ok('RemoveDirector'), PlanRing: ok('PlanRing'),
    SetBackendWeight: (call, callback) => {
      calls.push('SetBackendWeight');
      if (call.request.weight === 7) callback({ code: grpcStatus.INVALID_ARGUMENT, details: 'weight 7 is unlucky' });
      else callback(null, { applied: 1, ackedBy: [], notAcked: [], down: [], movedUsers: 0 });
    },
  };
}

interface Line {
  readonly level: 'info' | 'warn';
  readonly obj: Record<string, unknown>;
  readonly msg: string;
}

function setup(access: AdminAccess): { service: AdminHandlers; calls: string[]; lines: Line[] } {
  const calls: string[] = [];
  const lines: Line[] = [];
  const audit = {
    info: (obj: Record<string, unknown>, msg: string) => void lines.push({ level: 'info', obj, msg }),
    warn: (obj: Record<string, unknown>, msg: string) => void lines.push({ level: 'warn', obj, msg }),
  };
  return { service: guardAdminHandlers(handlers(calls), { access, audit: audit as never }), calls, lines };
}

function cert(cn: string, dns: readonly string[] = []): PeerCertificate {
  return { subject: { CN: cn }, subjectaltname: dns.map((d) => `DNS:${d}`).join(', ') } as unknown as PeerCertificate;
}

function invoke<Req, Res>(
  handler: handleUnaryCall<Req, Res>,
  request: Req,
  peer: { address: string; cert?: PeerCertificate },
): Promise<[Partial<ServiceError> | null, Res | undefined]> {
  const auth = peer.cert === undefined ? {} : { transportSecurityType: 'ssl', sslPeerCertificate: peer.cert };
  const call = Object.assign(new EventEmitter(), { request, getPeer: () => peer.address, getAuthContext: () => auth });
  return new Promise((resolve) => handler(call as unknown as ServerUnaryCall<Req, Res>, (err, value) => resolve([err, value ?? undefined])));
}

const TLS: AdminAccess = { tls: true, admins: () => ['ops-admin'] };

test('TLS: a certificate of the CA that is not listed is refused every call, read-only ones too', async () => {
  const { service, calls, lines } = setup(TLS);
  const backend = { address: '127.0.0.1:50001', cert: cert('backend-b2', ['localhost']) };
  const [err] = await invoke(service.SetBackendWeight, { id: 'b2', weight: 100 }, backend);
  assert.equal(err?.code, grpcStatus.PERMISSION_DENIED);
  assert.equal(err?.details, 'permission denied: certificate "backend-b2" (also named localhost) is not in grpc_tls.admins');
  const [statusErr] = await invoke(service.Status, {}, { address: '127.0.0.1:50002', cert: cert('director-d2') });
  assert.equal(statusErr?.code, grpcStatus.PERMISSION_DENIED);
  assert.match(statusErr?.details ?? '', /"director-d2" is not in grpc_tls\.admins/);
  assert.deepEqual(calls, [], 'no handler ran');
  assert.deepEqual(lines, [
    {
      level: 'info',
      msg: 'admin command',
      obj: {
        audit: true, who: 'backend-b2', command: 'SetBackendWeight', args: { id: 'b2', weight: 100 }, peer: '127.0.0.1:50001',
        result: 'error', detail: 'PERMISSION_DENIED: permission denied: certificate "backend-b2" (also named localhost) is not in grpc_tls.admins',
      },
    },
    { level: 'warn', msg: 'permission denied: certificate "director-d2" is not in grpc_tls.admins', obj: { who: 'director-d2', command: 'Status', peer: '127.0.0.1:50002' } },
  ]);
});

test('TLS: a listed name (CN or DNS SAN) may call; each mutating call leaves one audit line with its result', async () => {
  const { service, calls, lines } = setup(TLS);
  const admin = { address: '10.1.2.3:40000', cert: cert('laptop-7', ['ops-admin']) };
  const [err, res] = await invoke(service.SetBackendWeight, { id: 'b2', weight: 50 }, admin);
  assert.equal(err, null);
  assert.equal(res?.applied, 1);
  const [failed] = await invoke(service.SetBackendWeight, { id: 'b2', weight: 7 }, admin);
  assert.equal(failed?.code, grpcStatus.INVALID_ARGUMENT);
  const [statusErr] = await invoke(service.Status, {}, admin);
  assert.equal(statusErr, null);
  assert.deepEqual(calls, ['SetBackendWeight', 'SetBackendWeight', 'Status']);
  assert.deepEqual(lines.map((l) => l.obj), [
    { audit: true, who: 'ops-admin', command: 'SetBackendWeight', args: { id: 'b2', weight: 50 }, peer: '10.1.2.3:40000', result: 'ok' },
    { audit: true, who: 'ops-admin', command: 'SetBackendWeight', args: { id: 'b2', weight: 7 }, peer: '10.1.2.3:40000', result: 'error', detail: 'INVALID_ARGUMENT: weight 7 is unlucky' },
  ]);
});

test('TLS: a call without a verified certificate is refused', async () => {
  const { service } = setup(TLS);
  const [err] = await invoke(service.Who, { userMask: '' }, { address: '127.0.0.1:1' });
  assert.equal(err?.code, grpcStatus.PERMISSION_DENIED);
  assert.match(err?.details ?? '', /no verified client certificate/);
});

test('plaintext: loopback callers are "loopback-plaintext"; anything else is refused', async () => {
  const { service, lines } = setup({ tls: false, admins: () => [] });
  for (const address of ['127.0.0.1:5000', '::1:5000', '::ffff:127.0.0.1:5000']) {
    const [err] = await invoke(service.KickUser, { user: 'alice', reason: '', backendHost: '', local: true }, { address });
    assert.equal(err, null, address);
  }
  assert.deepEqual(lines.map((l) => [l.obj['who'], l.obj['command'], l.obj['result']]), [
    ['loopback-plaintext', 'KickUser', 'ok'],
    ['loopback-plaintext', 'KickUser', 'ok'],
    ['loopback-plaintext', 'KickUser', 'ok'],
  ]);
  const [err] = await invoke(service.FlushAuthCache, { user: '' }, { address: '192.0.2.8:5000' });
  assert.equal(err?.code, grpcStatus.PERMISSION_DENIED);
});

test('every mutating command is audited with its own arguments, read-only ones are not', async () => {
  const { service, lines } = setup({ tls: false, admins: () => [] });
  const peer = { address: '127.0.0.1:9' };
  await invoke(service.AddBackend, { id: 'b9', host: 'h9', ports: { imap: 143 }, weight: 0, tag: 't' }, peer);
  await invoke(service.RemoveBackend, { id: 'b9' }, peer);
  await invoke(service.SetBackendState, { id: 'b9', state: 'ADMIN_OVERRIDE_DOWN' }, peer);
  await invoke(service.MoveUser, { user: 'u', backendId: 'b1', delayMs: 5 }, peer);
  await invoke(service.FlushAuthCache, { user: 'u' }, peer);
  await invoke(service.AddDirector, { id: 'd4', address: '127.0.0.4:17000' }, peer);
  await invoke(service.RemoveDirector, { id: 'd4' }, peer);
  await invoke(service.Ring, {}, peer);
  await invoke(service.UserWhere, { user: 'u', protocol: '' }, peer);
  assert.deepEqual(lines.map((l) => [l.obj['command'], l.obj['args']]), [
    ['AddBackend', { id: 'b9', host: 'h9', ports: { imap: 143 }, weight: 0, tag: 't' }],
    ['RemoveBackend', { id: 'b9' }],
    ['SetBackendState', { id: 'b9', state: 'ADMIN_OVERRIDE_DOWN' }],
    ['MoveUser', { user: 'u', backend: 'b1', delayMs: 5 }],
    ['FlushAuthCache', { user: 'u' }],
    ['AddDirector', { id: 'd4', address: '127.0.0.4:17000' }],
    ['RemoveDirector', { id: 'd4' }],
  ]);
});
