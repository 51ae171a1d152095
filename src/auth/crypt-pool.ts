import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { CryptJob, CryptReply, CryptRequest } from './crypt-jobs.js';

/**
 * A few threads for the crypt(3) schemes (SHA-CRYPT, MD5-CRYPT, BLF-CRYPT),
 * which take milliseconds to seconds each by design: on the event loop they
 * would stall every relayed session of the process (Dovecot runs them in
 * its auth worker processes for the same reason). Started on first use;
 * an idle thread does not keep the process alive.
 */

const WORKER_URL = new URL(`./crypt-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/** Threads per process: enough to use a second core, few enough to leave the rest to the relays. */
export const CRYPT_THREADS = Math.max(1, Math.min(2, availableParallelism() - 1));

interface Pending {
  readonly resolve: (value: string) => void;
  readonly reject: (err: Error) => void;
}

interface Thread {
  readonly worker: Worker;
  /** Ids of the jobs it has not answered yet. */
  readonly jobs: Set<number>;
}

export class CryptPoolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CryptPoolError';
  }
}

function startWorker(): Worker {
  // Run from the TypeScript sources (tests, tsx), a thread needs tsx to load them too.
  if (WORKER_URL.pathname.endsWith('.ts')) {
    const api = import.meta.resolve('tsx/esm/api');
    const target = JSON.stringify(WORKER_URL.href);
    return new Worker(`import(${JSON.stringify(api)}).then((m) => m.tsImport(${target}, ${target}))`, { eval: true });
  }
  return new Worker(WORKER_URL);
}

export class CryptPool {
  readonly #size: number;
  readonly #threads: Thread[] = [];
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;

  constructor(size = CRYPT_THREADS) {
    this.#size = size;
  }

  /** Run one job on the least busy thread; resolves with its value. */
  run(request: CryptRequest): Promise<string> {
    const thread = this.#thread();
    const id = this.#nextId++;
    const job = { ...request, id } as CryptJob;
    return new Promise<string>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      // Held while it works (a login awaits it), let go when idle.
      if (thread.jobs.size === 0) thread.worker.ref();
      thread.jobs.add(id);
      thread.worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    const threads = this.#threads.splice(0);
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  #thread(): Thread {
    if (this.#threads.length < this.#size) {
      const thread = this.#spawn();
      this.#threads.push(thread);
      return thread;
    }
    let best = this.#threads[0] as Thread;
    for (const t of this.#threads) if (t.jobs.size < best.jobs.size) best = t;
    return best;
  }

  #spawn(): Thread {
    const worker = startWorker();
    const thread: Thread = { worker, jobs: new Set() };
    worker.on('message', (reply: CryptReply) => {
      thread.jobs.delete(reply.id);
      if (thread.jobs.size === 0) worker.unref();
      const pending = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (pending === undefined) return;
      if (reply.ok) pending.resolve(reply.value);
      else pending.reject(new CryptPoolError(reply.error));
    });
    // A thread that dies fails its jobs (a temporary failure for those logins) and is replaced on next use.
    const fail = (err: Error): void => {
      const index = this.#threads.indexOf(thread);
      if (index >= 0) this.#threads.splice(index, 1);
      for (const id of thread.jobs) {
        const pending = this.#pending.get(id);
        this.#pending.delete(id);
        pending?.reject(new CryptPoolError(`crypt thread failed: ${err.message}`));
      }
      thread.jobs.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (code !== 0) fail(new Error(`exit code ${code}`));
    });
    // After the listeners: adding a 'message' listener refs the worker again.
    worker.unref();
    return thread;
  }
}

let shared: CryptPool | undefined;

/** The process's pool (each director worker process has its own). */
export function cryptPool(): CryptPool {
  shared ??= new CryptPool();
  return shared;
}
