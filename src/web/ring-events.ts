import type { RingNode } from '../cluster/ring-node.js';
import { backendHealth, type BackendHealth, type RingEntry } from '../ring/state.js';

/** One line of the ring page's "recent events". */
export interface RingEvent {
  readonly atMs: number;
  readonly kind: 'backend' | 'health' | 'weight' | 'admin' | 'director' | 'liveness' | 'move';
  /** The line as an operator allowed to see user names reads it. */
  readonly text: string;
  /** The same line without the user name. */
  readonly redacted: string;
  readonly user?: string | undefined;
}

/** Enough for "what just happened" on a page; the log keeps the rest. */
const KEPT = 50;

/** A move of the same user to the same backend within this long is the same event. */
const MOVE_LINE_REPEAT_MS = 30_000;

/**
 * Recent ring events, derived from the replicated state as it changes on
 * this director: backends added, removed, re-weighted, set up or down by an
 * operator, taken out or let back in by the probes' majority, directors
 * joining, leaving, dying and coming back, and ring-wide moves and kicks.
 * Derived, not gossiped: each director's list is what it saw happen.
 */
export class RingEventLog {
  readonly #node: RingNode;
  readonly #now: () => number;
  readonly #events: RingEvent[] = [];
  readonly #listeners = new Set<() => void>();
  readonly #weights = new Map<string, number>();
  readonly #health = new Map<string, BackendHealth>();
  #live: ReadonlySet<string>;
  readonly #unsubscribe: Array<() => void> = [];

  constructor(node: RingNode, now: () => number = Date.now) {
    this.#node = node;
    this.#now = now;
    for (const b of node.state.backends()) this.#weights.set(b.id, b.weight);
    for (const [id, h] of backendHealth(node.state, node.live())) this.#health.set(id, h);
    this.#live = new Set(node.live());
    this.#unsubscribe.push(
      node.onEntries((changed) => this.#entries(changed)),
      node.onRingChange(() => this.#healthChanges()),
      node.onLivenessChange((live) => this.#liveness(live)),
    );
  }

  list(): readonly RingEvent[] {
    return [...this.#events].reverse();
  }

  /** Called after every recorded event and every state change worth re-drawing. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    for (const stop of this.#unsubscribe) stop();
    this.#listeners.clear();
  }

  #record(kind: RingEvent['kind'], text: string, user?: { name: string; redacted: string }): void {
    this.#events.push({ atMs: this.#now(), kind, text, redacted: user?.redacted ?? text, user: user?.name });
    if (this.#events.length > KEPT) this.#events.splice(0, this.#events.length - KEPT);
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }

  #entries(changed: readonly RingEntry[]): void {
    for (const e of changed) {
      switch (e.kind) {
        case 'backend': {
          const before = this.#weights.get(e.backendId);
          if (e.spec === null) {
            if (before !== undefined) this.#record('backend', `backend ${e.backendId} removed`);
            this.#weights.delete(e.backendId);
          } else if (before === undefined) {
            this.#record('backend', `backend ${e.backendId} added (${e.spec.host}, weight ${e.spec.weight})`);
            this.#weights.set(e.backendId, e.spec.weight);
          } else if (before !== e.spec.weight) {
            this.#record('weight', `backend ${e.backendId} weight ${before} → ${e.spec.weight}`);
            this.#weights.set(e.backendId, e.spec.weight);
          }
          break;
        }
        case 'admin':
          this.#record('admin', e.state === 'none' ? `backend ${e.backendId}: operator override cleared` : `backend ${e.backendId} set ${e.state} by an operator`);
          break;
        case 'director':
          this.#record('director', e.address === null ? `director ${e.directorId} removed from the ring` : `director ${e.directorId} in the ring at ${e.address}`);
          break;
        case 'move':
          // A held login repeats its kick request every few seconds: one line per user and destination.
          if (e.backendId !== null && this.#firstMoveLine(e.user, e.backendId)) {
            this.#record('move', `${e.user}: sessions elsewhere than ${e.backendId} are being ended (move or held login)`, {
              name: e.user,
              redacted: `a user: sessions elsewhere than ${e.backendId} are being ended (move or held login)`,
            });
          }
          break;
        default:
          break;
      }
    }
    this.#notify();
  }

  readonly #lastMoveLine = new Map<string, number>();

  #firstMoveLine(user: string, backendId: string): boolean {
    const key = `${user}\0${backendId}`;
    const at = this.#now();
    const last = this.#lastMoveLine.get(key);
    if (this.#lastMoveLine.size > 1000) this.#lastMoveLine.clear();
    this.#lastMoveLine.set(key, at);
    return last === undefined || at - last > MOVE_LINE_REPEAT_MS;
  }

  #healthChanges(): void {
    const now = backendHealth(this.#node.state, this.#node.live());
    for (const [id, h] of now) {
      const before = this.#health.get(id);
      if (before !== undefined && before !== h) this.#record('health', `backend ${id} is ${h} (was ${before})`);
    }
    this.#health.clear();
    for (const [id, h] of now) this.#health.set(id, h);
    this.#notify();
  }

  #liveness(live: ReadonlySet<string>): void {
    for (const d of this.#node.state.directors()) {
      const was = this.#live.has(d.id);
      const is = live.has(d.id);
      if (was && !is) this.#record('liveness', `director ${d.id} is not answering`);
      if (!was && is) this.#record('liveness', `director ${d.id} is back`);
    }
    this.#live = new Set(live);
    this.#notify();
  }
}
