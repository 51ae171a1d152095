import type { KickUserResponse__Output } from '../../adapters/grpc/generated/maildirector/admin/v1/KickUserResponse.js';
import { UsageError } from '../args.js';
import { EXIT } from './command.js';
import { defineAdminCommand } from './common.js';
import { jsonLine, renderTable } from './format.js';

export interface KickJson {
  readonly user: string;
  readonly kicked: number;
  readonly directors: readonly { readonly director: string; readonly kicked: number }[];
  readonly unreachable: readonly string[];
}

export function kickJson(user: string, r: KickUserResponse__Output): KickJson {
  return {
    user,
    kicked: r.kicked,
    directors: r.directors.map((d) => ({ director: d.directorId, kicked: d.kicked })),
    unreachable: r.unreachable,
  };
}

export function kickText(result: KickJson): string {
  const where = result.directors.length > 1 ? 'any live director' : 'this director';
  const head =
    result.kicked === 0
      ? `${result.user}: no sessions on ${where}`
      : `${result.user}: kicked ${result.kicked} session${result.kicked === 1 ? '' : 's'}`;
  const lines = [head];
  if (result.directors.length > 1 && result.kicked > 0) {
    lines.push(renderTable(['director', 'kicked'], result.directors.map((d) => [d.director, String(d.kicked)]), { right: [1] }).trimEnd());
  }
  if (result.unreachable.length > 0) lines.push(`warning: no answer from ${result.unreachable.join(', ')}; their sessions of ${result.user} may remain`);
  return `${lines.join('\n')}\n`;
}

export const userKickCommand = defineAdminCommand({
  name: ['user', 'kick'],
  summary:
    'End every live session of USER on every live director (--local: this one only); the client is told the reason. ' +
    'Exit 0 also when there was none, 67 when USER is not in the passdb, 1 when a director did not answer.',
  json:
    '{"user": string, "kicked": sessions ended (all directors), "directors": [{"director", "kicked"}] (this one first), ' +
    '"unreachable": [live directors that did not answer]}',
  positionals: [{ name: 'USER', required: true, summary: 'exact user name' }],
  options: [
    { name: 'reason', value: 'TEXT', summary: 'what the client is told (printable ASCII, at most 160 characters; default: the protocol\'s kick text)' },
    { name: 'backend-host', value: 'HOST', summary: 'only sessions relayed to this backend host' },
    { name: 'local', summary: 'only this director\'s sessions' },
  ],
  async execute(api, args, io, json) {
    const user = args.positionals[0] ?? '';
    if (user === '') throw new UsageError('USER must not be empty');
    const response = await api.kickUser({
      user,
      reason: args.value('reason') ?? '',
      backendHost: args.value('backend-host') ?? '',
      local: args.flag('local'),
    });
    const result = kickJson(user, response);
    io.stdout(json ? jsonLine(result) : kickText(result));
    return result.unreachable.length === 0 ? EXIT.ok : EXIT.failed;
  },
});
