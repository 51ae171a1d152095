// Directors of one ring must place users alike (I1, I2 in docs/invariants.md):
// real gRPC gossip links between ring nodes, one configured with another
// placement, which its peers refuse and which fences itself as the minority.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { startGrpcServer, type GrpcServerHandle } from '../../../src/adapters/grpc/server.js';
import { RingNode } from '../../../src/cluster/ring-node.js';
import type { RingPlacement } from '../../../src/ring/types.js';
import { freePorts } from '../../harness/ports.js';

const TUNING = { heartbeatMs: 200, deadAfterMs: 1_000, backoffMinMs: 100, backoffMaxMs: 1_000, applyTimeoutMs: 2_000 };

test('a director with another placement or hash key is refused by its peers, and fences itself as the minority', { timeout: 30_000 }, async () => {
  const ports = await freePorts(4);
  const ids = ['d1', 'd2', 'd3', 'd4'];
  const directors = ids.map((id, i) => ({ id, address: `127.0.0.1:${ports[i]}` }));
  const seed = { backends: [{ id: 'b1', host: '10.0.0.11', ports: {}, weight: 100, tag: '' }], directors };
  const setups: Array<{ placement: RingPlacement; hashKey: string }> = [
    { placement: 'dovecot', hashKey: '%Lu' },
    { placement: 'dovecot', hashKey: '%Lu' },
    { placement: 'dovecot', hashKey: '%Lu' },
    // Same placement, another template: users would hash elsewhere too.
    { placement: 'dovecot', hashKey: '%u' },
  ];
  const logs = ids.map(() => [] as string[]);
  const nodes: RingNode[] = [];
  const servers: GrpcServerHandle[] = [];
  try {
    for (const [i, id] of ids.entries()) {
      const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (logs[i]!.push(chunk.toString()), done()) });
      const node = new RingNode({
        selfId: id,
        seed,
        vnodes: 40,
        placement: setups[i]!.placement,
        hashKey: () => setups[i]!.hashKey,
        stateFile: undefined,
        tls: undefined,
        log: pino({ level: 'info' }, sink),
        tuning: TUNING,
      });
      nodes.push(node);
      servers.push(await startGrpcServer({ host: '127.0.0.1', port: ports[i]! }, [node.grpcService()], undefined));
    }
    for (const node of nodes) node.start();
    const deadline = Date.now() + 10_000;
    const want = (n: RingNode, live: string[]): boolean => JSON.stringify([...n.live()].sort()) === JSON.stringify(live);
    while (!(nodes.slice(0, 3).every((n) => want(n, ['d1', 'd2', 'd3'])) && want(nodes[3]!, ['d4']))) {
      assert.ok(Date.now() < deadline, `live sets: ${nodes.map((n) => [...n.live()].sort().join(',')).join(' | ')}`);
      await sleep(100);
    }
    // Held for a while: the refused links stay refused (liveness among d1..d3 may flap on a loaded machine).
    for (const stop = Date.now() + 1_500; Date.now() < stop; ) {
      assert.ok(nodes.slice(0, 3).every((n) => !n.live().has('d4')), 'd4 is never live for the others');
      assert.ok(want(nodes[3]!, ['d4']), `d4 hears nobody: ${[...nodes[3]!.live()].join(',')}`);
      await sleep(100);
    }
    assert.equal(nodes[3]!.inMinority(), true, 'd4 alone out of four is the minority');
    assert.equal(nodes[0]!.inMinority(), false);
    assert.ok(logs[3]!.some((l) => l.includes('gossip link refused') && l.includes('peer hashes \\"%Lu\\", this director \\"%u\\"')), logs[3]!.join(''));
    assert.ok(logs[0]!.some((l) => l.includes('gossip link refused') && l.includes('"peer":"d4"')), logs[0]!.join(''));
  } finally {
    for (const node of nodes) await node.close();
    for (const server of servers) await server.close(100);
  }
});
