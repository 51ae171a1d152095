import { UsageError } from '../args.js';
import { EXIT } from './command.js';
import { defineAdminCommand } from './common.js';
import { jsonLine } from './format.js';

export interface KickJson {
  readonly user: string;
  readonly kicked: number;
}

export function kickText(result: KickJson): string {
  return result.kicked === 0
    ? `${result.user}: no sessions on this director\n`
    : `${result.user}: kicked ${result.kicked} session${result.kicked === 1 ? '' : 's'}\n`;
}

export const userKickCommand = defineAdminCommand({
  name: ['user', 'kick'],
  summary: "End every live session of USER on the director (the client is told the reason). Exit 0 even when none.",
  json: '{"user": string, "kicked": number of sessions ended}',
  positionals: [{ name: 'USER', required: true, summary: 'exact user name' }],
  options: [
    { name: 'reason', value: 'TEXT', summary: 'what the client is told (default "Kicked by admin")' },
    { name: 'backend-host', value: 'HOST', summary: 'only sessions relayed to this backend host' },
  ],
  async execute(api, args, io, json) {
    const user = args.positionals[0] ?? '';
    if (user === '') throw new UsageError('USER must not be empty');
    const response = await api.kickUser({
      user,
      reason: args.value('reason') ?? '',
      backendHost: args.value('backend-host') ?? '',
    });
    const result: KickJson = { user, kicked: response.kicked };
    io.stdout(json ? jsonLine(result) : kickText(result));
    return EXIT.ok;
  },
});
