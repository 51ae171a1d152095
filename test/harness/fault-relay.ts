import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay that injects network faults between two processes: it accepts
 * on `host` (a free port), connects each client to the target, and passes
 * bytes both ways, unless told to:
 *
 * - `stall('forward' | 'backward' | 'both')`: stop passing bytes that way
 *   (client→target is forward). The connection stays open and the bytes
 *   wait, as TCP's would behind a link that lost its packets; `heal()`
 *   lets them through in order. A new connection made meanwhile waits too.
 * - `delay(ms)`: every chunk arrives `ms` later, in order.
 * - `reset()`: close every connection now (both ends see the close).
 *
 * The target may be set after the relay is listening (`setTarget`), so a
 * relay's address can go into a config before the target has its port.
 */
export interface FaultRelay {
  readonly host: string;
  readonly port: number;
  /** host:port to dial instead of the target. */
  readonly address: string;
  setTarget(host: string, port: number): void;
  stall(direction: RelayDirection): void;
  delay(ms: number): void;
  /** Pass everything again, without delay; stalled bytes go on in order. */
  heal(): void;
  reset(): void;
  /** Open connections, and bytes passed each way so far. */
  stats(): { connections: number; forwardBytes: number; backwardBytes: number; accepted: number };
  close(): Promise<void>;
}

export type RelayDirection = 'forward' | 'backward' | 'both';

/** One way of one connection: from `source` to `sink`, through a queue that stalls and delays. */
class Pipe {
  readonly #source: Socket;
  readonly #sink: Socket;
  readonly #queue: Array<{ chunk: Buffer; due: number }> = [];
  readonly #count: (n: number) => void;
  #stalled = false;
  #delayMs = 0;
  #timer: NodeJS.Timeout | undefined;
  #sinkBlocked = false;

  constructor(source: Socket, sink: Socket, count: (n: number) => void) {
    this.#source = source;
    this.#sink = sink;
    this.#count = count;
    source.on('data', (chunk: Buffer) => {
      this.#queue.push({ chunk, due: Date.now() + this.#delayMs });
      this.#pump();
    });
    sink.on('drain', () => {
      this.#sinkBlocked = false;
      this.#pump();
    });
  }

  set(stalled: boolean, delayMs: number): void {
    this.#stalled = stalled;
    this.#delayMs = delayMs;
    this.#pump();
  }

  #pump(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    while (this.#queue.length > 0 && !this.#stalled && !this.#sinkBlocked) {
      const head = this.#queue[0];
      if (head === undefined) break;
      const wait = head.due - Date.now();
      if (wait > 0) {
        this.#timer = setTimeout(() => this.#pump(), wait);
        break;
      }
      this.#queue.shift();
      if (this.#sink.destroyed) return;
      this.#count(head.chunk.length);
      if (!this.#sink.write(head.chunk)) this.#sinkBlocked = true;
    }
    // Back-pressure: a stalled or slow way stops reading, as a full TCP window would.
    if (this.#stalled || this.#sinkBlocked || this.#queue.length > 64) this.#source.pause();
    else this.#source.resume();
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#queue.length = 0;
  }
}

interface Connection {
  readonly client: Socket;
  readonly upstream: Socket;
  readonly forward: Pipe;
  readonly backward: Pipe;
}

export async function startFaultRelay(opts: { host?: string; target?: { host: string; port: number } } = {}): Promise<FaultRelay> {
  const host = opts.host ?? '127.0.0.1';
  let target = opts.target;
  const connections = new Set<Connection>();
  let forwardStalled = false;
  let backwardStalled = false;
  let delayMs = 0;
  let forwardBytes = 0;
  let backwardBytes = 0;
  let accepted = 0;

  const apply = (c: Connection): void => {
    c.forward.set(forwardStalled, delayMs);
    c.backward.set(backwardStalled, delayMs);
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    accepted += 1;
    if (target === undefined) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: target.host, port: target.port });
    upstream.pause();
    const conn: Connection = {
      client,
      upstream,
      forward: new Pipe(client, upstream, (n) => (forwardBytes += n)),
      backward: new Pipe(upstream, client, (n) => (backwardBytes += n)),
    };
    connections.add(conn);
    const end = (): void => {
      if (!connections.delete(conn)) return;
      conn.forward.stop();
      conn.backward.stop();
      client.destroy();
      upstream.destroy();
    };
    // Either side gone: the other is closed too, so nobody waits on a dead half.
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
    }
    apply(conn);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => resolve());
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('fault relay: no port');
  const port = addr.port;

  const applyAll = (): void => {
    for (const c of connections) apply(c);
  };

  return {
    host,
    port,
    address: `${host}:${port}`,
    setTarget: (h, p) => {
      target = { host: h, port: p };
    },
    stall: (direction) => {
      if (direction !== 'backward') forwardStalled = true;
      if (direction !== 'forward') backwardStalled = true;
      applyAll();
    },
    delay: (ms) => {
      delayMs = Math.max(0, ms);
      applyAll();
    },
    heal: () => {
      forwardStalled = false;
      backwardStalled = false;
      delayMs = 0;
      applyAll();
    },
    reset: () => {
      for (const c of [...connections]) {
        c.client.destroy();
        c.upstream.destroy();
      }
    },
    stats: () => ({ connections: connections.size, forwardBytes, backwardBytes, accepted }),
    close: async () => {
      for (const c of [...connections]) {
        c.client.destroy();
        c.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
