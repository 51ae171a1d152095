import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster } from '../../harness/cluster.js';
import type { DirectorHandle } from '../../harness/director.js';
import type { DovecotHandle, LoginEvent } from '../../harness/dovecot.js';
import { LineClient } from '../support/line-client.js';

/** IMAP quoted string (RFC 3501): backslash and DQUOTE escaped. */
export function quoted(s: string): string {
  return `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

export function portOf(director: DirectorHandle, key: 'imap' | 'imaps' | 'grpc'): number {
  const port = director[key];
  if (port === null) throw new TypeError(`director ${director.id} has no ${key} port`);
  return port;
}

/** A raw client on the director's IMAP (or IMAPS) port, past the greeting. */
export async function openImap(director: DirectorHandle, opts: { tls?: boolean; ca?: Buffer } = {}): Promise<{ client: LineClient; greeting: string }> {
  const tls = opts.tls === true;
  const client = await LineClient.connect(director.host, portOf(director, tls ? 'imaps' : 'imap'), tls ? { tls: true, ...(opts.ca === undefined ? {} : { ca: opts.ca }) } : {});
  const greeting = await client.line();
  return { client, greeting };
}

/** Send one tagged command and collect the reply lines up to the tagged one. */
export async function command(client: LineClient, tag: string, text: string, timeoutMs = 10_000): Promise<string[]> {
  client.write(`${tag} ${text}\r\n`);
  return client.until(`${tag} `, timeoutMs);
}

export function lastLine(lines: readonly string[]): string {
  return lines[lines.length - 1] ?? '';
}

/** LOGIN with quoted strings; the tagged reply. */
export async function login(client: LineClient, user: string, password: string, tag = 'a1'): Promise<string> {
  return lastLine(await command(client, tag, `LOGIN ${quoted(user)} ${quoted(password)}`, 15_000));
}

/**
 * Connect, LOGIN, LOGOUT if it worked: the tagged reply without its tag
 * ("OK [CAPABILITY …] Logged in", "NO [AUTHENTICATIONFAILED] …").
 */
export async function loginOnce(director: DirectorHandle, user: string, password: string): Promise<string> {
  const { client } = await openImap(director);
  try {
    const reply = (await login(client, user, password, 'a')).slice(2);
    if (reply.startsWith('OK')) await command(client, 'b', 'LOGOUT');
    return reply;
  } finally {
    client.close();
  }
}

/** Login events for `user` on every backend, by backend id. */
export async function loginCounts(backends: readonly DovecotHandle[], user: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const b of backends) {
    const events = await b.loginEvents();
    counts.set(b.id, events.filter((e) => e.event === 'login' && e.user === user).length);
  }
  return counts;
}

/**
 * The one backend that logged a new login for `user` since `before`; throws
 * when none did within the deadline, or when more than one did.
 */
export async function landedOn(backends: readonly DovecotHandle[], user: string, before: Map<string, number>, timeoutMs = 3000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await loginCounts(backends, user);
    const grown = [...now].filter(([id, n]) => n > (before.get(id) ?? 0)).map(([id]) => id);
    if (grown.length > 1) throw new Error(`${user} logged in on several backends: ${grown.join(', ')}`);
    if (grown.length === 1) return grown[0] as string;
    if (Date.now() > deadline) throw new Error(`no backend logged a login for ${user}`);
    await sleep(50);
  }
}

/** Wait for an event on a backend's log matching `pred`. */
export async function waitEvent(backend: DovecotHandle, pred: (e: LoginEvent) => boolean, timeoutMs = 3000): Promise<LoginEvent> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await backend.loginEvents()).find(pred);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no matching event in ${backend.id}'s log`);
    await sleep(50);
  }
}

/** Wait for the director log to contain a line matching `re`; returns the line. */
export async function waitLog(logFile: string, re: RegExp, timeoutMs = 3000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(logFile, 'utf8');
    const line = text.split('\n').find((l) => re.test(l));
    if (line !== undefined) return line;
    if (Date.now() > deadline) throw new Error(`no log line matching ${re} in ${logFile}`);
    await sleep(50);
  }
}

export function backendById(cluster: Cluster, id: string): DovecotHandle {
  const b = cluster.backends.find((x) => x.id === id);
  if (b === undefined) throw new Error(`no backend ${id}`);
  return b;
}

export function firstDirector(cluster: Cluster): DirectorHandle {
  const d = cluster.directors[0];
  if (d === undefined) throw new Error('cluster has no director');
  return d;
}
