/**
 * The LMTP rows of `npm run bench`: deliveries through each target's LMTP
 * port (the backend's own, Dovecot's lmtp_proxy, mail-director), one run at
 * a time with test/bench/lmtp-load.ts as the MTA, CPU and memory of the
 * proxy's process group from /proc. Method: docs/bench.md.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { cell, fmt, markdownTable, summarize, type Summary } from './common.js';
import type { LmtpJob, LmtpLoadResult, LmtpScenario } from './lmtp-load.js';
import { LoadProcess } from './load-process.js';
import { groupCpuMs, groupPssKb, groupRssKb } from './procfs.js';

export const LMTP_SCENARIOS: readonly LmtpScenario[] = ['deliver', 'stall'];
/** The message sizes of the issue: 1 KB and 1 MB. */
export const LMTP_SIZES = { '1k': 1024, '1m': 1024 * 1024 } as const;
export type LmtpSize = keyof typeof LMTP_SIZES;
/** Recipients per transaction: one, and five (one backend connection carries them all). */
export const LMTP_RECIPIENTS = ['1', '5'] as const;
export type LmtpRecipients = (typeof LMTP_RECIPIENTS)[number];

export interface LmtpTarget {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** The proxy's process group; undefined for the backend itself (direct). */
  readonly pgid: number | undefined;
}

export interface LmtpCase {
  readonly scenario: LmtpScenario;
  readonly size: number;
  readonly perMessage: number;
  /** deliver: persistent connections; stall: connections opened in parallel. */
  readonly concurrency: number;
}

export interface LmtpEnv {
  readonly recipients: readonly string[];
  /** stall: transactions held mid-DATA at once. */
  readonly stalled: number;
  readonly pinned: boolean;
  /**
   * Pin the target's process group (a restarted proxy is a new one). Processes
   * forked later (Dovecot's lmtp per connection) inherit it; pinning every group
   * before each run, as the login cases do, costs a taskset per process, and a
   * backend holding a hundred lmtp processes made that seconds per run.
   */
  pin(target: LmtpTarget): void;
  /** The target's CPU with no clients, ms per second. */
  idleCpuMsPerS(name: string): number | undefined;
}

export interface LmtpRep {
  readonly messages: number;
  readonly deliveries: number;
  readonly failedRecipients: number;
  readonly msgPerSec: number | null;
  readonly deliveriesPerSec: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly cpuMsPerMsg: number | null;
  readonly cpuMsPerMsgLessIdle: number | null;
  readonly rssKbPerTxn: number | null;
  readonly pssKbPerTxn: number | null;
  readonly held: number | null;
  readonly errorSamples: readonly string[];
}

const METRICS = ['msgPerSec', 'deliveriesPerSec', 'p50Ms', 'p99Ms', 'failedRecipients', 'cpuMsPerMsg', 'cpuMsPerMsgLessIdle', 'rssKbPerTxn', 'pssKbPerTxn'] as const;
type LmtpMetric = (typeof METRICS)[number];

const LABEL: Record<LmtpMetric, string> = {
  msgPerSec: 'messages/s',
  deliveriesPerSec: 'deliveries/s',
  p50Ms: 'p50 ms',
  p99Ms: 'p99 ms',
  failedRecipients: 'failed recipients',
  cpuMsPerMsg: 'CPU ms/message',
  cpuMsPerMsgLessIdle: 'CPU ms/message − idle',
  rssKbPerTxn: 'RSS KB/transaction',
  pssKbPerTxn: 'PSS KB/transaction',
};

export interface LmtpCaseOptions {
  readonly scenarios: readonly LmtpScenario[];
  readonly sizes: readonly LmtpSize[];
  readonly recipients: readonly LmtpRecipients[];
  readonly concurrency: number;
}

