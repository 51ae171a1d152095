import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFromWorker, parseToWorker } from '../../../../src/app/workers/messages.js';

const info = {
  sessionId: 's1', user: 'alice', protocol: 'imap', clientIp: '127.0.0.1', clientPort: 5000,
  backendId: 'b1', backendHost: '127.0.0.11', backendPort: 143, startedAt: 1, bytesFromClient: 0, bytesFromBackend: 0,
};

test('well-formed worker messages are accepted as they are', () => {
  for (const m of [
    { t: 'hello' },
    { t: 'ready', ports: { imap: 143 } },
    { t: 'add', info },
    { t: 'remove', sessionId: 's1' },
    { t: 'login', protocol: 'imap', result: 'ok' },
    { t: 'ask', id: 1, q: 'sticky', user: 'alice', tag: '' },
    { t: 'ask', id: 2, q: 'exclusive', user: 'alice', host: '127.0.0.11', backendId: null, sessionId: 's1' },
  ]) {
    assert.deepEqual(parseFromWorker(m), m);
  }
});

test('malformed worker messages are refused, not trusted', () => {
  for (const m of [
    null, 'add', 42, {}, { t: 'nope' },
    { t: 'add', info: { ...info, user: 7 } },
    { t: 'add', info: { ...info, clientPort: 'x' } },
    { t: 'remove' },
    { t: 'claim', sessionId: 's1', user: 'alice', host: '127.0.0.11', backendId: '' },
    { t: 'ask', id: 3, q: 'exclusive', user: 'alice', host: '127.0.0.11', backendId: null },
    { t: 'ask', id: 'x', q: 'sticky', user: 'alice', tag: '' },
    { t: 'ask', id: 1, q: 'other', user: 'alice' },
    { t: 'ask', id: 1, q: 'exclusive', user: 'alice', host: 5, backendId: null },
  ]) {
    assert.equal(parseFromWorker(m), undefined, JSON.stringify(m));
  }
});

test('primary messages: good ones pass, broken ones are refused', () => {
  const ring = { backends: [], vnodes: 100, placement: 'dovecot', down: [], capabilities: { imap: null, pop3: null } };
  assert.deepEqual(parseToWorker({ t: 'ring', ring }), { t: 'ring', ring });
  assert.deepEqual(parseToWorker({ t: 'fail', id: 3, kind: 'backend_unavailable', message: 'x' }), { t: 'fail', id: 3, kind: 'backend_unavailable', message: 'x' });
  assert.deepEqual(parseToWorker({ t: 'flush', users: null }), { t: 'flush', users: null });
  assert.deepEqual(parseToWorker({ t: 'flush', users: ['a', 'b'] }), { t: 'flush', users: ['a', 'b'] });
  for (const m of [undefined, { t: 'ring' }, { t: 'ring', ring: { backends: 'x', vnodes: 1, placement: 'ketama', down: [] } }, { t: 'ring', ring: { backends: [], vnodes: 1, placement: 'maglev', down: [] } }, { t: 'kick', sessionId: 1 }, { t: 'flush', users: [3] }, { t: 'flush' }, { t: 'reply' }]) {
    assert.equal(parseToWorker(m), undefined, JSON.stringify(m));
  }
});
