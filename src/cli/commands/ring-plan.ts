import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { AdminApi } from '../../adapters/grpc/admin-client.js';
import type { PlanRingRequest } from '../../adapters/grpc/generated/maildirector/admin/v1/PlanRingRequest.js';
import type { PlanRingResponse__Output } from '../../adapters/grpc/generated/maildirector/admin/v1/PlanRingResponse.js';
import type { PlannedChange } from '../../adapters/grpc/generated/maildirector/admin/v1/PlannedChange.js';
import { desiredToWire, parseDesiredList } from '../../admin/plan-input.js';
import { PlanInputError } from '../../ring/plan.js';
import { UsageError } from '../args.js';
import type { OptionSpec, ParsedArgs } from '../args.js';
import { EXIT } from './command.js';
import type { CliIo } from './command.js';
import { defineAdminCommand } from './common.js';
import { jsonLine, renderTable } from './format.js';

/*
 * `backend add|remove|weight … --dry-run` and `ring plan FILE`: the director
 * plans the change (admin PlanRing) and nothing is written.
 */

export interface PlanJson {
  readonly source: string;
  readonly placement: string;
  readonly users: number;
  readonly moved: number;
  readonly kept_by_sessions: number;
  readonly unplaced: number;
  readonly skipped: number;
  readonly shares: readonly { readonly backend: string; readonly before: number; readonly after: number }[];
  readonly moves?: readonly { readonly user: string; readonly from: string; readonly to: string; readonly kept_by_sessions: boolean }[];
}

export const PLAN_JSON =
  '{"source": "sessions" (users with live sessions) | "passdb" (--ldap: every ring user), "placement": "ketama"|"dovecot", ' +
  '"users": ring users placed, "moved": users whose backend differs after the change, ' +
  '"kept_by_sessions": of moved, users whose live sessions keep them where they are until they end, ' +
  '"unplaced": users no backend would take, "skipped": users whose lookup failed, ' +
  '"shares": [{"backend", "before", "after"}], "moves" (--users only, at most 20000, by user name): [{"user", "from", "to", "kept_by_sessions"}]}. Nothing changes.';

/** Options of every plan: which users, and whether to list them. */
export const PLAN_OPTIONS: readonly OptionSpec[] = [
  { name: 'ldap', summary: "place every ring user of the passdb (a paged LDAP search with the passdb's filter), not only users with live sessions" },
  { name: 'users', summary: 'list the users that would move' },
];

export function planJson(r: PlanRingResponse__Output, listMoves: boolean): PlanJson {
  return {
    source: r.source,
    placement: r.placement,
    users: r.users,
    moved: r.moved,
    kept_by_sessions: r.keptBySessions,
    unplaced: r.unplaced,
    skipped: r.skipped,
    shares: r.shares.map((s) => ({ backend: s.backendId, before: s.before, after: s.after })),
    ...(listMoves ? { moves: r.moves.map((m) => ({ user: m.user, from: m.from, to: m.to, kept_by_sessions: m.keptBySessions })) } : {}),
  };
}

function percent(n: number, of: number): string {
  return of === 0 ? '-' : `${((100 * n) / of).toFixed(1)}%`;
}

export function planText(p: PlanJson): string {
  const who = p.source === 'passdb' ? 'ring users in the passdb' : 'ring users with live sessions';
  const lines = [`plan only, nothing changed (${p.placement} placement)`, `${who}: ${p.users}`];
  lines.push(`would move: ${p.moved} (${percent(p.moved, p.users)})`);
  if (p.kept_by_sessions > 0) lines.push(`  of them kept where they are by live sessions until these end (or backend flush): ${p.kept_by_sessions}`);
  if (p.unplaced > 0) lines.push(`no backend would take: ${p.unplaced}`);
  if (p.skipped > 0) lines.push(`left out, lookup failed: ${p.skipped}`);
  const table = renderTable(
    ['backend', 'before', 'share', 'after', 'share'],
    p.shares.map((s) => [s.backend, String(s.before), percent(s.before, p.users), String(s.after), percent(s.after, p.users)]),
    { right: [1, 2, 3, 4] },
  );
  let out = `${lines.join('\n')}\n${table}`;
  if (p.moves !== undefined && p.moves.length > 0) {
    if (p.moves.length < p.moved) out += `the first ${p.moves.length} of ${p.moved} moves (by user name):\n`;
    out += renderTable(
      ['user', 'from', 'to', 'kept by sessions'],
      p.moves.map((m) => [m.user, m.from === '' ? '-' : m.from, m.to === '' ? '-' : m.to, m.kept_by_sessions ? 'yes' : 'no']),
    );
  }
  return out;
}

/** Ask for the plan and print it. */
export async function runPlan(api: AdminApi, io: CliIo, json: boolean, args: ParsedArgs, desired: Pick<PlanRingRequest, 'change' | 'backends'>): Promise<number> {
  const listMoves = args.flag('users');
  const r = await api.planRing({ ...desired, allUsers: args.flag('ldap'), listMoves });
  const p = planJson(r, listMoves);
  io.stdout(json ? jsonLine(p) : planText(p));
  return EXIT.ok;
}

/** `--ldap` and `--users` say how to plan: without --dry-run they are a mistake. */
export function planOptionsNeedDryRun(args: ParsedArgs): void {
  if (args.flag('dry-run')) return;
  for (const name of ['ldap', 'users']) if (args.flag(name)) throw new UsageError(`--${name} goes with --dry-run`);
}

/** Plan a backend command's change instead of making it. */
export function planChange(api: AdminApi, io: CliIo, json: boolean, args: ParsedArgs, change: PlannedChange): Promise<number> {
  return runPlan(api, io, json, args, { change });
}

async function readDesiredFile(path: string): Promise<PlanRingRequest['backends']> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  let value: unknown;
  try {
    // YAML 1.2 reads JSON as well.
    value = parseYaml(text);
  } catch (err) {
    throw new UsageError(`${path}: not YAML or JSON: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  try {
    return { backends: desiredToWire(parseDesiredList(value)) };
  } catch (err) {
    if (err instanceof PlanInputError) throw new UsageError(`${path}: ${err.message}`);
    throw err;
  }
}

export const ringPlanCommand = defineAdminCommand({
  name: ['ring', 'plan'],
  summary:
    'Plan a desired backend list (YAML or JSON, as ring.backends: id, host, weight, tag, ports, down): how many users would move and each backend\'s share before and after. Nothing changes.',
  json: PLAN_JSON,
  positionals: [{ name: 'FILE', required: true, summary: 'the desired backends: a list, {backends: [...]} or a config file' }],
  options: PLAN_OPTIONS,
  async execute(api, args, io, json) {
    const path = args.positionals[0] ?? '';
    if (path === '') throw new UsageError('FILE must not be empty');
    return runPlan(api, io, json, args, { backends: await readDesiredFile(path) });
  },
});
