import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from './errors.js';

export interface SpawnOptions {
  /** Short label for messages, e.g. "slapd" or "dovecot b1". */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** stdout and stderr are appended here; the child holds none of our streams. */
  readonly logFile: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Outlive this Node process (dev-cluster up): the child is unref'd and is
   * not killed when we exit. Otherwise it is killed by `stopAll()` and, as a
   * last resort, when this process exits.
   */
  readonly detached?: boolean;
  /** Run as this user and group (root starting a database server that refuses root). */
  readonly uid?: number;
  readonly gid?: number;
}

export interface ProcessHandle {
  readonly name: string;
  readonly pid: number;
  /** The child leads its own process group; signals go to the whole group (Dovecot forks). */
  readonly pgid: number;
  /** /proc start time, so a later `down` can tell this process from a reused PID. */
  readonly startTime: string | undefined;
  readonly logFile: string;
  readonly detached: boolean;
  alive(): boolean;
  signal(signal: NodeJS.Signals): void;
  /** SIGSTOP the group: the process keeps its sockets but answers nothing. */
  pause(): void;
  resume(): void;
  /** SIGTERM the group, SIGKILL after `timeoutMs`, wait until every member is gone. */
  stop(timeoutMs?: number): Promise<void>;
  /** SIGKILL the group and wait until it is gone (a crash). */
  kill(): Promise<void>;
}

interface Stoppable {
  readonly name: string;
  stop(): Promise<void>;
}

const registry = new Set<Stoppable>();
const killOnExit = new Set<number>();

process.on('exit', () => {
  for (const pgid of killOnExit) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Track anything that must be stopped by `stopAll()` (processes register themselves). */
export function register(item: Stoppable): void {
  registry.add(item);
}

export function unregister(item: Stoppable): void {
  registry.delete(item);
}

/** Stop everything started through this module (newest first); for `after()` hooks. */
export async function stopAll(): Promise<void> {
  const items = [...registry].reverse();
  registry.clear();
  const failures: unknown[] = [];
  for (const item of items) {
    try {
      await item.stop();
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length > 0) {
    throw new HarnessError('command_failed', `stopAll: ${failures.length} item(s) failed to stop`, {
      cause: failures[0],
    });
  }
}

interface ProcStat {
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
  readonly startTime: string;
}

function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may contain spaces and parentheses; fields restart after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const ppid = Number(fields[1]);
  const pgrp = Number(fields[2]);
  const startTime = fields[19];
  if (state === undefined || startTime === undefined || !Number.isInteger(pgrp)) return undefined;
  return { state, ppid, pgrp, startTime };
}

/** The /proc start time of `pid` (clock ticks since boot), or undefined when it is not running. */
export function processStartTime(pid: number): string | undefined {
  return procStat(pid)?.startTime;
}

/** True while `pid` runs; a zombie counts as gone (nobody may reap it in a container). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPERM') return true;
    return false;
  }
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/** Live (non-zombie) members of process group `pgid`. */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const stat = procStat(pid);
    if (stat !== undefined && stat.pgrp === pgid && stat.state !== 'Z') members.push(pid);
  }
  return members;
}

/** Live children of `pid`, for servers whose workers leave its process group (PostgreSQL's call setsid()). */
export function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const child = Number(entry);
    if (!Number.isInteger(child) || child <= 0) continue;
    const stat = procStat(child);
    if (stat !== undefined && stat.ppid === pid && stat.state !== 'Z') children.push(child);
  }
  return children;
}

/** Signal `pid` and its children, each on its own (not as a group). */
export function signalWithChildren(pid: number, signal: NodeJS.Signals): void {
  for (const target of [pid, ...childrenOf(pid)]) sendSignal(target, signal, false);
}

function sendSignal(pid: number, signal: NodeJS.Signals, group: boolean): void {
  try {
    process.kill(group ? -pid : pid, signal);
  } catch {
    if (!group) return;
    try {
      process.kill(pid, signal);
    } catch {
      // gone
    }
  }
}

async function waitGone(pid: number, group: boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const gone = !isAlive(pid) && (!group || groupMembers(pid).length === 0);
    if (gone) return true;
    if (Date.now() >= deadline) return false;
    await sleep(20);
  }
}

export interface KillOptions {
  /** Signal the process group led by `pid` (default true: our children lead their groups). */
  readonly group?: boolean;
  /** Wait this long after `signal` before SIGKILL (default 5000). */
  readonly timeoutMs?: number;
  /** When given, do nothing unless `pid` is still the process that had this /proc start time. */
  readonly startTime?: string;
}

/**
 * Send `signal` to `pid` (its group by default), wait for it to go, SIGKILL
 * after the timeout. Returns false when there was nothing (or something else) to kill.
 */
