import { PROTOCOL_SPECS } from '../../core/protocol.js';
import type { RingChangeResponse__Output } from '../../adapters/grpc/generated/maildirector/admin/v1/RingChangeResponse.js';
import type { AdminOverride } from '../../adapters/grpc/generated/maildirector/admin/v1/AdminOverride.js';
import type { AdminApi } from '../../adapters/grpc/admin-client.js';
import { UsageError } from '../args.js';
import type { ParsedArgs } from '../args.js';
import { EXIT } from './command.js';
import type { AdminCommand, CliIo } from './command.js';
import { defineAdminCommand } from './common.js';
import { jsonLine } from './format.js';
import { PLAN_JSON, PLAN_OPTIONS, planChange, planOptionsNeedDryRun } from './ring-plan.js';

export interface RingChangeJson {
  readonly backend: string;
  readonly action: 'add' | 'remove' | 'weight' | 'up' | 'down' | 'flush';
  readonly applied: number;
  readonly acked_by: readonly string[];
  readonly not_acked: readonly string[];
  readonly down: readonly string[];
  /** Backends waiting for their first probe verdict: no users until one says up. */
  readonly pending: readonly string[];
  /** flush only: ring users sent from the backend to their ring placement. */
  readonly moved_users?: number;
  /** add only: the host as the ring keeps it, and the addresses a host name resolved to (empty for an IP). */
  readonly host?: string;
  readonly addresses?: readonly string[];
}

const CHANGE_JSON =
  '{"backend": id, "action": "add"|"remove"|"weight"|"up"|"down"|"flush", "applied": entries written, ' +
  '"acked_by": [director ids that applied it], "not_acked": [live directors that did not answer in time], ' +
  '"down": [backends out of the effective ring after the change], "pending": [new backends waiting for probes: no users until one says up], ' +
  '"moved_users" (flush only): ring users with sessions there sent to their ring placement, ' +
  '"host", "addresses" (add only): the host kept and the addresses a host name resolved to ([] for an IP address)}. ' +
  'Exit 1 when not_acked is not empty.';

/** How `backend add` checked the host: an IP address as given, or what the name resolved to. */
function addedText(c: RingChangeJson): string | undefined {
  if (c.host === undefined) return undefined;
  const addresses = c.addresses ?? [];
  if (addresses.length === 0) return `backend ${c.backend} added (${c.host})`;
  return `backend ${c.backend} added: host ${c.host} resolves to ${addresses.join(', ')}`;
}

export function changeText(c: RingChangeJson): string {
  const acks = c.acked_by.length === 0 ? 'no other live director' : `acked by ${c.acked_by.join(', ')}`;
  const lines: string[] = [];
  const added = addedText(c);
  if (added !== undefined) lines.push(added);
  lines.push(`backend ${c.backend}: ${c.action} applied (${acks})`);
  if (c.not_acked.length > 0) lines.push(`warning: not acknowledged by ${c.not_acked.join(', ')}; they catch up when their links return`);
  lines.push(`down now: ${c.down.length === 0 ? 'none' : c.down.join(', ')}`);
  if (c.pending.length > 0) lines.push(`new, waiting for probes (no users until a probe says up): ${c.pending.join(', ')}`);
  if (c.moved_users !== undefined) lines.push(`users moved to their ring placement: ${c.moved_users}`);
  return `${lines.join('\n')}\n`;
}

function backendId(args: ParsedArgs): string {
  const id = args.positionals[0] ?? '';
  if (id === '') throw new UsageError('ID must not be empty');
  return id;
}

