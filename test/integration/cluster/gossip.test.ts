import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRingClient } from '../../../src/adapters/grpc/ring-transport.js';
import type { RingPeerClient } from '../../../src/adapters/grpc/ring-transport.js';
import type { MutualTls } from '../../../src/adapters/grpc/security.js';
import type { SnapshotResponse__Output } from '../../../src/adapters/grpc/generated/maildirector/ring/v1/SnapshotResponse.js';
import { freePort } from '../../harness/ports.js';
import { makeClusterPki } from './certs.js';
import type { ClusterPki } from './certs.js';
import type { NodeCommand, NodeConfig } from './node-main.js';

const NODE_MAIN = fileURLToPath(new URL('./node-main.ts', import.meta.url));
const IDS = ['d1', 'd2', 'd3'] as const;
type Id = (typeof IDS)[number];
// The default backoff (100 ms doubling to 5 s): a restarted director must catch up
// without waiting for its peers' links to it to leave their backoff.
const TUNING = { heartbeatMs: 200, deadAfterMs: 1_000, backoffMinMs: 100, backoffMaxMs: 5_000, applyTimeoutMs: 3_000 };
/** I2 (docs/invariants.md): after any change all live directors converge within 2 s on loopback. */
const CONVERGE_MS = 2_000;
const BACKENDS = ['b1', 'b2', 'b3'].map((id, i) => ({ id, host: `127.0.0.${i + 10}`, ports: { imap: 143 }, weight: 100, tag: '' }));

let tmp: string;
let pki: ClusterPki;
const ports = new Map<Id, number>();
const children = new Map<Id, Child>();
const clients = new Map<Id, RingPeerClient>();

class Child {
  readonly proc: ChildProcess;
  readonly ready: Promise<void>;
  #next = 1;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(config: NodeConfig) {
    this.proc = fork(NODE_MAIN, [JSON.stringify(config)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.ready = new Promise<void>((resolve, reject) => {
      this.proc.once('exit', (code) => reject(new Error(`${config.id} exited early (${code})`)));
      this.proc.on('message', (msg: { ready?: boolean; id?: number; result?: unknown; error?: string }) => {
        if (msg.ready === true) resolve();
        if (msg.id === undefined) return;
        const waiter = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        if (msg.error !== undefined) waiter?.reject(new Error(msg.error));
        else waiter?.resolve(msg.result);
      });
    });
    this.ready.catch(() => undefined);
  }

  call<T>(cmd: NodeCommand): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: (v) => resolve(v as T), reject });
      this.proc.send({ id, cmd });
    });
  }

  kill(signal: NodeJS.Signals): void {
    if (this.proc.pid !== undefined && this.proc.exitCode === null) process.kill(this.proc.pid, signal);
  }

  async killHard(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.kill('SIGKILL');
    await exited;
  }
}

function tlsFiles(id: string): NodeConfig['tls'] {
  return { ca: join(tmp, 'ring-ca.crt'), cert: join(tmp, `${id}.crt`), key: join(tmp, `${id}.key`) };
}

async function startNode(id: Id): Promise<Child> {
  const config: NodeConfig = {
    id,
    port: ports.get(id) as number,
    stateFile: join(tmp, `${id}-ring.json`),
    seed: { backends: BACKENDS, directors: IDS.map((d) => ({ id: d, address: `127.0.0.1:${ports.get(d)}` })) },
    tls: tlsFiles(id),
    tuning: TUNING,
  };
  const child = new Child(config);
  children.set(id, child);
  await child.ready;
  return child;
}

function client(id: Id, tls: MutualTls = pki.directors.get('d1') as MutualTls): RingPeerClient {
  return createRingClient({ target: `127.0.0.1:${ports.get(id)}`, tls });
}

function snapshot(id: Id, deadlineMs = 2_000): Promise<SnapshotResponse__Output> {
  let c = clients.get(id);
  if (c === undefined) {
    c = client(id);
    clients.set(id, c);
  }
  return c.snapshot(deadlineMs);
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      if (await check()) return Date.now() - started;
    } catch {
      // Not reachable yet.
    }
    if (Date.now() - started > timeoutMs) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const liveView = async (id: Id): Promise<string[]> =>
  (await snapshot(id)).peers.filter((p) => p.live).map((p) => p.directorId).sort();

