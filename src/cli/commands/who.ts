import type { WhoResponse__Output } from '../../adapters/grpc/generated/maildirector/admin/v1/WhoResponse.js';
import { EXIT } from './command.js';
import { defineAdminCommand } from './common.js';
import { formatEndpoint, formatTimestamp, jsonLine, renderTable } from './format.js';

export interface WhoSessionJson {
  readonly session_id: string;
  readonly user: string;
  readonly protocol: string;
  readonly client_ip: string;
  readonly client_port: number;
  readonly backend_id: string | null;
  readonly backend_host: string;
  readonly backend_port: number;
  readonly started_at_ms: number;
  readonly bytes_from_client: number;
  readonly bytes_from_backend: number;
  readonly director_id: string;
}

export interface WhoJson {
  readonly sessions: readonly WhoSessionJson[];
}

export function whoJson(response: WhoResponse__Output): WhoJson {
  return {
    sessions: response.sessions.map((s) => ({
      session_id: s.sessionId,
      user: s.user,
      protocol: s.protocol,
      client_ip: s.clientIp,
      client_port: s.clientPort,
      backend_id: s.backendId === '' ? null : s.backendId,
      backend_host: s.backendHost,
      backend_port: s.backendPort,
      started_at_ms: s.startedAtMs,
      bytes_from_client: s.bytesFromClient,
      bytes_from_backend: s.bytesFromBackend,
      director_id: s.directorId,
    })),
  };
}

/** One row per session, like `doveadm who -1`. */
export function whoText(who: WhoJson): string {
  return renderTable(
    ['username', 'proto', 'client', 'backend', 'director', 'since (UTC)', 'session'],
    who.sessions.map((s) => [
      s.user,
      s.protocol,
      formatEndpoint(s.client_ip, s.client_port),
      `${s.backend_id === null ? '' : `${s.backend_id} `}${formatEndpoint(s.backend_host, s.backend_port)}`,
      s.director_id,
      formatTimestamp(s.started_at_ms),
      s.session_id,
    ]),
  );
}

export const whoCommand = defineAdminCommand({
  name: ['who'],
  summary: 'List live relayed sessions on the director, optionally only users matching a mask.',
  json:
    '{"sessions": [{"session_id", "user", "protocol", "client_ip", "client_port", ' +
    '"backend_id" (null when the passdb host chose the backend), "backend_host", "backend_port", ' +
    '"started_at_ms" (unix ms), "bytes_from_client", "bytes_from_backend", "director_id"}]}',
  positionals: [{ name: 'USER_MASK', required: false, summary: 'user name, or a pattern with * and ?' }],
  async execute(api, args, io, json) {
    const who = whoJson(await api.who({ userMask: args.positionals[0] ?? '' }));
    io.stdout(json ? jsonLine(who) : whoText(who));
    return EXIT.ok;
  },
});
