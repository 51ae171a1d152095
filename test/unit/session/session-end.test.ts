import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLOSE_REASONS, SESSION_ENDS, closeEnd, relayEnd } from '../../../src/session/session-end.js';
import { KICKED_BY_ADMIN, SHUTDOWN_REASON } from '../../../src/core/failure.js';

test('every close reason maps into the closed set of session ends', () => {
  for (const reason of Object.keys(CLOSE_REASONS) as Array<keyof typeof CLOSE_REASONS>) {
    assert.ok(SESSION_ENDS.includes(closeEnd(reason)), reason);
  }
  assert.equal(closeEnd('Disconnected'), 'client_closed');
  assert.equal(closeEnd('Disconnected: Inactivity'), 'prelogin_timeout');
  assert.equal(closeEnd('Aborted login'), 'logout');
  assert.equal(closeEnd('logout'), 'logout');
  assert.equal(closeEnd('Disconnected: Too many failed authentication attempts'), 'auth_failures');
});

test('a relay kicked by the drain ends as shutdown, by an operator as kicked; other relay ends pass through', () => {
  assert.equal(relayEnd('kicked', SHUTDOWN_REASON), 'shutdown');
  assert.equal(relayEnd('kicked', KICKED_BY_ADMIN), 'kicked');
  assert.equal(relayEnd('kicked', undefined), 'kicked');
  for (const end of ['client_closed', 'backend_closed', 'idle_timeout', 'client_error', 'backend_error'] as const) {
    assert.equal(relayEnd(end, undefined), end);
    assert.ok(SESSION_ENDS.includes(relayEnd(end, undefined)));
  }
});
