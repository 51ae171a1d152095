// Chaos clients: log in through a director over IMAP or POP3, hold the
// session a while (some IMAP ones in IDLE), log out; classify what happened.
import { LineClient } from '../harness/lines.js';

export type ClientOutcome =
  | 'ok'
  | 'auth_failed'
  | 'tempfail'
  | 'disconnected_at_login'
  | 'timeout'
  | 'connect_failed';

export interface ClientResult {
  readonly protocol: 'imap' | 'pop3';
  readonly outcome: ClientOutcome;
  /** After a successful login: the session was ended by the other side before we logged out. */
  readonly endedEarly: boolean;
  readonly idle: boolean;
}

export interface ClientPlan {
  readonly host: string;
  readonly port: number;
  readonly protocol: 'imap' | 'pop3';
  readonly user: string;
  readonly password: string;
  readonly holdMs: number;
  readonly idle: boolean;
}

const LOGIN_TIMEOUT_MS = 40_000;

function quoted(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function classify(reply: string): ClientOutcome {
  if (/^(a1 OK|\+OK)/.test(reply)) return 'ok';
  if (/\[(UNAVAILABLE|SERVERBUG|INUSE|LIMIT)\]|\[(SYS\/TEMP|IN-USE)\]|temporar/i.test(reply)) return 'tempfail';
  return 'auth_failed';
}

async function hold(client: LineClient, ms: number, until: (line: string) => boolean): Promise<boolean> {
  // True when the other side closed the session during the hold.
  try {
    await client.readUntil(until, ms);
    return true;
  } catch (err) {
    return err instanceof Error && /connection ended/.test(err.message);
  }
}

export async function runClient(plan: ClientPlan): Promise<ClientResult> {
  const base = { protocol: plan.protocol, idle: plan.idle };
  let client: LineClient;
  try {
    client = await LineClient.connect(plan.host, plan.port, 3000);
  } catch {
    return { ...base, outcome: 'connect_failed', endedEarly: false };
  }
  try {
    let reply: string;
    try {
      if (plan.protocol === 'imap') {
        await client.readUntil((l) => l.startsWith('* '), 5000);
        client.send(`a1 LOGIN ${quoted(plan.user)} ${quoted(plan.password)}`);
        reply = (await client.readUntil((l) => l.startsWith('a1 ') || l.startsWith('* BYE'), LOGIN_TIMEOUT_MS)).at(-1) ?? '';
        if (reply.startsWith('* BYE')) return { ...base, outcome: 'disconnected_at_login', endedEarly: false };
      } else {
        await client.readUntil((l) => l.startsWith('+OK') || l.startsWith('-ERR'), 5000);
        client.send(`USER ${plan.user}`);
        await client.readUntil((l) => l.startsWith('+OK') || l.startsWith('-ERR'), 5000);
        client.send(`PASS ${plan.password}`);
        reply = (await client.readUntil((l) => l.startsWith('+OK') || l.startsWith('-ERR'), LOGIN_TIMEOUT_MS)).at(-1) ?? '';
      }
    } catch (err) {
      const ended = err instanceof Error && /connection ended/.test(err.message);
      return { ...base, outcome: ended ? 'disconnected_at_login' : 'timeout', endedEarly: false };
    }
    const outcome = classify(reply);
    if (outcome !== 'ok') return { ...base, outcome, endedEarly: false };
    let endedEarly: boolean;
    if (plan.protocol === 'imap') {
      if (plan.idle) {
        client.send('a2 IDLE');
        endedEarly = await hold(client, plan.holdMs, (l) => l.startsWith('* BYE') || l.startsWith('a2 '));
        if (!endedEarly) client.send('DONE');
      } else {
        endedEarly = await hold(client, plan.holdMs, (l) => l.startsWith('* BYE'));
      }
      if (!endedEarly) {
        client.send('a3 LOGOUT');
        endedEarly = !(await client.readUntil((l) => l.startsWith('a3 '), 5000).then(() => true, () => false));
      }
    } else {
      endedEarly = await hold(client, plan.holdMs, () => false);
      if (!endedEarly) {
        client.send('QUIT');
        endedEarly = !(await client.readUntil((l) => l.startsWith('+OK') || l.startsWith('-ERR'), 5000).then(() => true, () => false));
      }
    }
    return { ...base, outcome: 'ok', endedEarly };
  } finally {
    client.close();
  }
}
