// Chaos LMTP sender: one transaction through a director (LHLO, MAIL, one RCPT
// per recipient, DATA), recording what the MTA side learnt for each
// recipient. Commands are sent one at a time, not pipelined, so that every
// reply is known to belong to the command before it.
import { LineClient } from '../harness/lines.js';

/**
 * What an MTA would conclude for one recipient:
 * - accepted: 250 after the final dot (it must be in the mailbox exactly once);
 * - tempfail / permfail: a 4xx / 5xx reply at RCPT, DATA or after the dot
 *   (the MTA retries or bounces, so it must not have been delivered);
 * - error: the connection failed or timed out before the final dot was sent
 *   (no backend can have had a complete message);
 * - unknown: the connection failed or timed out after the final dot, before
 *   this recipient's reply (delivered or not, but at most once).
 */
export type RcptOutcome = 'accepted' | 'tempfail' | 'permfail' | 'error' | 'unknown';

export interface RcptResult {
  readonly user: string;
  readonly outcome: RcptOutcome;
  /** The reply (or the error) that decided the outcome, first line. */
  readonly reply: string;
}

export interface LmtpMessage {
  /** Number within the run; the Message-ID and subject carry it. */
  readonly n: number;
  readonly messageId: string;
  readonly director: string;
  readonly sentAt: number;
  readonly rcpts: readonly RcptResult[];
}

export interface LmtpPlan {
  readonly host: string;
  readonly port: number;
  readonly users: readonly string[];
  readonly domain: string;
  readonly n: number;
  readonly messageId: string;
  readonly subject: string;
}

// A recipient may wait for a move (limits.move_wait, 30 s) before its RCPT reply.
const RCPT_TIMEOUT_MS = 60_000;
const REPLY_TIMEOUT_MS = 60_000;

interface Reply {
  readonly code: number;
  readonly line: string;
}

/** Lines until one with "NNN " (or a bare "NNN"): the last line of a reply. */
async function reply(client: LineClient, timeoutMs: number): Promise<Reply> {
  const lines = await client.readUntil((l) => /^\d{3}( |$)/.test(l), timeoutMs);
  const line = lines.at(-1) ?? '';
  return { code: Number(line.slice(0, 3)), line };
}

function failed(code: number): RcptOutcome {
  return code >= 500 ? 'permfail' : 'tempfail';
}

function messageText(plan: LmtpPlan): string {
  return [
    'From: chaos <chaos@chaos.test>',
    `To: ${plan.users.map((u) => `<${u}@${plan.domain}>`).join(', ')}`,
    `Subject: ${plan.subject}`,
    `Message-ID: ${plan.messageId}`,
    `Date: ${new Date().toUTCString()}`,
    '',
    `chaos LMTP message ${plan.n}`,
    // A dot-stuffed line, so the director's streaming of them is exercised too.
    '..a line that starts with a dot',
    '',
  ].join('\r\n');
}

export async function sendLmtp(plan: LmtpPlan, director: string): Promise<LmtpMessage> {
  const sentAt = Date.now();
  const outcomes = new Map<string, { outcome: RcptOutcome; reply: string }>();
  const done = (): LmtpMessage => ({
    n: plan.n,
    messageId: plan.messageId,
    director,
    sentAt,
    rcpts: plan.users.map((user) => ({ user, ...(outcomes.get(user) ?? { outcome: 'error', reply: 'not tried' }) })),
  });
  const setAll = (users: readonly string[], outcome: RcptOutcome, text: string): void => {
    for (const u of users) if (!outcomes.has(u)) outcomes.set(u, { outcome, reply: text });
  };

  let client: LineClient;
  try {
    client = await LineClient.connect(plan.host, plan.port, 3000);
  } catch (err) {
    setAll(plan.users, 'error', `connect: ${err instanceof Error ? err.message : String(err)}`);
    return done();
  }
  const accepted: string[] = [];
  let dotSent = false;
  try {
    const greeting = await reply(client, 5000);
    if (greeting.code !== 220) {
      setAll(plan.users, failed(greeting.code), greeting.line);
      return done();
    }
    client.send('LHLO chaos.test');
    const lhlo = await reply(client, 5000);
    if (lhlo.code !== 250) {
      setAll(plan.users, failed(lhlo.code), lhlo.line);
      return done();
    }
    client.send('MAIL FROM:<chaos@chaos.test>');
    const mail = await reply(client, 5000);
    if (mail.code !== 250) {
      setAll(plan.users, failed(mail.code), mail.line);
      return done();
    }
    for (const u of plan.users) {
      client.send(`RCPT TO:<${u}@${plan.domain}>`);
      const r = await reply(client, RCPT_TIMEOUT_MS);
      if (r.code === 250) accepted.push(u);
      else outcomes.set(u, { outcome: failed(r.code), reply: r.line });
    }
    if (accepted.length === 0) {
      client.send('QUIT');
      return done();
    }
    client.send('DATA');
    const data = await reply(client, REPLY_TIMEOUT_MS);
    if (data.code !== 354) {
      setAll(accepted, failed(data.code), data.line);
      return done();
    }
    client.write(Buffer.from(`${messageText(plan)}.\r\n`, 'latin1'));
    dotSent = true;
    // One reply per accepted recipient, in RCPT order.
    for (const u of accepted) {
      const r = await reply(client, REPLY_TIMEOUT_MS);
      outcomes.set(u, r.code === 250 ? { outcome: 'accepted', reply: r.line } : { outcome: failed(r.code), reply: r.line });
    }
    client.send('QUIT');
    return done();
  } catch (err) {
    // Recipients refused at RCPT keep their reply; the others' fate depends on
    // whether a complete message could have reached a backend.
    const text = err instanceof Error ? err.message.split('\n')[0] ?? '' : String(err);
    setAll(plan.users, dotSent ? 'unknown' : 'error', text);
    return done();
  } finally {
    client.close();
  }
}