export function lmtpCases(o: LmtpCaseOptions): LmtpCase[] {
  const cases: LmtpCase[] = [];
  if (o.scenarios.includes('deliver')) {
    for (const size of o.sizes) for (const n of o.recipients) cases.push({ scenario: 'deliver', size: LMTP_SIZES[size], perMessage: Number(n), concurrency: o.concurrency });
  }
  // Memory per transaction in flight: the same transaction (one recipient) at each size.
  if (o.scenarios.includes('stall')) for (const size of o.sizes) cases.push({ scenario: 'stall', size: LMTP_SIZES[size], perMessage: 1, concurrency: 16 });
  return cases;
}

function sizeLabel(size: number): string {
  return size >= 1024 * 1024 ? `${size / (1024 * 1024)}MB` : `${size / 1024}KB`;
}

export function lmtpCaseLabel(c: LmtpCase): string {
  return c.scenario === 'deliver'
    ? `lmtp ${sizeLabel(c.size)} ×${c.perMessage} rcpt c=${c.concurrency}`
    : `lmtp stalled mid-DATA ${sizeLabel(c.size)} ×${c.perMessage} rcpt n=N`;
}

/** One run of one case against one target. */
export async function runLmtp(env: LmtpEnv, target: LmtpTarget, c: LmtpCase, durationMs: number): Promise<LmtpRep> {
  const job: LmtpJob = {
    scenario: c.scenario,
    host: target.host,
    port: target.port,
    recipients: env.recipients,
    perMessage: c.perMessage,
    size: c.size,
    concurrency: c.concurrency,
    durationMs,
    stalled: env.stalled,
    timeoutMs: 30_000,
  };
  env.pin(target);
  const load = new LoadProcess(job, env.pinned, 'test/bench/lmtp-load.ts');
  await load.next('ready', 60_000);
  const pgid = target.pgid;
  const cpu0 = pgid === undefined ? 0 : groupCpuMs(pgid);
  const rss0 = pgid === undefined ? 0 : groupRssKb(pgid);
  const pss0 = pgid === undefined ? 0 : groupPssKb(pgid);
  load.send('go');
  let rss1 = 0;
  let pss1 = 0;
  if (c.scenario === 'stall') {
    await load.next('holding', 300_000);
    // The message bytes are in the kernel's buffers when the client says so; let the proxy read and pass them on.
    await sleep(c.size > 64 * 1024 ? 2000 : 1000);
    rss1 = pgid === undefined ? 0 : groupRssKb(pgid);
    pss1 = pgid === undefined ? 0 : groupPssKb(pgid);
    load.send('release');
  }
  const r = (await load.next('result', durationMs + 300_000)) as unknown as LmtpLoadResult;
  const cpu1 = pgid === undefined ? 0 : groupCpuMs(pgid);
  await load.done();
  const proxied = pgid !== undefined;
  const deliver = c.scenario === 'deliver';
  const held = r.held ?? null;
  const idle = env.idleCpuMsPerS(target.name);
  const cpu = cpu1 - cpu0;
  const perSec = (n: number): number | null => (deliver && r.elapsedMs > 0 ? (n * 1000) / r.elapsedMs : null);
  return {
    messages: r.messages,
    deliveries: r.deliveries,
    failedRecipients: r.failedRecipients,
    msgPerSec: perSec(r.messages),
    deliveriesPerSec: perSec(r.deliveries),
    p50Ms: deliver ? r.p50Ms : null,
    p99Ms: deliver ? r.p99Ms : null,
    cpuMsPerMsg: proxied && deliver && r.messages > 0 ? cpu / r.messages : null,
    cpuMsPerMsgLessIdle: proxied && deliver && r.messages > 0 && idle !== undefined ? (cpu - (idle * r.elapsedMs) / 1000) / r.messages : null,
    rssKbPerTxn: proxied && !deliver && held !== null && held > 0 ? (rss1 - rss0) / held : null,
    pssKbPerTxn: proxied && !deliver && held !== null && held > 0 ? (pss1 - pss0) / held : null,
    held,
    errorSamples: r.errorSamples,
  };
}

