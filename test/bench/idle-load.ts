/**
 * Idle-session memory benchmark (issue 4: "≤ 6 KB per idle proxied plain
 * connection, ≤ 40 KB with TLS on the client side; 100,000 idle IMAP
 * sessions held by one director"). Run through scripts/bench-idle, which
 * raises the open-file limit first. Two roles in one file:
 *
 * - orchestrator (default): starts the stand-in backend
 *   (test/bench/standin-backend.ts) on 127.0.1.1-8, one director (passwd-file
 *   passdb, ring of those backends, log level warn) with a small hook loaded
 *   through NODE_OPTIONS=--import that reports process.memoryUsage() after a
 *   full GC on SIGUSR2 and writes a heap snapshot on SIGWINCH; warms the
 *   director up, measures, starts the load, measures again, prints KB per session.
 * - `--worker`: the load, a separate process: N connections with bounded
 *   concurrency, source addresses spread over 127.0.2.x (no 4-tuple runs
 *   out), each LOGIN then IDLE until "+ idling", then held until stdin closes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createCa } from '../harness/certs.js';
import { REPO_ROOT, startDirector, TSX_LOADER, type DirectorHandle } from '../harness/director.js';
import { freePort } from '../harness/ports.js';
import { spawnLogged, waitForPort, type ProcessHandle } from '../harness/process.js';

const THIS_FILE = fileURLToPath(import.meta.url);
const PASSWORD = 'idle-pass';
const SESSION_TIMEOUT_MS = 120_000;

// ---------------------------------------------------------------- one session

export interface SessionTarget {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly ca: Buffer | undefined;
}

class SessionError extends Error {
  override readonly name = 'SessionError';
}

/** Connect from `localAddress`, LOGIN, IDLE; resolves with the socket once "+ idling" (any `+`) arrived. */
export function openIdleSession(target: SessionTarget, localAddress: string, user: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const raw = netConnect({ host: target.host, port: target.port, localAddress });
    // tls.connect has no localAddress: it runs over our own TCP socket.
    const socket = target.tls ? tlsConnect({ socket: raw, host: target.host, ...(target.ca === undefined ? {} : { ca: target.ca }) }) : raw;
    let stage = 0;
    let buffered = '';
    const fail = (why: string): void => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.on('error', ignore);
      raw.on('error', ignore);
      socket.destroy();
      raw.destroy();
      reject(new SessionError(why));
    };
    const timer = setTimeout(() => fail(`timeout in stage ${['greeting', 'login', 'idle'][stage] ?? stage}`), SESSION_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('latin1');
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl).replace(/\r$/, '');
        buffered = buffered.slice(nl + 1);
        if (stage === 0) {
          if (!line.startsWith('* OK')) return fail(`greeting: ${line.slice(0, 80)}`);
          stage = 1;
          socket.write(`a LOGIN ${user} ${PASSWORD}\r\n`);
        } else if (stage === 1) {
          if (!line.startsWith('a ')) continue;
          if (!line.startsWith('a OK')) return fail(`login: ${line.slice(0, 80)}`);
          stage = 2;
          socket.write('b IDLE\r\n');
        } else {
          if (line.startsWith('b ')) return fail(`idle: ${line.slice(0, 80)}`);
          if (!line.startsWith('+')) continue;
          clearTimeout(timer);
          socket.removeListener('data', onData);
          socket.removeListener('error', onError);
          socket.removeListener('close', onClose);
          socket.on('error', ignore);
          socket.on('close', onHeldClose);
          resolve(socket);
          return;
        }
      }
    };
    const onError = (err: Error): void => fail(err.message);
    const onClose = (): void => fail(`closed in stage ${stage}`);
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
  });
}

function ignore(): void {
  // errors of held or abandoned sockets are counted through 'close'
}

let heldClosed = 0;
function onHeldClose(): void {
  heldClosed++;
}

