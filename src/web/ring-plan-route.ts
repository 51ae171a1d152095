import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseDesiredList } from '../admin/plan-input.js';
import { PlanInputError, type PlanOutcome, type PlanRequest, type RingChange } from '../ring/plan.js';

/*
 * /ring/plan on the ring page: GET with one change in the query
 * (`?weight=b1:50`, `?remove=b1`, `?down=b1`, `?up=b1`) or POST the desired
 * backend list as JSON (as ring.backends: id, host, weight, tag, ports,
 * down). The plan covers the users with live sessions (a scan of the whole
 * directory is the CLI's `--ldap`, not a page's); user names only for a
 * viewer the page's token rules allow (ring-routes.ts).
 */

export type Planner = (request: PlanRequest) => Promise<PlanOutcome>;

/** A desired list is a few hundred bytes per backend. */
const MAX_BODY_BYTES = 1_000_000;
const MAX_WEIGHT = 10_000;

function changeFromQuery(url: URL): RingChange {
  const given = ['weight', 'remove', 'down', 'up'].filter((k) => url.searchParams.has(k));
  if (given.length !== 1) throw new PlanInputError('give one of weight=ID:N, remove=ID, down=ID, up=ID (or POST the desired list)');
  const action = given[0] as 'weight' | 'remove' | 'down' | 'up';
  const value = url.searchParams.get(action) ?? '';
  if (action !== 'weight') return { action, id: value };
  const m = /^(.+):(\d{1,5})$/.exec(value);
  const weight = Number(m?.[2]);
  if (m === null || m[1] === undefined || weight > MAX_WEIGHT) throw new PlanInputError(`weight=ID:N with N 0..${MAX_WEIGHT}`);
  return { action: 'weight', id: m[1], weight };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new PlanInputError(`body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new PlanInputError('body is not JSON');
  }
}

/** The plan as the page and scripts read it; `moves` only with user names allowed. */
export function planDocument(plan: PlanOutcome, showUsers: boolean): Record<string, unknown> {
  return {
    source: plan.source,
    placement: plan.placement,
    users: plan.users,
    moved: plan.moved,
    keptBySessions: plan.keptBySessions,
    unplaced: plan.unplaced,
    skipped: plan.skipped,
    shares: plan.shares,
    ...(showUsers ? { moves: plan.moves } : {}),
  };
}

export async function answerPlan(req: IncomingMessage, res: ServerResponse, url: URL, planner: Planner, showUsers: boolean): Promise<void> {
  let status = 200;
  let body: string;
  try {
    const desired: PlanRequest['desired'] =
      req.method === 'POST' ? { backends: parseDesiredList(await readJson(req)) } : { change: changeFromQuery(url) };
    body = `${JSON.stringify(planDocument(await planner({ desired, allUsers: false }), showUsers))}\n`;
  } catch (err) {
    if (!(err instanceof PlanInputError)) throw err;
    status = 400;
    body = `${JSON.stringify({ error: err.message })}\n`;
  }
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(body);
}
