import type { RingResponse__Output } from '../../adapters/grpc/generated/maildirector/admin/v1/RingResponse.js';
import { EXIT } from './command.js';
import { defineAdminCommand } from './common.js';
import { formatTimestamp, jsonLine, renderTable } from './format.js';

export interface RingJson {
  readonly director_id: string;
  readonly clock: number;
  readonly entries: number;
  readonly directors: readonly {
    readonly id: string;
    readonly address: string;
    readonly self: boolean;
    readonly state: 'live' | 'dead';
    readonly last_heard_ms: number;
    readonly link_open: boolean;
  }[];
}

export function ringJson(response: RingResponse__Output): RingJson {
  return {
    director_id: response.directorId,
    clock: response.clock,
    entries: response.entries,
    directors: response.directors.map((d) => ({
      id: d.id,
      address: d.address,
      self: d.self,
      state: d.live ? 'live' : 'dead',
      last_heard_ms: d.lastHeardMs,
      link_open: d.linkOpen,
    })),
  };
}

export function ringText(ring: RingJson): string {
  return renderTable(
    ['director', 'address', 'state', 'last heard (UTC)', 'link'],
    ring.directors.map((d) => [
      d.self ? `${d.id} (self)` : d.id,
      d.address,
      d.state,
      d.self ? '-' : d.last_heard_ms === 0 ? 'never' : formatTimestamp(d.last_heard_ms),
      d.self ? '-' : d.link_open ? 'open' : 'closed',
    ]),
  );
}

export const ringCommand = defineAdminCommand({
  name: ['ring'],
  summary: 'List the ring\'s directors as this director sees them: live or dead, last heartbeat.',
  json:
    '{"director_id": string (who answered), "clock": ring state version clock, "entries": number, ' +
    '"directors": [{"id", "address": "host:port", "self": bool, "state": "live"|"dead", ' +
    '"last_heard_ms": unix ms (0: never or self), "link_open": bool}]}',
  async execute(api, _args, io, json) {
    const ring = ringJson(await api.ring());
    io.stdout(json ? jsonLine(ring) : ringText(ring));
    return EXIT.ok;
  },
});
