import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { HarnessError } from './errors.js';
import { freePort } from './ports.js';
import { spawnLogged, waitForPort } from './process.js';

/**
 * HAProxy (Debian's haproxy 2.6) in TCP mode in front of directors, as an
 * operator runs it: one frontend per service, each balancing round robin
 * over the directors' matching ports and announcing the client with a PROXY
 * header. Runs in the foreground (`-db`) in its own process group, stopped
 * by PID like every harness process; config and log in its own folder.
 */

/** How a frontend hands the client over. */
export type ProxyHeaderMode =
  /** PROXY protocol v1 (`send-proxy`). */
  | 'v1'
  /** v2 (`send-proxy-v2`). */
  | 'v2'
  /** v2 with the PP2_TYPE_SSL TLV (`send-proxy-v2-ssl`): the frontend terminates the client's TLS. */
  | 'v2-ssl';

export interface HaproxyFrontend {
  readonly name: string;
  readonly mode: ProxyHeaderMode;
  /** The directors' ports this frontend balances over, as host:port. */
  readonly servers: readonly string[];
  /** PEM with certificate and key: the frontend speaks TLS to clients (with 'v2-ssl'). */
  readonly tlsPem?: string;
}

export interface StartHaproxyOptions {
  readonly dir: string;
  /** Where clients connect (a 127.0.0.x of its own). */
  readonly bindHost: string;
  /** The address HAProxy connects to the directors from (`source`): not the clients' own, so a test can tell them apart. */
  readonly sourceHost: string;
  readonly frontends: readonly HaproxyFrontend[];
}

export interface HaproxyHandle {
  readonly pid: number;
  readonly host: string;
  readonly configFile: string;
  readonly logFile: string;
  /** The bound port of a frontend by name. */
  port(name: string): number;
  stop(): Promise<void>;
}

const SEND: Record<ProxyHeaderMode, string> = { v1: 'send-proxy', v2: 'send-proxy-v2', 'v2-ssl': 'send-proxy-v2-ssl' };

function safeName(name: string): string {
  if (!/^[a-z0-9_-]+$/.test(name)) throw new HarnessError('bad_input', `haproxy frontend name ${JSON.stringify(name)}`);
  return name;
}

/** haproxy.cfg for the frontends on their ports. */
export function haproxyConfig(opts: StartHaproxyOptions, ports: ReadonlyMap<string, number>): string {
  const lines = [
    '# Written by test/harness/haproxy.ts',
    'global',
    '  maxconn 2000',
    '  nbthread 1',
    'defaults',
    '  mode tcp',
    '  timeout connect 5s',
    '  timeout client 60s',
    '  timeout server 60s',
  ];
  for (const f of opts.frontends) {
    const name = safeName(f.name);
    const tls = f.tlsPem === undefined ? '' : ` ssl crt ${f.tlsPem}`;
    lines.push(`frontend fe_${name}`, `  bind ${opts.bindHost}:${ports.get(name)}${tls}`, `  default_backend be_${name}`);
    lines.push(`backend be_${name}`, '  balance roundrobin', `  source ${opts.sourceHost}`);
    f.servers.forEach((server, i) => lines.push(`  server s${i + 1} ${server} ${SEND[f.mode]}`));
  }
  return `${lines.join('\n')}\n`;
}

/** One PEM file with a certificate and its key, as HAProxy's `crt` wants it. */
export async function haproxyPem(cert: string, key: string, out: string): Promise<string> {
  await writeFile(out, `${await readFile(cert, 'utf8')}\n${await readFile(key, 'utf8')}`, { mode: 0o600 });
  return out;
}

export async function startHaproxy(opts: StartHaproxyOptions): Promise<HaproxyHandle> {
  await mkdir(opts.dir, { recursive: true });
  const ports = new Map<string, number>();
  for (const f of opts.frontends) ports.set(safeName(f.name), await freePort(opts.bindHost));
  const configFile = join(opts.dir, 'haproxy.cfg');
  const logFile = join(opts.dir, 'haproxy.log');
  await writeFile(configFile, haproxyConfig(opts, ports));
  const proc = spawnLogged({ name: 'haproxy', command: '/usr/sbin/haproxy', args: ['-f', configFile, '-db'], logFile });
  try {
    for (const port of ports.values()) await waitForPort(opts.bindHost, port, 10_000, { alive: proc.alive, what: 'haproxy', logFile });
  } catch (err) {
    await proc.kill();
    throw err;
  }
  return {
    pid: proc.pid,
    host: opts.bindHost,
    configFile,
    logFile,
    port: (name) => {
      const port = ports.get(name);
      if (port === undefined) throw new HarnessError('bad_input', `haproxy has no frontend ${name}`);
      return port;
    },
    stop: () => proc.stop(),
  };
}