const entriesOf = async (id: Id): Promise<string> => JSON.stringify((await snapshot(id)).entries);

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'md-cluster-'));
  // d9: a certificate of the ring CA for a director that is not in the ring (a rogue peer).
  pki = makeClusterPki(tmp, [...IDS, 'd9']);
  for (const id of IDS) ports.set(id, await freePort());
  await Promise.all(IDS.map((id) => startNode(id)));
  for (const id of IDS) {
    await waitFor(`${id} to see both peers live`, 10_000, async () => (await liveView(id)).length === 2);
  }
});

after(async () => {
  for (const c of clients.values()) c.close();
  await Promise.all([...children.values()].map((c) => c.killHard()));
  rmSync(tmp, { recursive: true, force: true });
});

test('an admin change applied at one director is acknowledged by and visible at all of them within 2 s', async (t) => {
  const started = Date.now();
  const outcome = await clients.get('d1')?.apply({ entries: [{ version: { counter: 0, origin: '' }, admin: { backendId: 'b1', state: 'ADMIN_STATE_DOWN' } }], timeoutMs: 2_000 }, 3_000);
  assert.ok(outcome !== undefined);
  assert.equal(outcome.applied, 1);
  assert.deepEqual(outcome.ackedBy, ['d2', 'd3']);
  assert.deepEqual(outcome.notAcked, []);
  // Acked means merged: no polling needed.
  for (const id of IDS) assert.deepEqual((await snapshot(id)).down, ['b1'], `${id} effective down`);
  assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
  t.diagnostic(`apply acknowledged by both peers in ${Date.now() - started} ms`);
});

test('back-to-back admin commands at different directors are never lost: the later one wins everywhere', async () => {
  const a = children.get('d2') as Child;
  const b = children.get('d3') as Child;
  const outcomes = [
    await a.call<{ notAcked: string[] }>({ op: 'admin', backend: 'b2', state: 'down' }),
    await b.call<{ notAcked: string[] }>({ op: 'admin', backend: 'b2', state: 'up' }),
    await a.call<{ notAcked: string[] }>({ op: 'admin', backend: 'b3', state: 'down' }),
    await b.call<{ notAcked: string[] }>({ op: 'admin', backend: 'b3', state: 'none' }),
  ];
  assert.deepEqual(outcomes.flatMap((o) => o.notAcked), []);
  for (const id of IDS) assert.deepEqual((await snapshot(id)).down, ['b1'], `${id} effective down`);
  assert.equal(await entriesOf('d1'), await entriesOf('d2'));
  assert.equal(await entriesOf('d1'), await entriesOf('d3'));
});

test('a client certificate from an unknown CA is refused, for unary calls and the gossip stream', async () => {
  const stranger = client('d1', pki.stranger);
  try {
    await assert.rejects(stranger.snapshot(2_000), (err: { code?: number }) => err.code === 14 /* UNAVAILABLE */);
    const stream = stranger.openGossip();
    const failed = new Promise<number | undefined>((resolve) => stream.on('error', (err: { code?: number }) => resolve(err.code)));
    stream.write({ hello: { directorId: 'evil', clock: 1 } });
    stream.write({ batch: { seq: 1, kind: 'BATCH_KIND_DELTA', entries: [{ version: { counter: 9e12, origin: 'evil' }, admin: { backendId: 'b1', state: 'ADMIN_STATE_UP' } }] } });
    assert.equal(await failed, 14);
  } finally {
    stranger.close();
  }
  assert.deepEqual((await snapshot('d1')).down, ['b1'], 'the stranger changed nothing');
});

test('malformed gossip is counted and dropped; the director keeps running', async () => {
  const before = await (children.get('d2') as Child).call<{ stats: { malformed: number } }>({ op: 'stats' });
  const rogue = client('d2', pki.directors.get('d9'));
  const stream = rogue.openGossip();
  stream.on('error', () => undefined);
  stream.on('data', () => undefined);
  stream.write({ batch: { seq: 1, entries: [] } }); // before hello
  stream.write({ hello: { directorId: 'd9', clock: 1 } });
  stream.write({
    batch: {
      seq: 2,
      entries: [
        { version: { counter: 1, origin: 'd9' } },
        { version: { counter: 2 ** 50, origin: 'd9' }, backend: { backendId: 'b1', spec: { host: '', ports: { imap: 99999 } } } },
        { version: { counter: 5, origin: 'd9' }, verdict: { directorId: 'd1', backendId: 'b2', down: true } },
      ],
    },
  });
  stream.write({ ack: { seq: 77 } });
  await waitFor('malformed count to rise', 2_000, async () => {
    const now = await (children.get('d2') as Child).call<{ stats: { malformed: number } }>({ op: 'stats' });
    return now.stats.malformed >= before.stats.malformed + 5;
  });
  stream.end();
  rogue.close();
  assert.equal((children.get('d2') as Child).proc.exitCode, null);
  assert.equal(await entriesOf('d1'), await entriesOf('d2'), 'nothing malformed was merged');
});

