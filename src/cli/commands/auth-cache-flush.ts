import { UsageError } from '../args.js';
import { EXIT } from './command.js';
import { defineAdminCommand } from './common.js';
import { jsonLine } from './format.js';

export interface FlushJson {
  /** null: the whole cache. */
  readonly user: string | null;
  readonly flushed: number;
}

/** Dovecot's wording: "N cache entries flushed". */
export function flushText(result: FlushJson): string {
  return `${result.flushed} cache entries flushed\n`;
}

export const authCacheFlushCommand = defineAdminCommand({
  name: ['auth', 'cache', 'flush'],
  summary: "Drop the director's cached passdb entries: USER's only, or all.",
  json: '{"user": string, or null when the whole cache was flushed, "flushed": number of entries dropped}',
  positionals: [{ name: 'USER', required: false, summary: 'flush only this user (default: everything)' }],
  async execute(api, args, io, json) {
    const user = args.positionals[0];
    if (user === '') throw new UsageError('USER must not be empty');
    const response = await api.flushAuthCache({ user: user ?? '' });
    const result: FlushJson = { user: user ?? null, flushed: response.flushed };
    io.stdout(json ? jsonLine(result) : flushText(result));
    return EXIT.ok;
  },
});
