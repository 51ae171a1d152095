/**
 * LMTP load generator, run as its own process by bench.ts (so its CPU is
 * not the proxy's). Reads one job as JSON from argv[2]; talks over
 * stdin/stdout lines as load.ts does:
 *   -> {"type":"ready"}          connections open and greeted (deliver)
 *   <- go
 *   -> {"type":"holding",...}    stall only: N transactions are mid-DATA
 *   <- release
 *   -> {"type":"result",...}     then exits
 * deliver: `concurrency` persistent connections run transactions back to
 * back for `durationMs`. stall: `stalled` connections each send MAIL,
 * RCPTs, DATA and the whole message but its end line, and wait; on release
 * they finish, so the stalled transactions' deliveries are counted too.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { LmtpClient, messageText, type OpenTransaction, type Outcome } from './lmtp-client.js';
import { Commands, emit, Stats } from './load-io.js';
import type { LoadResult } from './load.js';
import type { ConnectOptions } from './wire.js';

export type LmtpScenario = 'deliver' | 'stall';

export interface LmtpJob {
  readonly scenario: LmtpScenario;
  readonly host: string;
  readonly port: number;
  /** Recipient addresses, dealt out in turn. */
  readonly recipients: readonly string[];
  /** Recipients per transaction (distinct addresses). */
  readonly perMessage: number;
  /** Message size in bytes. */
  readonly size: number;
  readonly concurrency: number;
  readonly durationMs: number;
  /** stall: transactions held mid-DATA at once. */
  readonly stalled: number;
  readonly timeoutMs: number;
}

export interface LmtpLoadResult extends LoadResult {
  /** Transactions every recipient of which got 250 (`ops` is the same count, with latencies). */
  readonly messages: number;
  /** Recipients answered 250 after the message. */
  readonly deliveries: number;
  /** Recipients not delivered (refused at RCPT, or not 250 after DATA, or lost with a connection). */
  readonly failedRecipients: number;
}

const SENDER = 'bench@example.org';

class Tally {
  deliveries = 0;
  failedRecipients = 0;

  count(stats: Stats, o: Outcome, started: number): void {
    this.deliveries += o.delivered;
    this.failedRecipients += o.recipients - o.delivered;
    if (o.failure !== undefined) stats.error(new Error(o.failure));
    else stats.record(performance.now() - started);
  }

  lost(stats: Stats, recipients: number, err: unknown): void {
    this.failedRecipients += recipients;
    stats.error(err);
  }
}

async function run(job: LmtpJob): Promise<void> {
  const commands = new Commands();
  const conn: ConnectOptions = { host: job.host, port: job.port, tls: false, timeoutMs: job.timeoutMs };
  if (job.recipients.length < job.perMessage) throw new Error(`lmtp load: ${job.recipients.length} recipients, ${job.perMessage} per message`);
  const text = messageText(job.size);
  const stats = new Stats();
  const tally = new Tally();
  let next = 0;
  const recipients = (): string[] => Array.from({ length: job.perMessage }, () => job.recipients[next++ % job.recipients.length] as string);

  if (job.scenario === 'deliver') {
    const clients = await Promise.all(Array.from({ length: job.concurrency }, () => LmtpClient.open(conn)));
    emit({ type: 'ready' });
    await commands.next('go');
    const start = performance.now();
    const end = start + job.durationMs;
    await Promise.all(
      clients.map(async (first) => {
        let client: LmtpClient | undefined = first;
        while (performance.now() < end) {
          const t0 = performance.now();
          const rcpts = recipients();
          try {
            client ??= await LmtpClient.open(conn);
            tally.count(stats, await client.deliver(SENDER, rcpts, text), t0);
          } catch (err) {
            // The connection is gone (or never came): its transaction's recipients are lost; open a new one.
            tally.lost(stats, rcpts.length, err);
            client?.close();
            client = undefined;
            await sleep(10);
          }
        }
        await client?.quit();
      }),
    );
    emit(result(stats, tally, performance.now() - start));
    return;
  }

  // stall
  emit({ type: 'ready' });
  await commands.next('go');
  const start = performance.now();
  const held: Array<{ client: LmtpClient; open: OpenTransaction; t0: number }> = [];
  let todo = job.stalled;
  const opener = async (): Promise<void> => {
    while (todo > 0) {
      todo--;
      const t0 = performance.now();
      const rcpts = recipients();
      let client: LmtpClient | undefined;
      try {
        client = await LmtpClient.open(conn);
        const open = await client.begin(SENDER, rcpts);
        if ('delivered' in open) {
          tally.count(stats, open, t0);
          await client.quit();
          continue;
        }
        await client.send(text);
        held.push({ client, open, t0 });
      } catch (err) {
        client?.close();
        tally.lost(stats, rcpts.length, err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, job.concurrency) }, opener));
  const openMs = performance.now() - start;
  emit({ type: 'holding', held: held.length, errors: stats.errors });
  await commands.next('release');
  await Promise.all(
    held.map(async ({ client, open, t0 }) => {
      try {
        tally.count(stats, await client.end(open), t0);
        await client.quit();
      } catch (err) {
        client.close();
        tally.lost(stats, open.recipients, err);
      }
    }),
  );
  emit(result(stats, tally, performance.now() - start, { held: held.length, openMs }));
}

function result(stats: Stats, tally: Tally, elapsedMs: number, extra: Partial<LoadResult> = {}): LmtpLoadResult {
  const r = stats.result(elapsedMs, extra);
  return { ...r, messages: r.ops, deliveries: tally.deliveries, failedRecipients: tally.failedRecipients };
}

const raw = process.argv[2];
if (raw === undefined) {
  process.stderr.write('usage: lmtp-load.ts JOB_JSON\n');
  process.exit(2);
}
run(JSON.parse(raw) as LmtpJob).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`lmtp load: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
