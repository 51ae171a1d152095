// What Node's reads cost a relay per MB, and what reading into one reused
// buffer (net.connect's `onread`) saves: a source sends 1 GiB through a bare
// forwarder to a sink; the forwarder's own CPU per MB is printed for
//   data:   'data' events (a fresh buffer per read, as src/relay does today)
//   onread: every read into one buffer, handed to the write queue and
//           replaced only when a write could not finish at once.
// Not part of the tests. Run: node --import tsx test/bench/shared-read.ts
// (pin it, e.g. `taskset -c 0`, to compare with docs/node-floor.md).
import { fork } from 'node:child_process';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

type Variant = 'data' | 'onread';
const TOTAL_BYTES = 1024 * 1024 * 1024;
const READ_BUFFER = 65_536;
const self = fileURLToPath(import.meta.url);

function portOf(server: ReturnType<typeof createServer>): number {
  return (server.address() as AddressInfo).port;
}

function source(): void {
  const server = createServer((s) => {
    const chunk = Buffer.alloc(16_384, 97);
    let sent = 0;
    const pump = (): void => {
      while (sent < TOTAL_BYTES) {
        sent += chunk.length;
        if (!s.write(chunk)) {
          s.once('drain', pump);
          return;
        }
      }
      s.end();
    };
    pump();
  });
  server.listen(0, '127.0.0.1', () => process.send?.(portOf(server)));
}

function forwarder(variant: Variant, sourcePort: number): void {
  const server = createServer((client: Socket) => {
    let shared = Buffer.allocUnsafe(READ_BUFFER);
    const backend: Socket =
      variant === 'onread'
        ? connect({
            port: sourcePort,
            host: '127.0.0.1',
            onread: {
              buffer: () => shared,
              callback: (n: number, buf: Uint8Array): boolean => {
                const ok = client.write(buf.subarray(0, n));
                // Still queued: the write owns this buffer now; read into a new one.
                if (client.writableLength > 0) shared = Buffer.allocUnsafe(READ_BUFFER);
                if (!ok) {
                  backend.pause();
                  client.once('drain', () => backend.resume());
                }
                return true;
              },
            },
          })
        : connect({ port: sourcePort, host: '127.0.0.1' });
    if (variant === 'data') {
      backend.on('data', (chunk: Buffer) => {
        if (!client.write(chunk)) {
          backend.pause();
          client.once('drain', () => backend.resume());
        }
      });
    }
    backend.on('end', () => client.end());
    client.on('close', () => {
      const u = process.cpuUsage();
      process.send?.({ cpuMs: (u.user + u.system) / 1000 });
    });
  });
  server.listen(0, '127.0.0.1', () => process.send?.(portOf(server)));
}

function firstMessage<T>(child: ReturnType<typeof fork>): Promise<T> {
  return new Promise((resolve) => child.once('message', (m) => resolve(m as T)));
}

async function compare(): Promise<void> {
  for (const variant of ['data', 'onread', 'data', 'onread'] as const) {
    const src = fork(self, ['source'], { execArgv: process.execArgv });
    const sourcePort = await firstMessage<number>(src);
    const fwd = fork(self, ['forwarder', variant, String(sourcePort)], { execArgv: process.execArgv });
    const forwarderPort = await firstMessage<number>(fwd);
    const done = firstMessage<{ cpuMs: number }>(fwd);
    const sink = connect(forwarderPort, '127.0.0.1');
    sink.on('data', () => undefined);
    sink.on('end', () => sink.destroy());
    const { cpuMs } = await done;
    process.stdout.write(`${variant.padEnd(7)} forwarder CPU ${(cpuMs / (TOTAL_BYTES / 1e6)).toFixed(3)} ms per MB\n`);
    src.kill();
    fwd.kill();
  }
}

const [role, variant, port] = process.argv.slice(2);
if (role === 'source') source();
else if (role === 'forwarder') forwarder(variant === 'onread' ? 'onread' : 'data', Number(port));
else await compare();
