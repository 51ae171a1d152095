import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import {
  BackendConnectError,
  connectBackendWithRetry,
  DEFAULT_RECONNECT_DELAY_MS,
  type ReconnectPolicy,
} from '../../../src/net/backend-connect.js';
import { Deadline } from '../../../src/net/deadline.js';

const HOST = '127.0.0.1';

/** A port nothing listens on (connect is refused). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function attempt(
  port: number,
  budgetMs: number,
  policy: ReconnectPolicy,
): Promise<{ reconnects: number; ms: number; result: Socket | BackendConnectError }> {
  const deadline = new Deadline(budgetMs);
  let reconnects = 0;
  const started = Date.now();
  try {
    const socket = await connectBackendWithRetry(
      { host: HOST, port, sourceIp: undefined, tls: 'no', deadline },
      { ...policy, onRetry: (n, err) => {
        reconnects = n;
        policy.onRetry?.(n, err);
      } },
    );
    return { reconnects, ms: Date.now() - started, result: socket };
  } catch (err) {
    assert.ok(err instanceof BackendConnectError, String(err));
    return { reconnects, ms: Date.now() - started, result: err };
  } finally {
    deadline.clear();
  }
}

test('Dovecot defaults: 1 s between reconnects', () => {
  assert.equal(DEFAULT_RECONNECT_DELAY_MS, 1_000);
});

test('a refused connect is tried 1 + 3 times, the pause apart, then fails as refused', async () => {
  const port = await closedPort();
  const { reconnects, ms, result } = await attempt(port, 10_000, { delayMs: 40 });
  assert.equal(reconnects, 3);
  assert.ok(result instanceof BackendConnectError && result.code === 'refused');
  assert.ok(ms >= 3 * 40 && ms < 2_000, `took ${ms} ms`);
});

test('maxReconnects bounds the count; 0 means one attempt only', async () => {
  const port = await closedPort();
  assert.equal((await attempt(port, 10_000, { delayMs: 10, maxReconnects: 1 })).reconnects, 1);
  const once = await attempt(port, 10_000, { delayMs: 10, maxReconnects: 0 });
  assert.equal(once.reconnects, 0);
  assert.ok(once.ms < 500);
});

test('the 1.1 s rule: a reconnect only while more than the pause plus 100 ms of the budget remain', async () => {
  const port = await closedPort();
  // 1.05 s left at the first failure: not enough for Dovecot's 1 s pause + 100 ms.
  const none = await attempt(port, 1_050, {});
  assert.equal(none.reconnects, 0);
  assert.ok(none.ms < 500, `gave up after ${none.ms} ms`);
  // 2 s: one reconnect after 1 s; then ~1 s is left, not more than 1.1 s.
  const one = await attempt(port, 2_000, {});
  assert.equal(one.reconnects, 1);
  assert.ok(one.ms >= 1_000 && one.ms < 1_600, `took ${one.ms} ms`);
  // The same rule with a shorter pause: 250 ms budget, 100 ms pause → one reconnect (~250 > 200), then ~150 left.
  const short = await attempt(port, 250, { delayMs: 100 });
  assert.equal(short.reconnects, 1);
});

test('a backend that comes back during the pause is connected to', async () => {
  const port = await closedPort();
  let server: Server | undefined;
  const { reconnects, result } = await attempt(port, 5_000, {
    delayMs: 100,
    onRetry: () => {
      server ??= createServer((s) => s.end());
      if (!server.listening) server.listen(port, HOST);
    },
  });
  try {
    assert.equal(reconnects, 1);
    assert.ok(!(result instanceof BackendConnectError), String(result));
    result.destroy();
  } finally {
    server?.close();
  }
});

test('a deadline that runs out is not retried', async () => {
  // Nothing answers a SYN to this address (TEST-NET-1, RFC 5737) on most hosts; where it
  // is unreachable at once instead, the error is `network` and the budget decides the rest.
  const deadline = new Deadline(150);
  let reconnects = 0;
  const started = Date.now();
  await assert.rejects(
    connectBackendWithRetry({ host: '192.0.2.1', port: 143, sourceIp: undefined, tls: 'no', deadline }, { delayMs: 1_000, onRetry: () => reconnects++ }),
    BackendConnectError,
  );
  deadline.clear();
  assert.equal(reconnects, 0);
  assert.ok(Date.now() - started < 1_000);
});
