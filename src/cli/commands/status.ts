import type { StatusResponse__Output } from '../../adapters/grpc/generated/maildirector/admin/v1/StatusResponse.js';
import type { BackendState__Output } from '../../adapters/grpc/generated/maildirector/admin/v1/BackendState.js';
import { EXIT } from './command.js';
import { defineAdminCommand } from './common.js';
import { formatDuration, jsonLine, renderTable } from './format.js';

export interface StatusJson {
  readonly director_id: string;
  readonly started_at_ms: number;
  readonly uptime_ms: number;
  readonly session_count: number;
  readonly backends: readonly {
    readonly id: string;
    readonly host: string;
    readonly ports: Readonly<Record<string, number>>;
    readonly weight: number;
    readonly tag: string;
    readonly state: 'up' | 'down' | 'unknown';
  }[];
}

function stateName(state: BackendState__Output): 'up' | 'down' | 'unknown' {
  switch (state) {
    case 'BACKEND_STATE_UP':
      return 'up';
    case 'BACKEND_STATE_DOWN':
      return 'down';
    default:
      return 'unknown';
  }
}

export function statusJson(response: StatusResponse__Output): StatusJson {
  return {
    director_id: response.directorId,
    started_at_ms: response.startedAtMs,
    uptime_ms: response.uptimeMs,
    session_count: response.sessionCount,
    backends: response.backends.map((b) => ({
      id: b.id,
      host: b.host,
      ports: Object.fromEntries(Object.entries(b.ports).sort(([a], [z]) => (a < z ? -1 : 1))),
      weight: b.weight,
      tag: b.tag,
      state: stateName(b.state),
    })),
  };
}

export function statusText(status: StatusJson): string {
  const head = renderTable(
    ['director', 'uptime', 'sessions'],
    [[status.director_id, formatDuration(status.uptime_ms), String(status.session_count)]],
  );
  if (status.backends.length === 0) return `${head}\nno backends\n`;
  const backends = renderTable(
    ['backend', 'host', 'ports', 'weight', 'tag', 'state'],
    status.backends.map((b) => [
      b.id,
      b.host,
      Object.entries(b.ports)
        .map(([proto, port]) => `${proto}=${port}`)
        .join(',') || '-',
      String(b.weight),
      b.tag === '' ? '-' : b.tag,
      b.state,
    ]),
  );
  return `${head}\n${backends}`;
}

export const statusCommand = defineAdminCommand({
  name: ['status'],
  summary: "Show the director's id, uptime, live session count and backends with their state.",
  json:
    '{"director_id": string, "started_at_ms": unix ms, "uptime_ms": number, "session_count": number, ' +
    '"backends": [{"id", "host", "ports": {protocol: port} (absent: default port), "weight", "tag" ("" = default), ' +
    '"state": "up"|"down"|"unknown"}]}',
  async execute(api, _args, io, json) {
    const status = statusJson(await api.status());
    io.stdout(json ? jsonLine(status) : statusText(status));
    return EXIT.ok;
  },
});
