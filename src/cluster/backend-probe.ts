import type { Logger } from 'pino';
import { NO_CAPABILITIES } from '../ring/state.js';
import type { Capabilities } from '../ring/state.js';
import type { BackendSpec } from '../ring/types.js';
import { isBackendTimeout } from '../net/backend-failure.js';

/** Probe one backend: resolves with what it offers, rejects when it does not answer properly. */
export type ProbeFn = (backend: BackendSpec, timeoutMs: number) => Promise<Capabilities>;

export interface ProbeSettings {
  /** Time between two probes of a backend. */
  readonly intervalMs: number;
  /** One probe's budget (connect + banner + CAPABILITY). */
  readonly timeoutMs: number;
  /** Consecutive failures before the verdict turns down. */
  readonly failuresToDown: number;
  /** Consecutive successes before the verdict turns up again. */
  readonly successesToUp: number;
}

export const DEFAULT_PROBE_SETTINGS: ProbeSettings = Object.freeze({
  intervalMs: 1_000,
  timeoutMs: 1_000,
  failuresToDown: 2,
  successesToUp: 2,
});

export interface BackendProberOptions {
  readonly settings?: Partial<ProbeSettings> | undefined;
  /** The backends to probe now (re-read every round: added and removed backends follow). */
  readonly backends: () => readonly BackendSpec[];
  /** This director's last published verdict (from the state file), so a restart keeps hysteresis. */
  readonly previous: (backendId: string) => boolean | undefined;
  readonly publish: (backendId: string, down: boolean, capabilities: Capabilities) => void;
  /** How one backend is asked (cluster/mail-probe.ts in a director). */
  readonly probe: ProbeFn;
  readonly log: Logger;
}

/** A deadline this late was held up by our own event loop, not the backend. */
export const STALL_MARGIN_MS = 250;

class ProbeTimeout extends Error {
  constructor() {
    super('probe timed out');
    this.name = 'ProbeTimeout';
  }
}

function withDeadline<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeTimeout()), timeoutMs);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

interface Track {
  down: boolean | undefined;
  failures: number;
  successes: number;
  inFlight: boolean;
  capabilities: Capabilities;
}

/**
 * Probes every backend on an interval with hysteresis and publishes this
 * director's verdicts (ring/state.ts); the down rule combines the verdicts
 * of all live directors.
 */
export class BackendProber {
  readonly settings: ProbeSettings;
  readonly #opts: BackendProberOptions;
  readonly #probe: ProbeFn;
  readonly #tracks = new Map<string, Track>();
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: BackendProberOptions) {
    this.#opts = opts;
    this.settings = Object.freeze({ ...DEFAULT_PROBE_SETTINGS, ...opts.settings });
    this.#probe = opts.probe;
  }

  start(): void {
    void this.round();
    this.#timer = setInterval(() => void this.round(), this.settings.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Probe every backend once (skipping ones whose previous probe is still running). */
  async round(): Promise<void> {
    const backends = this.#opts.backends();
    const ids = new Set(backends.map((b) => b.id));
    for (const id of this.#tracks.keys()) if (!ids.has(id)) this.#tracks.delete(id);
    await Promise.all(backends.map((b) => this.#probeOne(b)));
  }

  async #probeOne(backend: BackendSpec): Promise<void> {
    let track = this.#tracks.get(backend.id);
    if (track === undefined) {
      track = { down: this.#opts.previous(backend.id), failures: 0, successes: 0, inFlight: false, capabilities: NO_CAPABILITIES };
      this.#tracks.set(backend.id, track);
    }
    if (track.inFlight) return;
    track.inFlight = true;
    let capabilities: Capabilities | undefined;
    let failure: string | undefined;
    const started = performance.now();
    try {
      capabilities = await withDeadline(this.#probe(backend, this.settings.timeoutMs), this.settings.timeoutMs);
    } catch (err) {
      failure = err instanceof Error ? err.message : 'probe failed';
      // A deadline that fired well after it was due means this process's
      // event loop was stalled (GC, a burst of logins): the backend's answer
      // may be sitting unread. Counting it would vote every backend down at
      // once and end every session; the next round decides instead.
      if ((err instanceof ProbeTimeout || isBackendTimeout(err)) && performance.now() - started > this.settings.timeoutMs + STALL_MARGIN_MS) {
        track.inFlight = false;
        this.#opts.log.warn({ backend: backend.id, lateMs: Math.round(performance.now() - started - this.settings.timeoutMs) }, 'probe timeout ignored: this process was stalled');
        return;
      }
    } finally {
      track.inFlight = false;
    }
    if (this.#tracks.get(backend.id) !== track) return;
    if (capabilities !== undefined) {
      track.successes += 1;
      track.failures = 0;
      track.capabilities = capabilities;
      if (track.down !== false && track.successes >= this.settings.successesToUp) {
        track.down = false;
        this.#opts.log.info({ backend: backend.id }, 'backend probe verdict: up');
      }
      // Published every success once up: capabilities may change; unchanged verdicts are not re-sent.
      if (track.down === false) this.#opts.publish(backend.id, false, capabilities);
    } else {
      track.failures += 1;
      track.successes = 0;
      if (track.down !== true && track.failures >= this.settings.failuresToDown) {
        track.down = true;
        this.#opts.log.warn({ backend: backend.id, reason: failure }, 'backend probe verdict: down');
        this.#opts.publish(backend.id, true, NO_CAPABILITIES);
      }
    }
  }

  /** This director's current verdict on a backend (undefined before hysteresis settled). */
  verdict(backendId: string): boolean | undefined {
    return this.#tracks.get(backendId)?.down;
  }
}