export async function killPid(pid: number, signal: NodeJS.Signals = 'SIGTERM', opts: KillOptions = {}): Promise<boolean> {
  const group = opts.group ?? true;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const leaderAlive = isAlive(pid);
  if (opts.startTime !== undefined && leaderAlive && processStartTime(pid) !== opts.startTime) return false;
  if (!leaderAlive && (!group || groupMembers(pid).length === 0)) return false;
  sendSignal(pid, signal, group);
  // A stopped (paused) process does not act on SIGTERM until continued.
  if (signal !== 'SIGKILL' && signal !== 'SIGSTOP') sendSignal(pid, 'SIGCONT', group);
  if (await waitGone(pid, group, timeoutMs)) return true;
  sendSignal(pid, 'SIGKILL', group);
  if (await waitGone(pid, group, 3000)) return true;
  throw new HarnessError('command_failed', `pid ${pid} survived SIGKILL`);
}

/** Last `lines` lines of a log file, for error messages. */
export function logTail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines - 1).join('\n');
  } catch {
    return '(no log)';
  }
}

export function spawnLogged(opts: SpawnOptions): ProcessHandle {
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const fd = openSync(opts.logFile, 'a');
  let child;
  try {
    child = spawn(opts.command, [...opts.args], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', fd, fd],
      // Always a new process group, so a stop reaches forked workers too.
      detached: true,
      ...(opts.uid === undefined ? {} : { uid: opts.uid }),
      ...(opts.gid === undefined ? {} : { gid: opts.gid }),
    });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) {
    throw new HarnessError('spawn_failed', `${opts.name}: could not spawn ${opts.command}`);
  }
  child.on('error', () => {
    // surfaced through alive() / waitForPort
  });
  const detached = opts.detached ?? false;
  if (detached) child.unref();
  else killOnExit.add(pid);

  let stopping: Promise<void> | undefined;
  const handle: ProcessHandle = {
    name: opts.name,
    pid,
    pgid: pid,
    startTime: processStartTime(pid),
    logFile: opts.logFile,
    detached,
    alive: () => isAlive(pid),
    signal: (signal) => sendSignal(pid, signal, true),
    pause: () => sendSignal(pid, 'SIGSTOP', true),
    resume: () => sendSignal(pid, 'SIGCONT', true),
    stop: (timeoutMs = 5000) => {
      stopping ??= (async () => {
        await killPid(pid, 'SIGTERM', { timeoutMs });
        killOnExit.delete(pid);
        unregister(handle);
      })();
      return stopping;
    },
    kill: async () => {
      await killPid(pid, 'SIGKILL');
      killOnExit.delete(pid);
      unregister(handle);
    },
  };
  if (!detached) register(handle);
  return handle;
}

function tryConnect(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return tryConnectTo({ host, port }, timeoutMs);
}

function tryConnectTo(to: { host: string; port: number } | { path: string }, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(to);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

export interface WaitOptions {
  /** Give up early when this says the server died. */
  readonly alive?: () => boolean;
  /** For the error message. */
  readonly what?: string;
  readonly logFile?: string;
}

/** Resolve once a TCP connect to host:port succeeds; reject after `timeoutMs`. */
/** Like waitForPort, for a unix socket. */
export async function waitForSocket(path: string, timeoutMs = 5000, opts: WaitOptions = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const what = opts.what ?? 'server';
  for (;;) {
    if (await tryConnectTo({ path }, Math.max(50, Math.min(1000, deadline - Date.now())))) return;
    const tail = opts.logFile === undefined ? '' : `\n${logTail(opts.logFile)}`;
    if (opts.alive !== undefined && !opts.alive()) throw new HarnessError('exited_early', `${what} exited before ${path} answered${tail}`);
    if (Date.now() >= deadline) throw new HarnessError('not_ready', `${what}: ${path} did not answer within ${timeoutMs} ms${tail}`);
    await sleep(25);
  }
}

export async function waitForPort(host: string, port: number, timeoutMs = 5000, opts: WaitOptions = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const what = opts.what ?? 'server';
  for (;;) {
    if (await tryConnect(host, port, Math.max(50, Math.min(1000, deadline - Date.now())))) return;
    const tail = opts.logFile === undefined ? '' : `\n${logTail(opts.logFile)}`;
    if (opts.alive !== undefined && !opts.alive()) {
      throw new HarnessError('exited_early', `${what} exited before ${host}:${port} answered${tail}`);
    }
    if (Date.now() >= deadline) {
      throw new HarnessError('not_ready', `${what}: ${host}:${port} did not answer within ${timeoutMs} ms${tail}`);
    }
    await sleep(25);
  }
}
