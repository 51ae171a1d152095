/** CPU time and resident memory of a process group, from /proc; CPU pinning with taskset. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { groupMembers } from '../harness/process.js';

const TICKS_PER_SECOND = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * utime+stime of every live member of process group `pgid`, plus their
 * reaped children (cutime+cstime): Dovecot's master reaps its own, and a
 * multi-worker director's primary reaps a worker that died. Workers forked
 * by node's cluster module stay in the primary's group, so they are counted.
 */
export function groupCpuMs(pgid: number): number {
  let ms = 0;
  for (const v of memberCpuMs(pgid).values()) ms += v;
  return ms;
}

/** The same CPU time per live member of the group (pid -> ms), e.g. a director's primary vs its workers. */
export function memberCpuMs(pgid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of groupMembers(pgid)) {
    const text = readOr(`/proc/${pid}/stat`);
    if (text === undefined) continue;
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // Fields after the name start at field 3 (state): utime is field 14.
    let ticks = 0;
    for (const i of [11, 12, 13, 14]) ticks += Number(f[i] ?? 0);
    out.set(pid, (ticks * 1000) / TICKS_PER_SECOND);
  }
  return out;
}

/** Sum of VmRSS (KiB) over the group's live members. */
export function groupRssKb(pgid: number): number {
  let kb = 0;
  for (const pid of groupMembers(pgid)) {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readOr(`/proc/${pid}/status`) ?? '');
    if (m) kb += Number(m[1]);
  }
  return kb;
}

/**
 * Sum of Pss (KiB, /proc/PID/smaps_rollup) over the group: each shared page
 * counted once across the processes that map it. VmRSS sums count a
 * library mapped by N forked processes N times, which overstates a
 * process-per-connection server (Dovecot's lmtp) against a single process.
 */
export function groupPssKb(pgid: number): number {
  let kb = 0;
  for (const pid of groupMembers(pgid)) {
    const m = /^Pss:\s+(\d+) kB/m.exec(readOr(`/proc/${pid}/smaps_rollup`) ?? '');
    if (m) kb += Number(m[1]);
  }
  return kb;
}

export const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((p) => existsSync(p));

/** Pin every thread of every member of the group to `cpu`; processes forked later inherit it. */
export function pinGroup(pgid: number, cpu: number): void {
  if (TASKSET === undefined) return;
  for (const pid of groupMembers(pgid)) {
    try {
      execFileSync(TASKSET, ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
    } catch {
      // exited meanwhile
    }
  }
}
