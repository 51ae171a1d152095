// One director's ring layer as a child process, for the cluster integration
// test: it can be SIGSTOPped (silent, sockets open) and SIGKILLed for real.
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { startGrpcServer } from '../../../src/adapters/grpc/server.js';
import { RingNode } from '../../../src/cluster/ring-node.js';
import type { RingSeed } from '../../../src/ring/state.js';
import type { GossipTuning } from '../../../src/cluster/tuning.js';

export interface NodeConfig {
  readonly id: string;
  readonly port: number;
  readonly stateFile: string;
  readonly seed: RingSeed;
  readonly tls: { readonly ca: string; readonly cert: string; readonly key: string };
  readonly tuning: Partial<GossipTuning>;
}

export type NodeCommand =
  | { readonly op: 'flood'; readonly n: number; readonly prefix: string; readonly backend: string }
  | { readonly op: 'admin'; readonly backend: string; readonly state: 'none' | 'up' | 'down' }
  | { readonly op: 'stats' };

const config = JSON.parse(process.argv[2] ?? '{}') as NodeConfig;
const tls = { ca: readFileSync(config.tls.ca), cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) };
const log = pino({ level: process.env['MD_TEST_LOG'] ?? 'silent' }, pino.destination(2));
const node = new RingNode({ selfId: config.id, seed: config.seed, vnodes: 40, stateFile: config.stateFile, tls, log, tuning: config.tuning });
const server = await startGrpcServer({ host: '127.0.0.1', port: config.port }, [node.grpcService()], tls);
node.start();

async function run(cmd: NodeCommand): Promise<unknown> {
  switch (cmd.op) {
    case 'flood': {
      const started = Date.now();
      const writes = [];
      // Separate local changes in one burst: the links must batch them.
      // A loaded CI machine may need more than the admin default to ack 10,000 changes; the test checks batching, not speed.
      for (let i = 0; i < cmd.n; i++) writes.push(node.moveUser(`${cmd.prefix}${i}`, cmd.backend, 20_000));
      const outcomes = await Promise.all(writes);
      return { ms: Date.now() - started, notAcked: outcomes.flatMap((o) => o.notAcked), stats: node.stats() };
    }
    case 'admin':
      return node.setAdminState(cmd.backend, cmd.state);
    case 'stats':
      return { stats: node.stats(), live: [...node.live()].sort(), down: [...node.ring().down].sort() };
  }
}

process.on('message', (msg: { id: number; cmd: NodeCommand }) => {
  run(msg.cmd).then(
    (result) => process.send?.({ id: msg.id, result }),
    (err: unknown) => process.send?.({ id: msg.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
process.on('SIGTERM', () => {
  void node.close().then(() => server.close(200)).then(() => process.exit(0));
});
process.send?.({ ready: true });
