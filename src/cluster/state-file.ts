import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import type { PersistedState, RingEntry } from '../ring/state.js';
import { checkEntry } from '../ring/state.js';

/** The state file exists but cannot be used; the director refuses to start rather than forget admin state. */
export class StateFileError extends Error {
  readonly path: string;

  constructor(path: string, detail: string, options?: { cause?: unknown }) {
    super(`ring state file ${path}: ${detail}`, options);
    this.name = 'StateFileError';
    this.path = path;
  }
}

/**
 * Write the state atomically: a temp file in the same directory, fsync, then
 * rename over the old one, so a crash leaves either the old or the new file.
 */
export function saveStateFile(path: string, state: PersistedState): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(state)}\n`);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // Nothing to clean up.
    }
    throw new StateFileError(path, 'could not write', { cause: err });
  }
  closeSync(fd);
  renameSync(tmp, path);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The persisted state, or undefined when there is no file yet (first start).
 * Entries that fail checkEntry are dropped and counted in `dropped`.
 */
export function loadStateFile(path: string): { state: PersistedState; dropped: number } | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateFileError(path, 'could not read', { cause: err });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new StateFileError(path, 'not valid JSON', { cause: err });
  }
  if (!isRecord(data) || data['format'] !== 1 || !Array.isArray(data['entries'])) {
    throw new StateFileError(path, 'not a ring state file (format 1)');
  }
  const clock = data['clock'];
  const directorId = data['directorId'];
  const entries: RingEntry[] = [];
  let dropped = 0;
  for (const raw of data['entries'] as unknown[]) {
    // checkEntry validates every field; a structurally odd object fails there or here.
    if (isRecord(raw) && isRecord(raw['version']) && safeCheck(raw as unknown as RingEntry)) entries.push(raw as unknown as RingEntry);
    else dropped += 1;
  }
  return {
    state: {
      format: 1,
      directorId: typeof directorId === 'string' ? directorId : '',
      clock: typeof clock === 'number' && Number.isSafeInteger(clock) ? clock : 0,
      entries,
    },
    dropped,
  };
}

function safeCheck(entry: RingEntry): boolean {
  try {
    if (checkEntry(entry) !== undefined) return false;
    // Shapes checkEntry takes on trust from the type system.
    if (entry.kind === 'backend' && entry.spec !== null && (typeof entry.spec !== 'object' || typeof entry.spec.ports !== 'object')) return false;
    if (entry.kind === 'verdict') {
      const caps = entry.capabilities as unknown;
      if (!isRecord(caps) || !Object.values(caps).every((list) => Array.isArray(list) && list.every((c) => typeof c === 'string'))) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * Coalesces saves: many changes in a burst become one write after `delayMs`.
 * `flush()` writes now if anything is pending (on shutdown).
 */
export class StateFileWriter {
  readonly #path: string;
  readonly #snapshot: () => PersistedState;
  readonly #delayMs: number;
  readonly #onError: (err: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #durable: Promise<void> | undefined;

  constructor(path: string, snapshot: () => PersistedState, onError: (err: unknown) => void, delayMs = 50) {
    this.#path = path;
    this.#snapshot = snapshot;
    this.#onError = onError;
    this.#delayMs = delayMs;
  }

  schedule(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#write();
    }, this.#delayMs);
  }

  flush(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#write();
  }

  /**
   * Resolves once everything written so far is on disk. Callers in the same
   * tick share one write, so a burst of admin changes is not a burst of fsyncs.
   */
  durable(): Promise<void> {
    this.#durable ??= new Promise<void>((resolve) => {
      setImmediate(() => {
        this.#durable = undefined;
        if (this.#timer !== undefined) clearTimeout(this.#timer);
        this.#timer = undefined;
        this.#write();
        resolve();
      });
    });
    return this.#durable;
  }

  #write(): void {
    try {
      saveStateFile(this.#path, this.#snapshot());
    } catch (err) {
      this.#onError(err);
    }
  }
}
