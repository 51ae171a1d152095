import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Secret } from '../core/secret.js';
import { RING_PAGE_HTML } from './ring-page-html.js';
import { answerPlan, type Planner } from './ring-plan-route.js';
import type { RingEventLog } from './ring-events.js';
import type { RingSnapshot } from './ring-snapshot.js';

/**
 * The ring page on listen.http: `/ring` (the page: HTML with its script
 * inline, nothing to build), `/ring/state` (one JSON snapshot) and
 * `/ring/events` (server-sent events, a snapshot after every change). User
 * names only with `?users=1` and the token of http.users_token_file.
 */
export interface RingRoutesDeps {
  readonly snapshot: (showUsers: boolean) => RingSnapshot;
  readonly events: RingEventLog;
  /** undefined: user names are never shown. */
  readonly usersToken: () => Secret | undefined;
  /** /ring/plan (ring-plan-route.ts); absent: 404. */
  readonly plan?: Planner | undefined;
  /** Where a plan that failed unexpectedly is logged. */
  readonly onError?: ((err: unknown) => void) | undefined;
}

/** Re-draw at most this often: presence changes with every login on a busy ring. */
const PUSH_INTERVAL_MS = 250;
/** Lag and "last heard" age even when nothing changes; also keeps proxies from closing the stream. */
const REFRESH_MS = 2_000;
/** More watchers than an operations team has screens. */
const MAX_STREAMS = 64;

type Access = { readonly ok: true; readonly showUsers: boolean } | { readonly ok: false; readonly status: number; readonly message: string };

function sameToken(given: string, token: Secret): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(token.reveal(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

function access(url: URL, req: IncomingMessage, token: Secret | undefined): Access {
  if (url.searchParams.get('users') !== '1') return { ok: true, showUsers: false };
  if (token === undefined) return { ok: false, status: 403, message: 'user names are off: set http.users_token_file to allow them\n' };
  const header = req.headers.authorization;
  const given = header?.startsWith('Bearer ') ? header.slice(7) : (url.searchParams.get('token') ?? '');
  if (!sameToken(given, token)) return { ok: false, status: 403, message: 'user names need the token of http.users_token_file\n' };
  return { ok: true, showUsers: true };
}

export class RingRoutes {
  readonly #deps: RingRoutesDeps;
  readonly #streams = new Set<{ res: ServerResponse; showUsers: boolean }>();
  #pushTimer: NodeJS.Timeout | undefined;
  #lastPush = 0;
  readonly #refresh: NodeJS.Timeout;
  readonly #unsubscribe: () => void;

  constructor(deps: RingRoutesDeps) {
    this.#deps = deps;
    this.#unsubscribe = deps.events.onChange(() => this.#schedulePush());
    this.#refresh = setInterval(() => this.#push(), REFRESH_MS);
    this.#refresh.unref();
  }

  /** Answers the request when it is the ring page's; false leaves it to the caller. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://director.invalid');
    const plan = url.pathname === '/ring/plan' ? this.#deps.plan : undefined;
    if (url.pathname !== '/ring' && url.pathname !== '/ring/state' && url.pathname !== '/ring/events' && plan === undefined) return false;
    // A plan writes nothing, so POSTing the desired list is as safe as a GET.
    const methods = plan === undefined ? ['GET', 'HEAD'] : ['GET', 'POST'];
    if (!methods.includes(req.method ?? '')) {
      res.writeHead(405, { allow: methods.join(', '), 'content-type': 'text/plain' });
      res.end('method not allowed\n');
      return true;
    }
    const allowed = access(url, req, this.#deps.usersToken());
    if (!allowed.ok) {
      res.writeHead(allowed.status, { 'content-type': 'text/plain' });
      res.end(allowed.message);
      return true;
    }
    if (plan !== undefined) {
      answerPlan(req, res, url, plan, allowed.showUsers).catch((err: unknown) => {
        this.#deps.onError?.(err);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('plan failed\n');
      });
    } else if (url.pathname === '/ring') {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        // The page's script and style are inline and it talks only to this director.
        'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
        'referrer-policy': 'no-referrer',
      });
      res.end(RING_PAGE_HTML);
    } else if (url.pathname === '/ring/state') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(this.#deps.snapshot(allowed.showUsers)) + '\n');
    } else {
      this.#openStream(res, allowed.showUsers);
    }
    return true;
  }

  close(): void {
    this.#unsubscribe();
    clearInterval(this.#refresh);
    clearTimeout(this.#pushTimer);
    for (const s of this.#streams) s.res.end();
    this.#streams.clear();
  }

  #openStream(res: ServerResponse, showUsers: boolean): void {
    if (this.#streams.size >= MAX_STREAMS) {
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '10' });
      res.end('too many ring page viewers\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    const stream = { res, showUsers };
    this.#streams.add(stream);
    res.on('close', () => this.#streams.delete(stream));
    res.on('error', () => this.#streams.delete(stream));
    this.#send(stream, undefined);
  }

  #schedulePush(): void {
    if (this.#streams.size === 0 || this.#pushTimer !== undefined) return;
    const wait = Math.max(0, this.#lastPush + PUSH_INTERVAL_MS - Date.now());
    this.#pushTimer = setTimeout(() => {
      this.#pushTimer = undefined;
      this.#push();
    }, wait);
  }

  #push(): void {
    if (this.#streams.size === 0) return;
    this.#lastPush = Date.now();
    const cache = new Map<boolean, string>();
    for (const s of this.#streams) this.#send(s, cache);
  }

  /** One snapshot per kind of viewer per push, however many watch. */
  #send(stream: { res: ServerResponse; showUsers: boolean }, cache: Map<boolean, string> | undefined): void {
    let data = cache?.get(stream.showUsers);
    if (data === undefined) {
      data = JSON.stringify(this.#deps.snapshot(stream.showUsers));
      cache?.set(stream.showUsers, data);
    }
    // A viewer that does not read is dropped rather than buffered without bound.
    if (stream.res.writableLength > 1_000_000) {
      stream.res.destroy();
      this.#streams.delete(stream);
      return;
    }
    stream.res.write(`event: snapshot\ndata: ${data}\n\n`);
  }
}