test('a certificate of the ring CA cannot speak for another director', async () => {
  const before = await (children.get('d2') as Child).call<{ stats: { malformed: number } }>({ op: 'stats' });
  const impostor = client('d2', pki.directors.get('d9'));
  const stream = impostor.openGossip();
  stream.on('error', () => undefined);
  const replies: unknown[] = [];
  stream.on('data', (m: unknown) => replies.push(m));
  const ended = new Promise<void>((resolve) => stream.on('end', () => resolve()));
  stream.write({ hello: { directorId: 'd3', clock: 1 } });
  stream.write({ batch: { seq: 1, entries: [{ version: { counter: 2 ** 40, origin: 'd3' }, admin: { backendId: 'b2', state: 'ADMIN_STATE_DOWN' } }] } });
  await ended;
  impostor.close();
  assert.deepEqual(replies, [], 'no hello back to an impostor');
  const after = await (children.get('d2') as Child).call<{ stats: { malformed: number } }>({ op: 'stats' });
  assert.ok(after.stats.malformed > before.stats.malformed);
  assert.ok(!(await snapshot('d2')).down.includes('b2'), 'the impostor changed nothing');
});

test('a silent director is marked dead by heartbeat timeout; restarted from its file it rejoins and converges', async (t) => {
  const d3 = children.get('d3') as Child;
  d3.kill('SIGSTOP'); // sockets stay open: only heartbeats can tell
  try {
    const deadAfter = await waitFor('d1 and d2 to mark d3 dead', 5_000, async () =>
      (await liveView('d1')).join() === 'd2' && (await liveView('d2')).join() === 'd1');
    assert.ok(deadAfter >= TUNING.deadAfterMs - 300, `marked dead after ${deadAfter} ms, before the timeout`);
    // A change while d3 is dead is acknowledged by the live peers only, without waiting for d3.
    const outcome = await clients.get('d1')?.apply({ entries: [{ version: { counter: 0, origin: '' }, backend: { backendId: 'b4', spec: { host: '127.0.0.14', ports: { imap: 143 }, weight: 50 } } }] }, 3_000);
    assert.deepEqual(outcome?.ackedBy, ['d2']);
  } finally {
    d3.kill('SIGCONT');
  }
  await d3.killHard();
  const converged = await restartAndConverge('d3');
  t.diagnostic(`d3 restarted from its file (after a SIGSTOP) converged in ${converged} ms`);
  assert.deepEqual((await snapshot('d3')).down, ['b1']);
  assert.ok((await snapshot('d3')).entries.some((e) => e.backend?.backendId === 'b4'));
});

/**
 * Start `id` again and time until its entries equal everyone's and every
 * director sees every other live, from the moment it is serving (its gRPC
 * server listening and its links dialing; process start-up under tsx varies
 * with machine load and is printed apart).
 */
async function restartAndConverge(id: Id): Promise<number> {
  const started = Date.now();
  await startNode(id);
  const ready = Date.now();
  await waitFor(`${id} to converge after restart`, 5_000, async () => {
    const all = await Promise.all(IDS.map((d) => entriesOf(d)));
    if (!all.every((e) => e === all[0])) return false;
    const views = await Promise.all(IDS.map((d) => liveView(d)));
    return views.every((v) => v.length === 2);
  });
  process.stderr.write(`# ${id}: process start → ready ${ready - started} ms, ready → converged ${Date.now() - ready} ms\n`);
  return Date.now() - ready;
}

