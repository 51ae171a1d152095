// A load generator (load.ts, lmtp-load.ts) as a child process, shared by every bench orchestrator.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from '../harness/director.js';
import { TASKSET } from './procfs.js';

/** The load process failed or said something unexpected (the orchestrator's usage-level error). */
export class LoadError extends Error {
  override readonly name = 'LoadError';
}

/** One load process (load.ts, or `script` such as lmtp-load.ts) running a job; its stdout lines are JSON messages with a `type`. */
export class LoadProcess {
  readonly #lines: string[] = [];
  #wake: (() => void) | undefined;
  #exited = false;
  readonly #child;
  readonly #stderr: string[] = [];

  constructor(job: object, pinned: boolean, script = 'test/bench/load.ts') {
    const node = [process.execPath, '--import', 'tsx', join(REPO_ROOT, script), JSON.stringify(job)];
    const [command, ...args] = pinned && TASKSET !== undefined ? [TASKSET, '-c', '1', ...node] : node;
    this.#child = spawn(command ?? process.execPath, args, { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.#child.stdout }).on('line', (l) => {
      this.#lines.push(l);
      this.#wake?.();
    });
    this.#child.stderr.on('data', (b: Buffer) => this.#stderr.push(b.toString()));
    this.#child.on('exit', () => {
      this.#exited = true;
      this.#wake?.();
    });
  }

  async next(type: string, timeoutMs: number): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.#lines.shift();
      if (line !== undefined) {
        const msg = JSON.parse(line) as Record<string, unknown>;
        if (msg['type'] === type) return msg;
        continue;
      }
      if (this.#exited) throw new LoadError(`load exited before "${type}": ${this.#stderr.join('').slice(-2000)}`);
      if (Date.now() > deadline) {
        this.#child.kill('SIGKILL');
        throw new LoadError(`load: no "${type}" within ${timeoutMs} ms`);
      }
      await Promise.race([new Promise<void>((r) => (this.#wake = r)), sleep(200)]);
    }
  }

  send(command: string): void {
    this.#child.stdin.write(`${command}\n`);
  }

  async done(): Promise<void> {
    if (!this.#exited) await new Promise((r) => this.#child.once('exit', r));
  }
}
