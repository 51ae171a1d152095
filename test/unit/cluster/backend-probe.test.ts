import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { pino } from 'pino';
import { BackendProber } from '../../../src/cluster/backend-probe.js';
import { mailProbe } from '../../../src/cluster/mail-probe.js';
import { imapCapabilityProbe } from '../../../src/protocols/imap/probe.js';
import type { ProbeFn } from '../../../src/cluster/backend-probe.js';
import type { Capabilities } from '../../../src/ring/state.js';
import type { BackendSpec } from '../../../src/ring/types.js';

const log = pino({ level: 'silent' });
const B1: BackendSpec = { id: 'b1', host: '127.0.0.1', ports: {}, weight: 100, tag: '' };
const CAPS: Capabilities = { imap: ['IMAP4REV1'], pop3: [] };

function scripted(results: boolean[]): ProbeFn {
  return () => {
    const ok = results.shift();
    return ok === true ? Promise.resolve(CAPS) : Promise.reject(new Error('refused'));
  };
}

function prober(results: boolean[], previous?: boolean) {
  const published: Array<[string, boolean]> = [];
  const p = new BackendProber({
    settings: { failuresToDown: 3, successesToUp: 2, timeoutMs: 200 },
    backends: () => [B1],
    previous: () => previous,
    publish: (id, down) => published.push([id, down]),
    probe: scripted(results),
    log,
  });
  return { p, published };
}

test('hysteresis: N consecutive failures turn the verdict down, M successes turn it up', async () => {
  const { p, published } = prober([true, true, false, false, true, false, false, false, true, true]);
  for (let i = 0; i < 10; i++) await p.round();
  // up after 2 successes; a failure streak of 2 is not enough; 3 is; then 2 successes.
  assert.deepEqual(published.filter(([, down]) => down), [['b1', true]]);
  const firstDown = published.findIndex(([, down]) => down);
  assert.ok(firstDown > 0 && published.slice(0, firstDown).every(([, down]) => !down));
  assert.deepEqual(published.at(-1), ['b1', false]);
  assert.equal(p.verdict('b1'), false);
});

test('a verdict restored from the state file keeps its hysteresis after a restart', async () => {
  const { p, published } = prober([true, false, true, true], true);
  await p.round();
  assert.equal(p.verdict('b1'), true, 'one success must not lift a persisted down verdict');
  for (let i = 0; i < 3; i++) await p.round();
  assert.equal(p.verdict('b1'), false);
  assert.deepEqual(published, [['b1', false]]);
});

async function listen(onConnection: (socket: import('node:net').Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

test('the mail probe reads the banner and CAPABILITY of a real socket; silence times out', async () => {
  const probe = mailProbe({ conversations: new Map([['imap', imapCapabilityProbe]]) });
  const imap = await listen((socket) => {
    socket.write('* OK ready\r\n');
    socket.on('data', (d) => {
      if (/CAPABILITY/i.test(d.toString())) socket.write('* CAPABILITY IMAP4rev1 IDLE\r\np OK done\r\n');
    });
  });
  const silent = await listen(() => undefined);
  try {
    const caps = await probe({ ...B1, ports: { imap: imap.port } }, 1000);
    assert.deepEqual(caps.imap, ['IDLE', 'IMAP4REV1']);
    const started = Date.now();
    await assert.rejects(probe({ ...B1, ports: { imap: silent.port } }, 150), /timed out/);
    assert.ok(Date.now() - started < 1000);
  } finally {
    imap.server.close();
    silent.server.close();
    imap.server.unref();
    silent.server.unref();
  }
});

function stalledProber(stallMs: number) {
  const published: Array<[string, boolean]> = [];
  const p = new BackendProber({
    settings: { failuresToDown: 1, successesToUp: 1, timeoutMs: 100 },
    backends: () => [B1],
    previous: () => false,
    publish: (id, down) => published.push([id, down]),
    // The backend never answers; meanwhile this process's event loop is blocked for stallMs.
    probe: () => {
      const until = Date.now() + stallMs;
      setImmediate(() => {
        while (Date.now() < until) {
          // a stall: GC, a burst of work
        }
      });
      return new Promise<Capabilities>(() => undefined);
    },
    log,
  });
  return { p, published };
}

test('a probe deadline delayed by a stall of this process is not a vote against the backend', async () => {
  const { p, published } = stalledProber(600);
  await p.round();
  assert.equal(p.verdict('b1'), false, 'still up');
  assert.deepEqual(published, []);
});

test('a probe deadline that fires on time is a failure', async () => {
  const { p, published } = stalledProber(0);
  await p.round();
  assert.equal(p.verdict('b1'), true);
  assert.deepEqual(published, [['b1', true]]);
});
