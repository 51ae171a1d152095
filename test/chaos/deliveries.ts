// I4 and the LMTP half of I1 (docs/invariants.md) over what the chaos LMTP
// sender recorded and what the backends hold afterwards: every 250 is in the
// recipient's mailbox exactly once, nothing refused was delivered, and no
// delivery landed on a backend while the user had a session on another one.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LmtpMessage, RcptOutcome } from './lmtp-client.js';
import { dovecotTime, type Interval } from './overlap.js';

/** One copy of a chaos message in a backend's Maildir. */
export interface FoundCopy {
  readonly backend: string;
  readonly user: string;
  readonly messageId: string;
  readonly file: string;
}

/** One LMTP delivery as the backend's Dovecot logged it. */
export interface DeliveryEvent {
  readonly backend: string;
  readonly user: string;
  readonly messageId: string;
  /** Epoch ms with the microseconds kept. */
  readonly time: number;
  readonly line: string;
}

// Dovecot 2.3 lmtp: "msgid=<ID>: saved mail to INBOX"; with Pigeonhole running a
// script: "sieve: msgid=<ID>: stored mail into mailbox 'INBOX'". The prefix is
// the template's mail_log_prefix, "lmtp(USER)<PID><SESSION>: ".
const DELIVERY_RE = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) lmtp\(([^)]*)\)<\d+><[^>]*>: Info: (?:sieve: )?msgid=(<[^>]*>): (?:saved mail to|stored mail into mailbox) /;

export function parseDeliveries(backend: string, log: string): DeliveryEvent[] {
  const out: DeliveryEvent[] = [];
  for (const line of log.split('\n')) {
    const m = DELIVERY_RE.exec(line);
    if (m === null) continue;
    out.push({ backend, user: m[2] ?? '', messageId: m[3] ?? '', time: dovecotTime(m[1] ?? ''), line });
  }
  return out;
}

const MESSAGE_ID_RE = /^Message-ID:\s*(<[^>\r\n]*>)/im;

/**
 * Every copy of a message whose Message-ID satisfies `ours` under
 * MAIL_DIR/USER/{new,cur} (the template's mail_location, maildir:MAIL_DIR/%u).
 * tmp/ is left out: a file there was never delivered.
 */
export async function scanMaildirs(backend: string, mailDir: string, ours: (messageId: string) => boolean): Promise<FoundCopy[]> {
  const found: FoundCopy[] = [];
  const users = await readdir(mailDir).catch(() => [] as string[]);
  for (const user of users) {
    for (const sub of ['new', 'cur']) {
      const folder = join(mailDir, user, sub);
      for (const name of await readdir(folder).catch(() => [] as string[])) {
        const file = join(folder, name);
        const text = await readFile(file, 'latin1').catch(() => '');
        const end = text.search(/\r?\n\r?\n/);
        const head = end < 0 ? text : text.slice(0, end);
        const id = MESSAGE_ID_RE.exec(head)?.[1];
        if (id !== undefined && ours(id)) found.push({ backend, user, messageId: id, file });
      }
    }
  }
  return found;
}

export interface Misplaced {
  readonly delivery: DeliveryEvent;
  /** The user's session on another backend live at the delivery's time. */
  readonly session: Interval;
}

export interface DeliveryProblem {
  readonly messageId: string;
  readonly user: string;
  readonly outcome: RcptOutcome | 'not a recipient';
  readonly reply: string;
  readonly copies: readonly string[];
}

export interface DeliveryReport {
  readonly messages: number;
  readonly recipients: number;
  readonly byOutcome: ReadonlyMap<RcptOutcome, number>;
  /** Accepted (250) but in no mailbox. */
  readonly lost: DeliveryProblem[];
  /** Found more than once (accepted or unknown). */
  readonly duplicated: DeliveryProblem[];
  /** Found although the MTA was told 4xx/5xx or the transaction failed before the final dot. */
  readonly refusedButDelivered: DeliveryProblem[];
  /** Found in the mailbox of a user it was not addressed to. */
  readonly wrongUser: DeliveryProblem[];
  readonly unknownFound: number;
  readonly unknownNotFound: number;
  readonly misplaced: Misplaced[];
  /** Delivery log lines of chaos messages (a check that the log was read at all). */
  readonly deliveryLines: number;
}

/** The director's per-recipient 451 when its backend went away before answering (the delivery's fate unknown). */
function backendLostAfterDot(reply: string): boolean {
  return /^451 4\.4\.0 .*\(connection lost\)/.test(reply);
}

export function checkDeliveries(
  sent: readonly LmtpMessage[],
  copies: readonly FoundCopy[],
  deliveries: readonly DeliveryEvent[],
  sessions: readonly Interval[],
): DeliveryReport {
  const key = (messageId: string, user: string): string => `${messageId}\t${user}`;
  const where = new Map<string, string[]>();
  for (const c of copies) where.set(key(c.messageId, c.user), [...(where.get(key(c.messageId, c.user)) ?? []), c.backend]);

  const byOutcome = new Map<RcptOutcome, number>();
  const lost: DeliveryProblem[] = [];
  const duplicated: DeliveryProblem[] = [];
  const refusedButDelivered: DeliveryProblem[] = [];
  const addressed = new Set<string>();
  let recipients = 0;
  let unknownFound = 0;
  let unknownNotFound = 0;
  for (const m of sent) {
    for (const r of m.rcpts) {
      recipients++;
      byOutcome.set(r.outcome, (byOutcome.get(r.outcome) ?? 0) + 1);
      const k = key(m.messageId, r.user);
      addressed.add(k);
      const found = where.get(k) ?? [];
      const problem: DeliveryProblem = { messageId: m.messageId, user: r.user, outcome: r.outcome, reply: r.reply, copies: found };
      if (found.length > 1) duplicated.push(problem);
      switch (r.outcome) {
        case 'accepted':
          if (found.length === 0) lost.push(problem);
          break;
        case 'unknown':
          if (found.length === 0) unknownNotFound++;
          else unknownFound++;
          break;
        case 'tempfail':
          if (backendLostAfterDot(r.reply)) {
            // The backend's channel closed before its verdict: it may have saved the
            // message (RFC 5321 §6.1: a lost reply makes a duplicate, never a loss).
            if (found.length === 0) unknownNotFound++;
            else unknownFound++;
          } else if (found.length > 0) refusedButDelivered.push(problem);
          break;
        default:
          if (found.length > 0) refusedButDelivered.push(problem);
      }
    }
  }
  const wrongUser: DeliveryProblem[] = [];
  for (const [k, backends] of where) {
    if (addressed.has(k)) continue;
    const [messageId = '', user = ''] = k.split('\t');
    wrongUser.push({ messageId, user, outcome: 'not a recipient', reply: '', copies: backends });
  }

  const byUser = new Map<string, Interval[]>();
  for (const s of sessions) byUser.set(s.user, [...(byUser.get(s.user) ?? []), s]);
  const misplaced: Misplaced[] = [];
  const ours = new Set(sent.map((m) => m.messageId));
  let deliveryLines = 0;
  for (const d of deliveries) {
    if (!ours.has(d.messageId)) continue;
    deliveryLines++;
    const other = (byUser.get(d.user) ?? []).find((s) => s.backend !== d.backend && s.start <= d.time && d.time <= s.end);
    if (other !== undefined) misplaced.push({ delivery: d, session: other });
  }

  return {
    messages: sent.length,
    recipients,
    byOutcome,
    lost,
    duplicated,
    refusedButDelivered,
    wrongUser,
    unknownFound,
    unknownNotFound,
    misplaced,
    deliveryLines,
  };
}
