import { readFile } from 'node:fs/promises';
import type { AdminApi } from '../../adapters/grpc/admin-client.js';
import { isProtocol, PROTOCOLS, type Protocol } from '../../core/protocol.js';
import type { UserWhereResponse__Output } from '../../adapters/grpc/generated/maildirector/admin/v1/UserWhereResponse.js';
import { UsageError } from '../args.js';
import { EXIT } from './command.js';
import { defineAdminCommand } from './common.js';
import { formatEndpoint, formatTimestamp, jsonLine, renderTable } from './format.js';

export interface UserWhereJson {
  readonly user: string;
  readonly reason: string;
  readonly detail: string;
  readonly backend: string;
  readonly host: string;
  readonly port: number;
  readonly tag: string;
  readonly ldap_host: string;
  readonly moved_to: string;
  readonly delayed_until_ms: number;
  readonly sessions: readonly { readonly director: string; readonly backend: string; readonly backend_host: string; readonly sessions: number }[];
}

export function userWhereJson(r: UserWhereResponse__Output): UserWhereJson {
  return {
    user: r.user,
    reason: r.reason,
    detail: r.detail,
    backend: r.backendId,
    host: r.host,
    port: r.port,
    tag: r.tag,
    ldap_host: r.ldapHost,
    moved_to: r.movedTo,
    delayed_until_ms: r.delayedUntilMs,
    sessions: r.sessions.map((s) => ({ director: s.directorId, backend: s.backendId, backend_host: s.backendHost, sessions: s.sessions })),
  };
}

const WHY: Readonly<Record<string, string>> = {
  ldap_host: 'the host field in LDAP',
  ring: 'the ring (hash of the user name)',
  local: 'proxy_maybe with a self host: the local backend',
};

export function userWhereText(w: UserWhereJson): string {
  const lines: string[] = [];
  if (w.reason === 'not_found') {
    lines.push(`${w.user}: no such user in the passdb`);
  } else if (w.reason === 'tempfail' || w.reason === 'refused') {
    lines.push(`${w.user}: ${w.reason} (${w.detail})`);
  } else {
    const dest = `${w.backend === '' ? '' : `${w.backend} `}${formatEndpoint(w.host, w.port)}`;
    lines.push(`${w.user}: ${dest}, chosen by ${WHY[w.reason] ?? w.reason}`);
  }
  if (w.ldap_host !== '') lines.push(`  LDAP host: ${w.ldap_host}`);
  if (w.tag !== '') lines.push(`  tag: ${w.tag}`);
  if (w.moved_to !== '') lines.push(`  moved to: ${w.moved_to}`);
  if (w.delayed_until_ms > 0) lines.push(`  logins held until ${formatTimestamp(w.delayed_until_ms)} UTC (delay_until)`);
  if (w.sessions.length === 0) lines.push('  no sessions on any live director');
  else {
    const table = renderTable(
      ['director', 'backend', 'backend host', 'sessions'],
      w.sessions.map((s) => [s.director, s.backend === '' ? '-' : s.backend, s.backend_host, String(s.sessions)]),
    );
    lines.push(table.trimEnd());
  }
  return `${lines.join('\n')}\n`;
}

/** Lookups in flight for --users-file: enough to hide the round trips, few enough not to queue up the passdb. */
const BATCH_CONCURRENCY = 16;

/** One login name a line; blank lines and lines starting with '#' are skipped. */
export function parseUsersFile(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

async function readUsersFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --users-file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  const users = parseUsersFile(text);
  if (users.length === 0) throw new UsageError(`--users-file ${path} names no user`);
  return users;
}

/** Every user's answer, in the file's order, asked BATCH_CONCURRENCY at a time over the one connection. */
async function whereAll(api: AdminApi, users: readonly string[], protocol: Protocol): Promise<UserWhereJson[]> {
  const out = new Array<UserWhereJson>(users.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < users.length; i = next++) out[i] = userWhereJson(await api.userWhere({ user: users[i]!, protocol }));
  };
  await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, users.length) }, worker));
  return out;
}

export const userWhereCommand = defineAdminCommand({
  name: ['user', 'where'],
  summary: 'Say where USER goes and why (LDAP host, ring, local; moved, delayed) and who holds its sessions. Exit 67 when USER is not in the passdb.',
  json:
    '{"user": canonical name, "reason": "ldap_host"|"ring"|"local"|"refused"|"not_found"|"tempfail", "detail": string, ' +
    '"backend": id ("" if not a ring backend), "host", "port", "tag", "ldap_host": "" if unset, "moved_to": "" if none, ' +
    '"delayed_until_ms": unix ms or 0, "sessions": [{"director", "backend", "backend_host", "sessions": number}] ' +
    '(every live director\'s sessions)}',
  positionals: [{ name: 'USER', required: false, summary: 'login name (or --users-file)' }],
  options: [
    { name: 'protocol', value: PROTOCOLS.join('|'), summary: 'port to show (default imap)' },
    {
      name: 'users-file',
      value: 'FILE',
      summary: "every user named in FILE (one a line; '#' comments), in its order; --json prints one line per user",
    },
  ],
  async execute(api, args, io, json) {
    const user = args.positionals[0];
    const file = args.value('users-file');
    if (user !== undefined && file !== undefined) throw new UsageError('give USER or --users-file, not both');
    if (file === undefined && (user === undefined || user === '')) throw new UsageError('USER must not be empty');
    const protocol = args.value('protocol') ?? 'imap';
    if (!isProtocol(protocol)) throw new UsageError(`--protocol must be one of ${PROTOCOLS.join(', ')}`);
    const users = file === undefined ? [user ?? ''] : await readUsersFile(file);
    let unknown = false;
    for (const where of await whereAll(api, users, protocol)) {
      io.stdout(json ? jsonLine(where) : userWhereText(where));
      if (where.reason === 'not_found') unknown = true;
    }
    return unknown ? EXIT.noUser : EXIT.ok;
  },
});