export function sourceAddress(i: number, sources: number, thirdOctet = 2): string {
  return `127.0.${thirdOctet}.${(i % sources) + 1}`;
}

// ---------------------------------------------------------------- worker

interface WorkerResult {
  readonly type: 'holding';
  readonly requested: number;
  readonly up: number;
  readonly errors: number;
  readonly ms: number;
  readonly errorSamples: Record<string, number>;
}

async function runWorker(args: { host: string; port: number; tls: boolean; ca: string | undefined; n: number; concurrency: number; sources: number; userOffset: number }): Promise<void> {
  const target: SessionTarget = { host: args.host, port: args.port, tls: args.tls, ca: args.ca === undefined ? undefined : readFileSync(args.ca) };
  const held: Socket[] = [];
  const samples = new Map<string, number>();
  let errors = 0;
  let next = 0;
  const started = Date.now();
  const progress = setInterval(() => {
    process.stderr.write(`idle-load: ${held.length} up, ${errors} errors, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  }, 5000);
  const lane = async (): Promise<void> => {
    while (next < args.n) {
      const i = next++;
      try {
        held.push(await openIdleSession(target, sourceAddress(i, args.sources), `u${i + args.userOffset}`));
      } catch (err: unknown) {
        errors++;
        // Group messages by their shape, not by the numbers in them.
        const key = (err instanceof Error ? err.message : String(err)).replace(/\d+/g, '#');
        samples.set(key, (samples.get(key) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(args.concurrency, args.n) }, lane));
  clearInterval(progress);
  const result: WorkerResult = { type: 'holding', requested: args.n, up: held.length, errors, ms: Date.now() - started, errorSamples: Object.fromEntries(samples) };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // Hold until the orchestrator closes our stdin (or kills us).
  process.stdin.resume();
  process.stdin.on('end', () => {
    process.stderr.write(`idle-load: releasing ${held.length} sessions (${heldClosed} had closed while held)\n`);
    for (const socket of held) socket.destroy();
    process.exit(0);
  });
}

// ---------------------------------------------------------------- orchestrator

interface MemorySample {
  readonly rssKb: number;
  readonly fds: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly rss: number;
}

/** Loaded into the director: full GC then memory figures on SIGUSR2; full GC and heap snapshot N on the Nth SIGWINCH. */
const HOOK = `
import { renameSync, writeFileSync } from 'node:fs';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');
const memOut = process.env.MD_IDLE_MEM_OUT;
const snapOut = process.env.MD_IDLE_SNAPSHOT_OUT;
process.on('SIGUSR2', () => {
  gc();
  writeFileSync(memOut + '.tmp', JSON.stringify(process.memoryUsage()));
  renameSync(memOut + '.tmp', memOut);
});
let snapshots = 0;
process.on('SIGWINCH', () => {
  gc();
  const out = snapOut + '-' + ++snapshots + '.heapsnapshot';
  writeHeapSnapshot(out + '.tmp');
  renameSync(out + '.tmp', out);
});
`;

function vmRssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

async function waitForFile(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${timeoutMs} ms`);
    await sleep(50);
  }
}

async function sample(pid: number, memOut: string): Promise<MemorySample> {
  await rm(memOut, { force: true });
  process.kill(pid, 'SIGUSR2');
  await waitForFile(memOut, 60_000);
  const mem = JSON.parse(await readFile(memOut, 'utf8')) as Omit<MemorySample, 'rssKb' | 'fds'>;
  return { ...mem, rssKb: vmRssKb(pid), fds: fdCount(pid) };
}

function openFileLimit(): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return m === null || m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1]);
}

/** Read the worker's stdout until it reports it is holding. */
function awaitHolding(child: ChildProcess): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      buffered += chunk;
      const nl = buffered.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(buffered.slice(0, nl)) as WorkerResult);
    });
    child.once('exit', (code) => reject(new Error(`load worker exited (${code}) before holding`)));
  });
}

