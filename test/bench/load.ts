/**
 * Load generator, run as its own process by bench.ts (so its CPU is not the
 * proxy's). Reads one job as JSON from argv[2]; talks over stdin/stdout lines:
 *   -> {"type":"ready"}          setup done (bulk: connections logged in)
 *   <- go
 *   -> {"type":"holding",...}    idle only: N sessions are idling
 *   <- release
 *   -> {"type":"result",...}     then exits
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { MailClient, type Credentials, type Protocol } from './protocol.js';
import { WireError, type ConnectOptions } from './wire.js';
import { Commands, emit, Stats } from './load-io.js';

export type Scenario = 'login' | 'session' | 'bulk' | 'idle';

export interface LoadJob {
  readonly scenario: Scenario;
  readonly protocol: Protocol;
  readonly tls: boolean;
  readonly host: string;
  readonly port: number;
  readonly caFile: string;
  readonly users: readonly Credentials[];
  /** Whose INBOX holds the ~1 MB message as message 1 (bulk). */
  readonly bulkUser: Credentials;
  readonly concurrency: number;
  readonly durationMs: number;
  readonly idleConnections: number;
  readonly timeoutMs: number;
}

export interface LoadResult {
  readonly type: 'result';
  readonly ops: number;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  readonly elapsedMs: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly meanMs: number | null;
  /** Bytes the client received during the measured window. */
  readonly bytes: number;
  /** Idle: sessions that reached IDLE, and how long opening them took. */
  readonly held?: number;
  readonly openMs?: number;
}

async function run(job: LoadJob): Promise<void> {
  const commands = new Commands();
  const ca = readFileSync(job.caFile);
  const conn: ConnectOptions = { host: job.host, port: job.port, tls: job.tls, ca, timeoutMs: job.timeoutMs };
  const stats = new Stats();
  let nextUser = 0;
  if (job.users.length === 0) throw new WireError('load: no users in the job');
  const user = (): Credentials => job.users[nextUser++ % job.users.length] as Credentials;

  if (job.scenario === 'login' || job.scenario === 'session') {
    emit({ type: 'ready' });
    await commands.next('go');
    const start = performance.now();
    const end = start + job.durationMs;
    const worker = async (): Promise<void> => {
      while (performance.now() < end) {
        const t0 = performance.now();
        let client: MailClient | undefined;
        try {
          client = await MailClient.open(job.protocol, conn);
          await client.login(user());
          if (job.scenario === 'session') await client.browse();
          await client.logout();
          stats.record(performance.now() - t0);
        } catch (err) {
          client?.close();
          stats.error(err);
          await sleep(10);
        }
      }
    };
    await Promise.all(Array.from({ length: job.concurrency }, worker));
    emit(stats.result(performance.now() - start));
    return;
  }

  if (job.scenario === 'bulk') {
    const clients = await Promise.all(
      Array.from({ length: job.concurrency }, async () => {
        const c = await MailClient.open(job.protocol, conn);
        await c.login(job.bulkUser);
        await c.open();
        // One fetch before measuring: the backend's caches are warm for every target alike.
        await c.fetchFirst();
        return c;
      }),
    );
    emit({ type: 'ready' });
    await commands.next('go');
    const start = performance.now();
    const end = start + job.durationMs;
    await Promise.all(
      clients.map(async (c) => {
        while (performance.now() < end) {
          const t0 = performance.now();
          const before = c.bytesRead;
          try {
            await c.fetchFirst();
            stats.bytes += c.bytesRead - before;
            stats.record(performance.now() - t0);
          } catch (err) {
            stats.error(err);
            return;
          }
        }
      }),
    );
    emit(stats.result(performance.now() - start));
    await Promise.all(clients.map((c) => c.logout().catch(() => c.close())));
    return;
  }

  // idle
  emit({ type: 'ready' });
  await commands.next('go');
  const start = performance.now();
  const held: MailClient[] = [];
  let todo = job.idleConnections;
  const opener = async (): Promise<void> => {
    while (todo > 0) {
      todo--;
      let client: MailClient | undefined;
      try {
        client = await MailClient.open(job.protocol, conn);
        await client.login(user());
        await client.idle();
        held.push(client);
      } catch (err) {
        client?.close();
        stats.error(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, job.concurrency) }, opener));
  const openMs = performance.now() - start;
  emit({ type: 'holding', held: held.length, errors: stats.errors });
  await commands.next('release');
  for (const c of held) c.close();
  emit(stats.result(performance.now() - start, { held: held.length, openMs }));
}

const raw = process.argv[2];
if (raw === undefined) {
  process.stderr.write('usage: load.ts JOB_JSON\n');
  process.exit(2);
}
run(JSON.parse(raw) as LoadJob).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`load: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
