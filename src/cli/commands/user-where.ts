import { isProtocol, PROTOCOLS } from '../../core/protocol.js';
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

export const userWhereCommand = defineAdminCommand({
  name: ['user', 'where'],
  summary: 'Say where USER goes and why (LDAP host, ring, local; moved, delayed) and who holds its sessions. Exit 67 when USER is not in the passdb.',
  json:
    '{"user": canonical name, "reason": "ldap_host"|"ring"|"local"|"refused"|"not_found"|"tempfail", "detail": string, ' +
    '"backend": id ("" if not a ring backend), "host", "port", "tag", "ldap_host": "" if unset, "moved_to": "" if none, ' +
    '"delayed_until_ms": unix ms or 0, "sessions": [{"director", "backend", "backend_host", "sessions": number}] ' +
    '(every live director\'s sessions)}',
  positionals: [{ name: 'USER', required: true, summary: 'login name' }],
  options: [{ name: 'protocol', value: PROTOCOLS.join('|'), summary: 'port to show (default imap)' }],
  async execute(api, args, io, json) {
    const user = args.positionals[0] ?? '';
    if (user === '') throw new UsageError('USER must not be empty');
    const protocol = args.value('protocol') ?? 'imap';
    if (!isProtocol(protocol)) throw new UsageError(`--protocol must be one of ${PROTOCOLS.join(', ')}`);
    const where = userWhereJson(await api.userWhere({ user, protocol }));
    io.stdout(json ? jsonLine(where) : userWhereText(where));
    return where.reason === 'not_found' ? EXIT.noUser : EXIT.ok;
  },
});