test('a director killed while its peers back off catches up within 2 s of starting, in both directions', async (t) => {
  const times: number[] = [];
  const reverse: number[] = [];
  for (let round = 0; round < 3; round++) {
    const victim: Id = round === 1 ? 'd2' : 'd3';
    const other: Id = victim === 'd2' ? 'd3' : 'd2';
    await (children.get(victim) as Child).killHard();
    // Long enough for d1's and the other's links to it to back off to seconds.
    await new Promise((r) => setTimeout(r, 3_500));
    const missed = await clients.get('d1')?.apply({ entries: [{ version: { counter: 0, origin: '' }, backend: { backendId: 'b1', spec: { host: '127.0.0.10', ports: { imap: 143 }, weight: 100 + round } } }] }, 3_000);
    assert.ok(missed !== undefined && missed.applied === 1);
    const ms = await restartAndConverge(victim);
    times.push(ms);
    assert.ok(ms < CONVERGE_MS, `round ${round}: ${victim} converged after ${ms} ms`);
    const weight = (await snapshot(victim)).entries.find((e) => e.backend?.backendId === 'b1')?.backend?.spec?.weight;
    assert.equal(weight, 100 + round, 'the change made while it was down');
    // Deltas from the others reach it too: their own links to it are open again.
    const before = Date.now();
    const outcome = await (children.get(other) as Child).call<{ ackedBy: string[]; notAcked: string[] }>({ op: 'admin', backend: 'b2', state: round % 2 === 0 ? 'down' : 'none' });
    reverse.push(Date.now() - before);
    assert.deepEqual(outcome.ackedBy, [victim, 'd1'].sort());
    assert.ok(Date.now() - before < CONVERGE_MS, `a change at ${other} acked by ${victim} after ${Date.now() - before} ms`);
  }
  await (children.get('d1') as Child).call({ op: 'admin', backend: 'b2', state: 'none' });
  t.diagnostic(`restart → converged: ${times.join(', ')} ms; next change at a peer acked by it in ${reverse.join(', ')} ms`);
});

test('a flood of 10,000 separate changes converges everywhere, in batches', async (t) => {
  const flood = await (children.get('d2') as Child).call<{ ms: number; notAcked: string[]; stats: { batchesSent: number } }>({ op: 'flood', n: 10_000, prefix: 'flood-user-', backend: 'b2' });
  assert.deepEqual(flood.notAcked, []);
  t.diagnostic(`10,000 changes written and acknowledged by both peers in ${flood.ms} ms, ${flood.stats.batchesSent} batches sent`);
  const moves = async (id: Id): Promise<number> => (await snapshot(id)).entries.filter((e) => e.move?.user.startsWith('flood-user-') === true).length;
  for (const id of IDS) assert.equal(await moves(id), 10_000, `${id} has every move once the flood is acknowledged`);
  // One message per change would be 20,000 batches to two peers.
  assert.ok(flood.stats.batchesSent < 200, `sent ${flood.stats.batchesSent} batches`);
  assert.equal(await entriesOf('d1'), await entriesOf('d2'));
  assert.equal(await entriesOf('d3'), await entriesOf('d2'));
});

test('a whole-ring restart keeps admin down, added and removed backends, and moves', async () => {
  await (children.get('d1') as Child).call({ op: 'admin', backend: 'b3', state: 'down' });
  const removed = await clients.get('d3')?.apply({ entries: [{ version: { counter: 0, origin: '' }, backend: { backendId: 'b2', removed: true } }] }, 3_000);
  assert.deepEqual(removed?.ackedBy, ['d1', 'd2']);
  const before = await entriesOf('d1');
  await Promise.all(IDS.map((id) => (children.get(id) as Child).killHard()));
  for (const c of clients.values()) c.close();
  clients.clear();
  // Restart one director alone: what it knows can only come from its file.
  await startNode('d2');
  // Just started, it may still be reading its 10,000 entries from the file on a busy machine.
  const alone = await snapshot('d2', 10_000);
  assert.deepEqual(alone.down, ['b1', 'b3']);
  const backends = alone.entries.flatMap((e) => (e.backend == null ? [] : [[e.backend.backendId, e.backend.removed]]));
  assert.deepEqual(backends, [['b1', false], ['b2', true], ['b3', false], ['b4', false]]);
  assert.equal(alone.entries.filter((e) => e.move != null).length, 10_000);
  assert.equal(JSON.stringify(alone.entries), before);
  await Promise.all([startNode('d1'), startNode('d3')]);
  await waitFor('the ring to reform', 10_000, async () => (await liveView('d1')).length === 2 && (await liveView('d2')).length === 2);
  // d3 may still be merging the peers' 10,000 entries when the ring reforms (a snapshot then can miss its deadline on a busy machine).
  await waitFor('d3 to hold the state from before the restart', 10_000, async () => (await entriesOf('d3')) === before);
  assert.equal(await entriesOf('d3'), before);
});
