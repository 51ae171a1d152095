import type { StatusResponse__Output } from '../../adapters/grpc/generated/maildirector/admin/v1/StatusResponse.js';
import type { BackendState__Output } from '../../adapters/grpc/generated/maildirector/admin/v1/BackendState.js';
import type { AdminOverride__Output } from '../../adapters/grpc/generated/maildirector/admin/v1/AdminOverride.js';
import { EXIT } from './command.js';
import { defineAdminCommand } from './common.js';
import { formatDuration, jsonLine, renderTable } from './format.js';

export interface StatusJson {
  readonly director_id: string;
  readonly started_at_ms: number;
  readonly uptime_ms: number;
  readonly session_count: number;
  readonly ring: { readonly directors_live: number; readonly directors_total: number; readonly clock: number };
  readonly backends: readonly {
    readonly id: string;
    readonly host: string;
    readonly ports: Readonly<Record<string, number>>;
    readonly weight: number;
    readonly tag: string;
    /** pending: new, no probe verdict yet (gets no users until one says up). */
    readonly state: 'up' | 'down' | 'pending' | 'unknown';
    /** Operator override: none (probes decide), up, down. */
    readonly admin: 'none' | 'up' | 'down';
    readonly voters: number;
    readonly down_votes: number;
    /** Ring-wide (every live director's presence): relayed sessions there, and their distinct users. */
    readonly sessions: number;
    readonly users: number;
  }[];
}

function stateName(state: BackendState__Output): 'up' | 'down' | 'pending' | 'unknown' {
  switch (state) {
    case 'BACKEND_STATE_UP':
      return 'up';
    case 'BACKEND_STATE_DOWN':
      return 'down';
    case 'BACKEND_STATE_PENDING':
      return 'pending';
    default:
      return 'unknown';
  }
}

function overrideName(state: AdminOverride__Output): 'none' | 'up' | 'down' {
  return state === 'ADMIN_OVERRIDE_UP' ? 'up' : state === 'ADMIN_OVERRIDE_DOWN' ? 'down' : 'none';
}

export function statusJson(response: StatusResponse__Output): StatusJson {
  return {
    director_id: response.directorId,
    started_at_ms: response.startedAtMs,
    uptime_ms: response.uptimeMs,
    session_count: response.sessionCount,
    ring: { directors_live: response.directorsLive, directors_total: response.directorsTotal, clock: response.ringClock },
    backends: response.backends.map((b) => ({
      id: b.id,
      host: b.host,
      ports: Object.fromEntries(Object.entries(b.ports).sort(([a], [z]) => (a < z ? -1 : 1))),
      weight: b.weight,
      tag: b.tag,
      state: stateName(b.state),
      admin: overrideName(b.admin),
      voters: b.voters,
      down_votes: b.downVotes,
      sessions: b.sessions,
      users: b.users,
    })),
  };
}

export function statusText(status: StatusJson): string {
  const head = renderTable(
    ['director', 'uptime', 'sessions', 'ring directors live'],
    [[status.director_id, formatDuration(status.uptime_ms), String(status.session_count), `${status.ring.directors_live}/${status.ring.directors_total}`]],
  );
  if (status.backends.length === 0) return `${head}\nno backends\n`;
  const backends = renderTable(
    ['backend', 'host', 'ports', 'weight', 'tag', 'state', 'override', 'down votes', 'sessions', 'users'],
    status.backends.map((b) => [
      b.id,
      b.host,
      Object.entries(b.ports)
        .map(([proto, port]) => `${proto}=${port}`)
        .join(',') || '-',
      String(b.weight),
      b.tag === '' ? '-' : b.tag,
      b.state === 'pending' ? 'new, waiting for probes' : b.state,
      b.admin === 'none' ? '-' : b.admin,
      `${b.down_votes}/${b.voters}`,
      String(b.sessions),
      String(b.users),
    ]),
    { right: [3, 8, 9] },
  );
  return `${head}\n${backends}`;
}

export const statusCommand = defineAdminCommand({
  name: ['status'],
  summary: "Show the director's id, uptime, live session count, ring members live, and backends with their state, sessions and users (ring-wide).",
  json:
    '{"director_id": string, "started_at_ms": unix ms, "uptime_ms": number, "session_count": number, ' +
    '"ring": {"directors_live", "directors_total", "clock"}, ' +
    '"backends": [{"id", "host", "ports": {protocol: port} (absent: default port), "weight", "tag" ("" = default), ' +
    '"state": "up"|"down"|"pending"|"unknown" (in the effective ring; pending: new, no probe verdict yet, gets no users), "admin": "none"|"up"|"down" (operator override), ' +
    '"voters": live directors with a probe verdict, "down_votes": how many say down, ' +
    '"sessions", "users": relayed sessions on the backend and their distinct users, over every live director (doveadm director map)}]}',
  async execute(api, _args, io, json) {
    const status = statusJson(await api.status());
    io.stdout(json ? jsonLine(status) : statusText(status));
    return EXIT.ok;
  },
});
