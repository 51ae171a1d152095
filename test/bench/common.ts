/**
 * What scripts/bench (bench.ts) and scripts/bench-floor (floor-bench.ts)
 * share: the mail they deliver, the auth-cache settings, warm-up and idle
 * sampling times, pinning, the order of targets, and how a series of runs
 * is summed up and printed.
 */
import { cpus } from 'node:os';
import { startCluster, type Cluster, type ClusterUser } from '../harness/cluster.js';
import { pinGroup, TASKSET } from './procfs.js';
import { startRelaySink } from './relay-sink.js';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** ~1 MB message (1,048,576 bytes with headers): 76-character lines, so every proxy relays the same bytes. */
export function bigMessage(): string {
  const head = 'From: bench@example.org\r\nTo: bench@example.org\r\nSubject: bench 1 MB\r\nMessage-ID: <bench-1mb@example.org>\r\n\r\n';
  const line = `${'0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'.repeat(2).slice(0, 76)}\r\n`;
  const lines = Math.floor((1024 * 1024 - head.length) / line.length);
  return head + line.repeat(lines);
}

export function smallMessage(user: string): string {
  return `From: bench@example.org\r\nTo: ${user}@example.org\r\nSubject: hello\r\n\r\nA small message for the session scenario.\r\n`;
}

export interface BenchCluster {
  readonly cluster: Cluster;
  readonly backend: Cluster['backends'][number];
  /** Users placed by their LDAP host attribute on the one backend. */
  readonly users: readonly ClusterUser[];
  /** Message 1 of this user's INBOX is the 1 MB one. */
  readonly bulkUser: ClusterUser;
}

/**
 * slapd and one Dovecot backend with `users` users; everyone has a small message (FETCH 1:*, STAT), the bulk user the big one first.
 * The backend's submission service relays to a sink (test/bench/relay-sink.ts), stopped with the cluster.
 */
export async function startBenchCluster(dir: string, users: number): Promise<BenchCluster> {
  const relay = await startRelaySink('127.0.0.1');
  const started = await startCluster({ dir, backends: 1, directors: 0, users, logLevel: 'warn', relay }).catch(async (err: unknown) => {
    await relay.stop();
    throw err;
  });
  const cluster: Cluster = {
    ...started,
    stop: async () => {
      await started.stop();
      await relay.stop();
    },
  };
  const backend = cluster.backends[0];
  if (backend === undefined) throw new UsageError('no backend');
  const hostUsers = cluster.usersOfKind('host');
  const bulkUser = hostUsers[0];
  if (bulkUser === undefined) throw new UsageError('--users too small: no host users');
  await backend.deliver(bulkUser.name, bigMessage());
  for (const u of hostUsers) await backend.deliver(u.name, smallMessage(u.name));
  return { cluster, backend, users: hostUsers, bulkUser };
}

/** The auth cache both proxies get (mail-director in entries, Dovecot in KiB of the same count). */
export const CACHE = { size: 10_000, ttlSeconds: 60, negativeTtlSeconds: 10 };
/** How long a proxy with no clients is watched for its background CPU. */
export const IDLE_SAMPLE_MS = 5000;
/**
 * Load per target before the measured runs. 1 s was too short: V8 had not
 * yet optimized the login path, and the first repetition of a Node target
 * cost up to twice the later ones (docs/bench.md); a director serves for days.
 */
export const WARM_UP_MS = 4000;

/** Pinning needs taskset and two cores. */
export function canPin(wanted: boolean): boolean {
  return wanted && TASKSET !== undefined && cpus().length >= 2;
}

/** The proxies' process groups on core 0; LDAP, backends, the load and this orchestrator on core 1. */
export function pinProxies(proxyGroups: Iterable<number | undefined>, cluster: Cluster): void {
  for (const pgid of proxyGroups) if (pgid !== undefined) pinGroup(pgid, 0);
  pinGroup(cluster.slapd.pid, 1);
  for (const b of cluster.backends) pinGroup(b.pid, 1);
  pinGroup(process.pid, 1);
}

/**
 * The order of targets in repetition `rep`: each repetition starts one
 * further along. Targets run interleaved so drift on the shared machine
 * hits all alike; rotating also spreads a position effect: in an A/B of two
 * builds under the same load, whichever ran first in a repetition used
 * 5–18 % more CPU per login (docs/bench.md, "Fourth session").
 */
export function rotated<T>(items: readonly T[], rep: number): T[] {
  const k = items.length === 0 ? 0 : rep % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

export interface Summary {
  readonly median: number | null;
  readonly min: number | null;
  readonly max: number | null;
}

export function summarize(values: ReadonlyArray<number | null>): Summary {
  const v = values.filter((x): x is number => x !== null).sort((a, b) => a - b);
  if (v.length === 0) return { median: null, min: null, max: null };
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 === 1 ? (v[mid] ?? 0) : ((v[mid - 1] ?? 0) + (v[mid] ?? 0)) / 2;
  return { median, min: v[0] ?? null, max: v[v.length - 1] ?? null };
}

/** Three significant figures or so, "n/a" for no value. */
export function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined) return 'n/a';
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toFixed(3);
}

/** "median [min–max]" when there were several runs. */
export function cell(s: Summary | undefined, reps: number): string {
  if (s === undefined || s.median === null) return 'n/a';
  return reps > 1 ? `${fmt(s.median)} [${fmt(s.min)}–${fmt(s.max)}]` : fmt(s.median);
}

/** A Markdown table, every column padded to its widest cell. */
export function markdownTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]): string => `| ${row.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** A bench's command line: `--name value`, `--name=value` or a bare `--flag`. */
export class BenchArgs {
  readonly #values = new Map<string, string>();
  readonly #flags = new Set<string>();

  /** `flagNames` take no value; every other `--name` must be one of `valueNames`. */
  constructor(argv: readonly string[], flagNames: readonly string[], valueNames: readonly string[], usage: string) {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i] ?? '';
      const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
      if (!m) throw new UsageError(`unknown argument ${a}\n${usage}`);
      const key = m[1] ?? '';
      if (flagNames.includes(key) || key === 'help') {
        this.#flags.add(key);
        continue;
      }
      const v = m[2] ?? argv[++i];
      if (v === undefined) throw new UsageError(`--${key} needs a value\n${usage}`);
      this.#values.set(key, v);
    }
    if (this.#flags.has('help')) throw new UsageError(usage);
    for (const k of this.#values.keys()) if (!valueNames.includes(k)) throw new UsageError(`unknown option --${k}\n${usage}`);
  }

  flag(name: string): boolean {
    return this.#flags.has(name);
  }

  value(name: string): string | undefined {
    return this.#values.get(name);
  }

  num(name: string, def: number, min: number): number {
    const raw = this.#values.get(name);
    if (raw === undefined) return def;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number >= ${min}`);
    return n;
  }

  /** A comma-separated subset of `all` (`def` when not given). */
  list<T extends string>(name: string, all: readonly T[], def: readonly T[] = all): T[] {
    const raw = this.#values.get(name);
    if (raw === undefined) return [...def];
    const items = raw.split(',').map((s) => s.trim());
    for (const item of items) if (!all.includes(item as T)) throw new UsageError(`--${name}: ${item} is not one of ${all.join(',')}`);
    return items as T[];
  }
}