function wholeNumber(text: string, what: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${what} must be a whole number, got "${text}"`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`${what} must be ${min}..${max}`);
  return n;
}

async function report(
  io: CliIo,
  json: boolean,
  backend: string,
  action: RingChangeJson['action'],
  response: Promise<RingChangeResponse__Output>,
  host?: string,
): Promise<number> {
  const r = await response;
  const c: RingChangeJson = {
    backend,
    action,
    applied: r.applied,
    acked_by: r.ackedBy,
    not_acked: r.notAcked,
    down: r.down,
    pending: r.pending,
    ...(action === 'flush' ? { moved_users: r.movedUsers } : {}),
    ...(host === undefined ? {} : { host, addresses: r.addresses }),
  };
  io.stdout(json ? jsonLine(c) : changeText(c));
  return c.not_acked.length === 0 ? EXIT.ok : EXIT.failed;
}

const ID_ARG = [{ name: 'ID', required: true, summary: 'backend id' }];

/** add, remove and weight can be planned first (ring-plan.ts). */
const DRY_RUN_OPTIONS = [
  { name: 'dry-run', summary: 'only plan the change: how many users would move, shares before and after; nothing changes' },
  ...PLAN_OPTIONS,
];
const DRY_RUN_JSON = `${CHANGE_JSON} With --dry-run: ${PLAN_JSON}`;

export const backendAddCommand = defineAdminCommand({
  name: ['backend', 'add'],
  summary: 'Add a backend to the ring (every director); answers once the live directors applied it.',
  json: DRY_RUN_JSON,
  positionals: [...ID_ARG, { name: 'HOST', required: true, summary: 'address the directors connect to' }],
  options: [
    ...DRY_RUN_OPTIONS,
    { name: 'weight', value: 'N', summary: 'share of ring users, 1..10000 (default 100; `backend weight ID 0` after adding gives it no new users)' },
    { name: 'tag', value: 'T', summary: 'director_tag this backend serves (default: the untagged ring)' },
    ...PROTOCOL_SPECS.map((p) => ({ name: `${p.protocol}-port`, value: 'P', summary: `${p.protocol} port (default ${p.defaultPort})` })),
  ],
  async execute(api: AdminApi, args, io, json) {
    const id = backendId(args);
    const host = args.positionals[1] ?? '';
    if (host === '') throw new UsageError('HOST must not be empty');
    const ports: Record<string, number> = {};
    for (const { protocol } of PROTOCOL_SPECS) {
      const given = args.value(`${protocol}-port`);
      if (given !== undefined) ports[protocol] = wholeNumber(given, `--${protocol}-port`, 1, 65_535);
    }
    const weightText = args.value('weight');
    const weight = weightText === undefined ? 100 : wholeNumber(weightText, '--weight', 1, 10_000);
    planOptionsNeedDryRun(args);
    if (args.flag('dry-run')) return planChange(api, io, json, args, { action: 'add', id, host, ports, weight, tag: args.value('tag') ?? '' });
    return report(io, json, id, 'add', api.addBackend({ id, host, ports, weight, tag: args.value('tag') ?? '' }), host);
  },
});

export const backendRemoveCommand = defineAdminCommand({
  name: ['backend', 'remove'],
  summary: 'Remove a backend from the ring; its sessions are ended and its ring users placed elsewhere.',
  json: DRY_RUN_JSON,
  positionals: ID_ARG,
  options: DRY_RUN_OPTIONS,
  async execute(api, args, io, json) {
    const id = backendId(args);
    planOptionsNeedDryRun(args);
    if (args.flag('dry-run')) return planChange(api, io, json, args, { action: 'remove', id });
    return report(io, json, id, 'remove', api.removeBackend({ id }));
  },
});

export const backendWeightCommand = defineAdminCommand({
  name: ['backend', 'weight'],
  summary: "Set a backend's weight (its share of ring users, 0..10000; 0 gives it no new users, `backend down` takes it out).",
  json: DRY_RUN_JSON,
  positionals: [...ID_ARG, { name: 'N', required: true, summary: 'weight 0..10000 (0: no new users)' }],
  options: DRY_RUN_OPTIONS,
  async execute(api, args, io, json) {
    const id = backendId(args);
    const weight = wholeNumber(args.positionals[1] ?? '', 'N', 0, 10_000);
    planOptionsNeedDryRun(args);
    if (args.flag('dry-run')) return planChange(api, io, json, args, { action: 'weight', id, weight });
    return report(io, json, id, 'weight', api.setBackendWeight({ id, weight }));
  },
});

function stateCommand(action: 'up' | 'down' | 'flush', state: AdminOverride, summary: string): AdminCommand {
  return defineAdminCommand({
    name: ['backend', action],
    summary,
    json: CHANGE_JSON,
    positionals: ID_ARG,
    async execute(api, args, io, json) {
      const id = backendId(args);
      return report(io, json, id, action, api.setBackendState({ id, state }));
    },
  });
}

export const backendUpCommand = stateCommand('up', 'ADMIN_OVERRIDE_UP', 'Force a backend up on every director, whatever the probes say (until flush).');
export const backendDownCommand = stateCommand(
  'down',
  'ADMIN_OVERRIDE_DOWN',
  'Take a backend out on every director, whatever the probes say (until flush); its sessions are ended.',
);
export const backendFlushCommand = stateCommand(
  'flush',
  'ADMIN_OVERRIDE_NONE',
  "Clear an operator's up/down (the probes' majority decides again) and send the backend's ring users, kept there by their sessions, to where the ring places them now (their sessions end ring-wide).",
);