const kb = (bytes: number): number => bytes / 1024;
const fmt = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

async function runOrchestrator(opts: { n: number; tls: boolean; concurrency: number; backends: number; sources: number; snapshot: boolean; out: string | undefined; keep: boolean }): Promise<void> {
  // The director holds 2 descriptors per session (client and backend socket).
  const limit = openFileLimit();
  const maxN = Math.floor((limit - 512) / 2);
  let n = opts.n;
  if (n > maxN) {
    process.stderr.write(
      `bench-idle: WARNING: open-file limit is ${limit}; the director needs 2 per session, so N is lowered from ${n} to ${maxN}` +
        ' (raise the hard limit, e.g. as root outside a container, to run the full count)\n',
    );
    n = maxN;
  }
  const dir = await mkdtemp(join(tmpdir(), 'md-bench-idle-'));
  let standin: ProcessHandle | undefined;
  let director: DirectorHandle | undefined;
  let worker: ChildProcess | undefined;
  try {
    const ca = await createCa(join(dir, 'ca'), 'idle-ca');
    const backendHosts = Array.from({ length: opts.backends }, (_, i) => `127.0.1.${i + 1}`);
    const backendPort = await freePort(backendHosts[0]);
    standin = spawnLogged({
      name: 'standin backend',
      command: process.execPath,
      args: ['--import', TSX_LOADER, join(REPO_ROOT, 'test/bench/standin-backend.ts'), '--hosts', backendHosts.join(','), '--port', String(backendPort)],
      logFile: join(dir, 'standin.log'),
      cwd: REPO_ROOT,
    });
    for (const host of backendHosts) await waitForPort(host, backendPort, 20_000, { alive: standin.alive, what: 'standin backend', logFile: standin.logFile });

    // Distinct users, routed by the ring over the stand-in's addresses.
    const users = n + 1000;
    const lines: string[] = [];
    for (let i = 0; i < users; i++) lines.push(`u${i}:{PLAIN}${PASSWORD}::::::`);
    const usersFile = join(dir, 'users');
    await writeFile(usersFile, `${lines.join('\n')}\n`);

    const hookFile = join(dir, 'memory-hook.mjs');
    await writeFile(hookFile, HOOK);
    const memOut = join(dir, 'memory.json');
    const snapshotBase = join(dir, `director-${opts.tls ? 'tls' : 'plain'}-${n}`);
    const takeSnapshot = async (pid: number, index: number): Promise<string> => {
      const file = `${snapshotBase}-${index}.heapsnapshot`;
      process.kill(pid, 'SIGWINCH');
      await waitForFile(file, 600_000);
      return file;
    };
    const savedEnv = { ...process.env };
    process.env['NODE_OPTIONS'] = `${savedEnv['NODE_OPTIONS'] ?? ''} --import ${hookFile}`.trim();
    process.env['MD_IDLE_MEM_OUT'] = memOut;
    process.env['MD_IDLE_SNAPSHOT_OUT'] = snapshotBase;
    try {
      director = await startDirector({
        dir: join(dir, 'director'),
        id: 'idle',
        ca,
        ldap: { url: 'ldap://127.0.0.1:1', bindDn: 'cn=unused', bindPassword: 'unused', peopleDn: 'dc=unused' },
        backends: backendHosts.map((host, i) => ({ id: `s${i + 1}`, host, imap: backendPort, pop3: backendPort })),
        listen: [opts.tls ? 'imaps' : 'imap'],
        logLevel: 'warn',
        readyTimeoutMs: 60_000,
        overrides: {
          passdb: {
            driver: 'passwd-file',
            path: usersFile,
            ...Object.fromEntries(['uris', 'bind_dn', 'bind_password', 'base', 'scope', 'filter', 'auth_bind', 'password_attribute', 'fields', 'timeout', 'connect_timeout'].map((k) => [k, null])),
          },
        },
      });
    } finally {
      process.env = savedEnv;
    }
    const port = (opts.tls ? director.imaps : director.imap) as number;
    const target: SessionTarget = { host: director.host, port, tls: opts.tls, ca: readFileSync(ca.cert) };

    // Warm-up: the ring needs its first probes, the passwd-file is read on the
    // first login, and the JIT should have seen the login path; then let it all close.
    const warmupDeadline = Date.now() + 30_000;
    for (;;) {
      try {
        (await openIdleSession(target, '127.0.3.1', 'u0')).destroy();
        break;
      } catch (err: unknown) {
        if (Date.now() > warmupDeadline) throw err;
        await sleep(250);
      }
    }
    const warm = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => openIdleSession(target, sourceAddress(i, 4, 3), `u${n + i}`)));
    for (const r of warm) if (r.status === 'fulfilled') r.value.destroy();
    await sleep(3000);

    const before = await sample(director.pid, memOut);
    // Taken after the memory sample, so its own garbage is not in the figures.
    const snapshotBefore = opts.snapshot ? await takeSnapshot(director.pid, 1) : undefined;
    const standinFdsBefore = fdCount(standin.pid);
    process.stderr.write(`bench-idle: director ready (RSS ${fmt(before.rssKb / 1024)} MB); opening ${n} ${opts.tls ? 'TLS' : 'plain'} sessions\n`);

    worker = spawn(
      process.execPath,
      [
        '--max-old-space-size=8192',
        '--import',
        TSX_LOADER,
        THIS_FILE,
        '--worker',
        '--host',
        director.host,
        '--port',
        String(port),
        ...(opts.tls ? ['--tls', '--ca', ca.cert] : []),
        '--n',
        String(n),
        '--concurrency',
        String(opts.concurrency),
        '--sources',
        String(opts.sources),
      ],
      { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const held = await awaitHolding(worker);
    await sleep(3000);
    const after = await sample(director.pid, memOut);
    const standinSessions = fdCount(standin.pid) - standinFdsBefore;
    const up = held.up;
    const per = (a: number, b: number): number => (up > 0 ? (b - a) / up : Number.NaN);
    const result = {
      when: new Date().toISOString(),
      node: process.version,
      mode: opts.tls ? 'tls' : 'plain',
      requested: opts.n,
      n,
      up,
      errors: held.errors,
      errorSamples: held.errorSamples,
      openSeconds: held.ms / 1000,
      openPerSecond: up / (held.ms / 1000),
      backendSessions: standinSessions,
      directorFds: { before: before.fds, after: after.fds },
      before,
      after,
      kbPerSession: {
        rss: per(before.rssKb, after.rssKb),
        heapUsed: kb(per(before.heapUsed, after.heapUsed)),
        heapTotal: kb(per(before.heapTotal, after.heapTotal)),
        external: kb(per(before.external, after.external)),
        arrayBuffers: kb(per(before.arrayBuffers, after.arrayBuffers)),
        // RSS outside the V8 heap (native sockets, TLS state, allocator).
        rssMinusHeapTotal: per(before.rssKb - kb(before.heapTotal), after.rssKb - kb(after.heapTotal)),
      },
      snapshots: opts.snapshot ? [snapshotBefore, await takeSnapshot(director.pid, 2)] : undefined,
    };

    const k = result.kbPerSession;
    process.stdout.write(
      [
        `idle ${result.mode} IMAP sessions through one director (${result.node})`,
        `  sessions     ${up} up of ${n} requested${n !== opts.n ? ` (asked for ${opts.n}; capped by the open-file limit)` : ''}, ${held.errors} errors, opened in ${fmt(result.openSeconds)} s (${fmt(result.openPerSecond, 0)}/s); backend connections +${standinSessions}; director fds ${before.fds} → ${after.fds}`,
        ...(held.errors > 0 ? [`  errors       ${JSON.stringify(held.errorSamples)}`] : []),
        `  director RSS ${fmt(before.rssKb / 1024)} MB → ${fmt(after.rssKb / 1024)} MB: ${fmt(k.rss, 2)} KB per session`,
        `  V8 heap used ${fmt(before.heapUsed / 2 ** 20)} MB → ${fmt(after.heapUsed / 2 ** 20)} MB: ${fmt(k.heapUsed, 2)} KB per session (heap total ${fmt(k.heapTotal, 2)} KB)`,
        `  external     ${fmt(k.external, 2)} KB per session (array buffers ${fmt(k.arrayBuffers, 2)} KB)`,
        `  RSS − V8 heap total: ${fmt(k.rssMinusHeapTotal, 2)} KB per session (native: sockets, TLS, allocator)`,
        ...(result.snapshots === undefined
          ? []
          : [`  heap snapshots (before, after) ${result.snapshots.join(' ')}`, '  (taking a snapshot grows RSS: use a run without --snapshot for the RSS figure)']),
      ].join('\n') + '\n',
    );
    const out = opts.out ?? join(REPO_ROOT, '.bench', `idle-${result.mode}-${n}-${result.when.replace(/[:.]/g, '-')}.json`);
    await mkdir(join(out, '..'), { recursive: true });
    await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
    process.stderr.write(`bench-idle: wrote ${out}\n`);
  } finally {
    if (worker !== undefined && worker.exitCode === null) {
      const exited = new Promise<void>((resolve) => worker?.once('exit', () => resolve()));
      worker.stdin?.end();
      const timer = setTimeout(() => worker?.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    await director?.stop();
    await standin?.stop();
    if (!opts.keep && !opts.snapshot) await rm(dir, { recursive: true, force: true });
    else process.stderr.write(`bench-idle: kept ${dir}\n`);
  }
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      worker: { type: 'boolean', default: false },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
      tls: { type: 'boolean', default: false },
      ca: { type: 'string' },
      n: { type: 'string', default: '100000' },
      concurrency: { type: 'string', default: '500' },
      sources: { type: 'string', default: '16' },
      'user-offset': { type: 'string', default: '0' },
      backends: { type: 'string', default: '8' },
      snapshot: { type: 'boolean', default: false },
      out: { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'scripts/bench-idle [--n N] [--tls] [--concurrency C] [--sources S] [--backends B] [--snapshot] [--keep] [--out FILE]\n' +
        '  --n            idle sessions to hold (default 100000; capped by the open-file limit)\n' +
        '  --tls          clients use implicit TLS (imaps); the director talks plain to the stand-in\n' +
        '  --concurrency  logins in flight (default 500)\n' +
        '  --sources      client source addresses 127.0.2.1..S (default 16, ~28k ports each)\n' +
        '  --backends     stand-in addresses 127.0.1.1..B (default 8)\n' +
        '  --snapshot     V8 heap snapshots of the director before and with the sessions up (temp dir is kept)\n',
    );
    return;
  }
  const int = (name: string, text: string, min: number): number => {
    const v = Number(text);
    if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
    return v;
  };
  const n = int('n', values.n, 1);
  const concurrency = int('concurrency', values.concurrency, 1);
  const sources = int('sources', values.sources, 1);
  if (sources > 254) throw new Error('--sources must be ≤ 254');
  if (values.worker) {
    await runWorker({ host: values.host, port: int('port', values.port, 1), tls: values.tls, ca: values.ca, n, concurrency, sources, userOffset: int('user-offset', values['user-offset'], 0) });
    return;
  }
  const backends = int('backends', values.backends, 1);
  if (backends > 254) throw new Error('--backends must be ≤ 254');
  await runOrchestrator({ n, tls: values.tls, concurrency, backends, sources, snapshot: values.snapshot, out: values.out, keep: values.keep });
}

main().catch((err: unknown) => {
  process.stderr.write(`idle-load: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
