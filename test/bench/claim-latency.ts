// What the login claim (docs/ring-protocol.md) adds to a login on loopback:
// a ring of three directors on real slapd and Dovecot, N sequential IMAP
// logins of ring users through d1; prints the client-side login latency and
// the time each login spent in its claim (the session log's delayedMs: the
// wait for the peers' grants when nobody holds the user elsewhere).
// Usage: node --import tsx test/bench/claim-latency.ts [N]
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loginOnce } from '../integration/director/imap-support.js';
import { directorById, startRing, until } from '../integration/cluster/ring-support.js';

const n = Number(process.argv[2] ?? '200');
const dir = await mkdtemp(join(tmpdir(), 'md-claim-latency-'));
const ring = await startRing(dir);
try {
  const d1 = directorById(ring, 'd1');
  const users = ring.cluster.usersOfKind('ring');
  const first = users[0];
  if (first === undefined) throw new Error('no ring users');
  await until('d1 serves', 15_000, async () => ((await loginOnce(d1, first.name, first.password)).startsWith('OK ') ? true : undefined));
  const took: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = users[i % users.length] ?? first;
    const t = process.hrtime.bigint();
    const r = await loginOnce(d1, u.name, u.password);
    took.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (!r.startsWith('OK ')) throw new Error(`login ${i}: ${r}`);
  }
  await new Promise((r) => setTimeout(r, 500));
  const claimed: number[] = [];
  for (const line of (await readFile(d1.logFile, 'utf8')).split('\n')) {
    if (!line.includes('"session end"') || !line.includes('"route":"ring"')) continue;
    const e = JSON.parse(line) as { delayedMs?: number };
    claimed.push(e.delayedMs ?? 0);
  }
  const q = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0;
  const fmt = (xs: number[]): string => `n=${xs.length} median=${q(xs, 0.5).toFixed(1)} p90=${q(xs, 0.9).toFixed(1)} p99=${q(xs, 0.99).toFixed(1)} ms`;
  process.stdout.write(`login (connect, greeting, LOGIN, LOGOUT) through d1: ${fmt(took)}\n`);
  process.stdout.write(`of which the claim (delayedMs in d1's session log, whole ms): ${fmt(claimed.slice(-n))}\n`);
} finally {
  await ring.cluster.stop();
  await rm(dir, { recursive: true, force: true });
}
