import type { RingResponse__Output } from '../../adapters/grpc/generated/maildirector/admin/v1/RingResponse.js';
import type { RingChangeResponse__Output } from '../../adapters/grpc/generated/maildirector/admin/v1/RingChangeResponse.js';
import { UsageError } from '../args.js';
import type { CliIo } from './command.js';
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

export interface MembershipChangeJson {
  readonly director: string;
  readonly action: 'add' | 'remove';
  readonly applied: number;
  readonly acked_by: readonly string[];
  readonly not_acked: readonly string[];
}

const MEMBERSHIP_JSON =
  '{"director": id, "action": "add"|"remove", "applied": entries written, "acked_by": [director ids that applied it], ' +
  '"not_acked": [live directors that did not answer in time]}. Exit 1 when not_acked is not empty.';

async function reportMembership(io: CliIo, json: boolean, director: string, action: MembershipChangeJson['action'], response: Promise<RingChangeResponse__Output>): Promise<number> {
  const r = await response;
  const c: MembershipChangeJson = { director, action, applied: r.applied, acked_by: r.ackedBy, not_acked: r.notAcked };
  if (json) io.stdout(jsonLine(c));
  else {
    const acks = c.acked_by.length === 0 ? 'no other live director' : `acked by ${c.acked_by.join(', ')}`;
    io.stdout(`director ${director}: ${action} applied (${acks})\n`);
    if (c.not_acked.length > 0) io.stdout(`warning: not acknowledged by ${c.not_acked.join(', ')}; they catch up when their links return\n`);
  }
  return c.not_acked.length === 0 ? EXIT.ok : EXIT.failed;
}

function directorId(id: string | undefined): string {
  if (id === undefined || id === '') throw new UsageError('ID must not be empty');
  return id;
}

export const ringAddCommand = defineAdminCommand({
  name: ['ring', 'add'],
  summary: 'Add a director to the ring at run time: every director starts gossiping with it.',
  json: MEMBERSHIP_JSON,
  positionals: [
    { name: 'ID', required: true, summary: 'director id (its certificate must name it)' },
    { name: 'ADDRESS', required: true, summary: "the director's gRPC address, host:port" },
  ],
  async execute(api, args, io, json) {
    const id = directorId(args.positionals[0]);
    return reportMembership(io, json, id, 'add', api.addDirector({ id, address: args.positionals[1] ?? '' }));
  },
});

export const ringRemoveCommand = defineAdminCommand({
  name: ['ring', 'remove'],
  summary: 'Remove a director from the ring: the others stop gossiping with it and its probe votes stop counting.',
  json: MEMBERSHIP_JSON,
  positionals: [{ name: 'ID', required: true, summary: 'director id' }],
  async execute(api, args, io, json) {
    const id = directorId(args.positionals[0]);
    return reportMembership(io, json, id, 'remove', api.removeDirector({ id }));
  },
});
