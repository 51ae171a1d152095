// I1 checker over Dovecot backend logs: a user must never have sessions on
// two backends at the same instant. Pure, so it can be checked on its own.
import type { LoginEvent } from '../harness/dovecot.js';

export interface Interval {
  readonly user: string;
  readonly backend: string;
  readonly session: string;
  readonly protocol: string;
  /** Epoch ms with microsecond fraction. */
  readonly start: number;
  readonly end: number;
  /** How the end is known: a logout line, the recorded kill of its backend, or the end of the run. */
  readonly endedBy: 'logout' | 'kill' | 'run-end';
}

export interface Overlap {
  readonly user: string;
  readonly a: Interval;
  readonly b: Interval;
  /** Milliseconds both were live. */
  readonly ms: number;
}

/** Dovecot's "YYYY-MM-DD HH:MM:SS.uuuuuu" (local time) as epoch ms with the microseconds kept. */
export function dovecotTime(text: string): number {
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d+)$/.exec(text);
  if (m === null) return Number.NaN;
  const [y = 0, mo = 1, d = 1, h = 0, mi = 0, s = 0] = m.slice(1, 7).map(Number);
  const micro = Number((m[7] ?? '0').padEnd(6, '0').slice(0, 6));
  return new Date(y, mo - 1, d, h, mi, s).getTime() + micro / 1000;
}

/**
 * Sessions of one backend from its log, paired by session id. A session with
 * no logout ended at the first recorded kill of the backend after it started
 * (a SIGKILLed Dovecot writes no logout lines), or else at `runEnd`.
 *
 * The pairing ignores line order: the "Login:" line comes from the login
 * process after it handed the connection over, so a session logged out at
 * once can have its "Disconnected" line (from the mail process) written
 * first, a few ms earlier. Taken in order, that session would look open until
 * the next kill and overlap every later session of the user elsewhere.
 */
export function sessionsOf(backend: string, events: readonly LoginEvent[], kills: readonly number[], runEnd: number): Interval[] {
  const logouts = new Map<string, number>();
  for (const e of events) {
    if (e.event === 'logout' && !logouts.has(e.session)) logouts.set(e.session, dovecotTime(e.time));
  }
  const sortedKills = [...kills].sort((a, b) => a - b);
  const out: Interval[] = [];
  const seen = new Set<string>();
  for (const e of events) {
    if (e.event !== 'login' || seen.has(e.session)) continue;
    seen.add(e.session);
    const start = dovecotTime(e.time);
    const base = { user: e.user, backend, session: e.session, protocol: e.protocol, start };
    const logout = logouts.get(e.session);
    if (logout !== undefined) {
      // A logout written before the login line: over by the time the login was logged.
      out.push({ ...base, end: Math.max(start, logout), endedBy: 'logout' });
      continue;
    }
    const kill = sortedKills.find((k) => k >= start);
    out.push({ ...base, end: kill ?? runEnd, endedBy: kill === undefined ? 'run-end' : 'kill' });
  }
  return out;
}

/** Pairs of one user's sessions on different backends whose intervals overlap. */
export function findOverlaps(intervals: readonly Interval[]): Overlap[] {
  const byUser = new Map<string, Interval[]>();
  for (const i of intervals) byUser.set(i.user, [...(byUser.get(i.user) ?? []), i]);
  const found: Overlap[] = [];
  for (const [user, list] of byUser) {
    list.sort((a, b) => a.start - b.start);
    for (let i = 0; i < list.length; i++) {
      const a = list[i] as Interval;
      for (let j = i + 1; j < list.length; j++) {
        const b = list[j] as Interval;
        if (b.start >= a.end) break;
        if (a.backend === b.backend) continue;
        found.push({ user, a, b, ms: Math.min(a.end, b.end) - b.start });
      }
    }
  }
  return found;
}
