import type { MoveUserResponse__Output } from '../../adapters/grpc/generated/maildirector/admin/v1/MoveUserResponse.js';
import { parseDuration } from '../../config/durations.js';
import { UsageError } from '../args.js';
import { EXIT } from './command.js';
import { defineAdminCommand } from './common.js';
import { jsonLine } from './format.js';

export interface UserMoveJson {
  readonly user: string;
  readonly from: string;
  readonly to: string;
  readonly to_host: string;
  readonly kicked: number;
  readonly waited_ms: number;
  readonly complete: boolean;
  readonly delay_until_ms: number;
}

export function userMoveJson(r: MoveUserResponse__Output): UserMoveJson {
  return {
    user: r.user,
    from: r.from,
    to: r.to,
    to_host: r.toHost,
    kicked: r.kicked,
    waited_ms: r.waitedMs,
    complete: r.complete,
    delay_until_ms: r.delayUntilMs,
  };
}

export function userMoveText(m: UserMoveJson): string {
  const from = m.from === '' ? '(nowhere)' : m.from;
  const sessions = `${m.kicked} session${m.kicked === 1 ? '' : 's'}`;
  return m.complete
    ? `${m.user}: moved ${from} → ${m.to} (${m.to_host}); ended ${sessions} elsewhere, waited ${m.waited_ms} ms\n`
    : `${m.user}: host set to ${m.to} (${m.to_host}), but sessions elsewhere were still open after ${m.waited_ms} ms\n`;
}

/** Longest --delay: clients time out long before (the Proxying document suggests a bit over 30 s). */
const MAX_DELAY_MS = 300_000;

export const userMoveCommand = defineAdminCommand({
  name: ['user', 'move'],
  summary:
    "Move USER to BACKEND safely: host and delay_until in one LDAP modify, the user's sessions on other backends ended on every director, " +
    'answer once none is left. Exit 1 when sessions were still open after limits.move_wait.',
  json:
    '{"user", "from": backend id (or LDAP host) before the move, "to": backend id, "to_host", "kicked": sessions ended, ' +
    '"waited_ms", "complete": boolean, "delay_until_ms": unix ms written as delay_until}',
  positionals: [{ name: 'USER', required: true, summary: 'login name' }],
  options: [
    { name: 'to', value: 'BACKEND', summary: 'ring backend id (required)' },
    { name: 'delay', value: 'DURATION', summary: 'hold new logins this long (delay_until = now + DURATION; default 0s)' },
  ],
  async execute(api, args, io, json) {
    const user = args.positionals[0] ?? '';
    if (user === '') throw new UsageError('USER must not be empty');
    const to = args.value('to') ?? '';
    if (to === '') throw new UsageError('--to BACKEND is required');
    const rawDelay = args.value('delay');
    let delayMs = 0;
    if (rawDelay !== undefined) {
      const parsed = parseDuration(rawDelay);
      if (!parsed.ok) throw new UsageError(`--delay: ${parsed.message}`);
      if (parsed.value > MAX_DELAY_MS) throw new UsageError(`--delay: at most ${MAX_DELAY_MS / 1000}s`);
      delayMs = parsed.value;
    }
    const result = userMoveJson(await api.moveUser({ user, backendId: to, delayMs }));
    io.stdout(json ? jsonLine(result) : userMoveText(result));
    return result.complete ? EXIT.ok : EXIT.failed;
  },
});