export function lmtpRepLine(c: LmtpCase, rep: number, name: string, m: LmtpRep): string {
  const what =
    c.scenario === 'deliver'
      ? `${fmt(m.msgPerSec)} msg/s ${fmt(m.deliveriesPerSec)} deliveries/s cpu/msg ${fmt(m.cpuMsPerMsg)}`
      : `held ${m.held ?? 0} rss/txn ${fmt(m.rssKbPerTxn)} pss/txn ${fmt(m.pssKbPerTxn)}`;
  const failed = m.failedRecipients > 0 ? `  FAILED ${m.failedRecipients} recipient(s): ${m.errorSamples.join(' | ')}` : '';
  return `${lmtpCaseLabel(c)} rep ${rep + 1} ${name}: ${what}, ${m.deliveries} delivered${failed}\n`;
}

export interface LmtpCaseResult {
  readonly case: string;
  readonly spec: LmtpCase;
  readonly profile: string;
  readonly targets: Partial<Record<string, { target: string; reps: LmtpRep[]; summary: Record<LmtpMetric, Summary> }>>;
  readonly ratios: Record<string, number | null>;
}

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a === null || a === undefined || b === null || b === undefined || b === 0 ? null : a / b;
}

/** One case in one profile; `columns` maps a table column ("direct", "dovecot", "director", ...) to its target name. */
export function lmtpCaseResult(c: LmtpCase, profile: string, columns: ReadonlyArray<[string, string]>, reps: ReadonlyMap<string, LmtpRep[]>): LmtpCaseResult {
  const targets: LmtpCaseResult['targets'] = {};
  for (const [column, name] of columns) {
    const rs = reps.get(name);
    if (rs === undefined) continue;
    const summary = Object.fromEntries(METRICS.map((m) => [m, summarize(rs.map((r) => r[m]))])) as Record<LmtpMetric, Summary>;
    targets[column] = { target: name, reps: rs, summary };
  }
  const med = (t: string, m: LmtpMetric): number | null | undefined => targets[t]?.summary[m].median;
  const ratios: Record<string, number | null> = {};
  for (const m of ['cpuMsPerMsg', 'cpuMsPerMsgLessIdle', 'rssKbPerTxn', 'pssKbPerTxn', 'p99Ms'] as const) ratios[`director/dovecot ${m}`] = ratio(med('director', m), med('dovecot', m));
  for (const m of ['msgPerSec', 'deliveriesPerSec'] as const) {
    ratios[`director/direct ${m}`] = ratio(med('director', m), med('direct', m));
    ratios[`dovecot/direct ${m}`] = ratio(med('dovecot', m), med('direct', m));
  }
  return { case: `${lmtpCaseLabel(c)} ${profile}`, spec: c, profile, targets, ratios };
}

function metricsFor(c: LmtpCase): LmtpMetric[] {
  return c.scenario === 'deliver'
    ? ['msgPerSec', 'deliveriesPerSec', 'p50Ms', 'p99Ms', 'failedRecipients', 'cpuMsPerMsg', 'cpuMsPerMsgLessIdle']
    : ['rssKbPerTxn', 'pssKbPerTxn', 'failedRecipients'];
}

function ratioFor(m: LmtpMetric, r: LmtpCaseResult): string {
  if (m === 'msgPerSec' || m === 'deliveriesPerSec') {
    const v = r.ratios[`director/direct ${m}`];
    return v === undefined || v === null ? '' : `${fmt(v)}× direct (dovecot ${fmt(r.ratios[`dovecot/direct ${m}`])}× direct)`;
  }
  const v = r.ratios[`director/dovecot ${m}`];
  return v === undefined || v === null ? '' : `${fmt(v)}×`;
}

export function renderLmtpTable(results: readonly LmtpCaseResult[], columns: readonly string[], reps: number): string {
  const header = ['case', 'metric', ...columns, 'director ÷ dovecot (rate: ÷ direct)'];
  const rows: string[][] = [];
  for (const r of results) {
    for (const m of metricsFor(r.spec)) rows.push([r.case, LABEL[m], ...columns.map((t) => cell(r.targets[t]?.summary[m], reps)), ratioFor(m, r)]);
  }
  return markdownTable(header, rows);
}
