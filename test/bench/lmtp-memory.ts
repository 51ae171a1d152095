/**
 * Memory per LMTP transaction held mid-DATA, after a full GC, as the
 * message grows (issue: "memory per transaction flat as the message
 * grows"). The bench's stall rows (bench.ts --lmtp stall) read RSS without
 * a GC, so the garbage of the bytes just relayed is in them; here the
 * director runs with --expose-gc and test/bench/gc-hook.mjs collects on
 * SIGUSR2 before each reading. One director (info logs), one Dovecot LMTP
 * backend, host users; N transactions each send MAIL, RCPT, DATA and the
 * whole message but its end line, and wait.
 *   node --import tsx test/bench/lmtp-memory.ts [--held 100] [--sizes 1k,100k,1m,5m]
 * Not part of the test suite; figures in docs/bench.md.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCluster } from '../harness/cluster.js';
import { LmtpClient, messageText, type OpenTransaction } from './lmtp-client.js';

const { values } = parseArgs({ options: { held: { type: 'string', default: '100' }, sizes: { type: 'string', default: '1k,100k,1m,5m' } } });
const HELD = Number(values.held);
const UNITS: Record<string, number> = { k: 1_000, m: 1_000_000 };
const SIZES = values.sizes.split(',').map((s) => {
  const m = /^(\d+)([km]?)$/.exec(s.trim());
  if (m === null) throw new Error(`--sizes: ${s} is not a size like 1k or 5m`);
  return { label: s.trim(), bytes: Number(m[1]) * (UNITS[m[2] ?? ''] ?? 1) };
});

interface Usage {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

const dir = await mkdtemp(join(tmpdir(), 'md-lmtp-memory-'));
const gcOut = join(dir, 'gc.jsonl');
await writeFile(gcOut, '');
const saved = process.env['NODE_OPTIONS'];
process.env['NODE_OPTIONS'] = `${saved ?? ''} --expose-gc --import ${join(import.meta.dirname, 'gc-hook.mjs')}`.trim();
process.env['MD_GC_OUT'] = gcOut;
const cluster = await startCluster({ dir, directors: 1, backends: 1, users: 20, logLevel: 'info' });
if (saved === undefined) delete process.env['NODE_OPTIONS'];
else process.env['NODE_OPTIONS'] = saved;
try {
  const director = cluster.directors[0];
  const address = director?.address('lmtp');
  if (director === undefined || address === null || address === undefined) throw new Error('no LMTP listener');
  const [host = '', port = ''] = address.split(':');
  const conn = { host, port: Number(port), tls: false, timeoutMs: 60_000 };
  const users = cluster.usersOfKind('host').map((u) => `${u.name}@example.org`);
  const rssKb = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${director.pid}/status`, 'utf8'))?.[1] ?? 0);

  const collected = async (): Promise<Usage> => {
    const before = (await readFile(gcOut, 'utf8')).split('\n').filter(Boolean).length;
    process.kill(director.pid, 'SIGUSR2');
    for (let i = 0; i < 100; i++) {
      const lines = (await readFile(gcOut, 'utf8')).split('\n').filter(Boolean);
      if (lines.length > before) return JSON.parse(lines.at(-1) ?? '{}') as Usage;
      await sleep(50);
    }
    throw new Error('the director did not answer SIGUSR2 (gc-hook.mjs not loaded?)');
  };

  process.stdout.write(`LMTP transactions held mid-DATA through one director, ${HELD} at a time; per transaction, after a full GC:\n`);
  process.stdout.write('size      rss KiB   external KiB   heap KiB   (rss without GC KiB)\n');
  for (const size of SIZES) {
    const text = messageText(size.bytes);
    for (let i = 0; i < 3; i++) {
      const c = await LmtpClient.open(conn);
      await c.deliver('bench@example.org', [users[i % users.length] ?? ''], text);
      await c.quit();
    }
    await sleep(2000);
    await collected();
    const base = await collected();
    const rss0 = rssKb();
    const held: Array<{ client: LmtpClient; open: OpenTransaction }> = [];
    for (let i = 0; i < HELD; i++) {
      const client = await LmtpClient.open(conn);
      const open = await client.begin('bench@example.org', [users[i % users.length] ?? '']);
      if ('delivered' in open) throw new Error(`RCPT refused: ${JSON.stringify(open)}`);
      await client.send(text);
      held.push({ client, open });
    }
    // The last bytes may still be on their way to the backend: let them settle.
    await sleep(4000);
    const rss1 = rssKb();
    const now = await collected();
    const per = (a: number, b: number): string => ((b - a) / HELD / 1024).toFixed(1).padStart(12);
    process.stdout.write(`${size.label.padEnd(6)} ${per(base.rss, now.rss)} ${per(base.external, now.external)} ${per(base.heapUsed, now.heapUsed)}   ${(((rss1 - rss0) / HELD)).toFixed(1).padStart(12)}\n`);
    await Promise.all(
      held.map(async ({ client, open }) => {
        await client.end(open);
        await client.quit();
      }),
    );
  }
} finally {
  await cluster.stop();
  await rm(dir, { recursive: true, force: true });
}
