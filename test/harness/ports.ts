import { createServer } from 'node:net';
import { mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Ports below the kernel's ephemeral range: outgoing connections (ours, the
 * backends', LDAP's) take their source ports from that range, so a port the
 * kernel handed out with bind(0) could be taken by one of them before the
 * service we start binds it (seen in CI: EADDRINUSE at director start).
 */
function candidateRange(): { low: number; high: number } {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && Number.isInteger(low) && low > 12_000) return { low: 10_000, high: low - 1 };
  } catch {
    // Not Linux: fall through.
  }
  return { low: 10_000, high: 32_767 };
}

const RANGE = candidateRange();

function tryBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * Ports handed out recently, by any test process on this machine: a port is
 * picked some seconds before its service binds it (a ring's directors all
 * get theirs before the first starts), and two test files running at once
 * picked the same one (seen in CI: EADDRINUSE at director start). A file per
 * port, created exclusively, reserves it for RESERVE_MS.
 */
const RESERVATIONS = join(tmpdir(), 'mail-director-test-ports');
const RESERVE_MS = 10 * 60_000;

function reserve(port: number): boolean {
  const file = join(RESERVATIONS, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      mkdirSync(RESERVATIONS, { recursive: true });
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return true;
    } catch (err: unknown) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return true; // no reservations possible: bind check only
      try {
        if (Date.now() - statSync(file).mtimeMs < RESERVE_MS) return false;
        unlinkSync(file); // stale: take it over
      } catch {
        return false;
      }
    }
  }
  return false;
}

/**
 * A port that is free on `host` now, chosen at random below the ephemeral
 * range so that outgoing connections do not take it, and reserved against
 * the other test processes until the caller has bound it.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = RANGE.low + Math.floor(Math.random() * (RANGE.high - RANGE.low + 1));
    if (!reserve(port)) continue;
    if (await tryBind(host, port)) return port;
  }
  throw new Error(`no free port on ${host} in ${RANGE.low}-${RANGE.high}`);
}

/** `count` distinct free ports on `host`. */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort(host));
  return [...ports];
}
