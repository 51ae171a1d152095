import type { Protocol } from '../../../src/core/protocol.js';
import type { BackendSpec, RingView } from '../../../src/ring/types.js';
import type { LiveSession, SessionInfo } from '../../../src/session/registry.js';

/** A relayed session that only records kicks. */
export class FakeSession implements LiveSession {
  readonly kicks: string[] = [];
  readonly #info: SessionInfo;

  constructor(info: Partial<SessionInfo> & { sessionId: string; user: string }) {
    this.#info = {
      protocol: 'imap' satisfies Protocol,
      clientIp: '127.0.0.5',
      clientPort: 50_000,
      backendId: 'b1',
      backendHost: '127.0.0.11',
      backendPort: 143,
      startedAt: Date.UTC(2024, 0, 2, 3, 4, 5),
      bytesFromClient: 10,
      bytesFromBackend: 2_000,
      ...info,
    };
  }

  info(): SessionInfo {
    return this.#info;
  }

  kick(reason: string): void {
    this.kicks.push(reason);
  }
}

export class FakeRing implements RingView {
  readonly #backends: readonly BackendSpec[];

  constructor(backends: readonly BackendSpec[]) {
    this.#backends = backends;
  }

  pick(_key: string, tag: string): BackendSpec | undefined {
    return this.#backends.find((b) => b.tag === tag);
  }

  backends(): readonly BackendSpec[] {
    return this.#backends;
  }

  backend(id: string): BackendSpec | undefined {
    return this.#backends.find((b) => b.id === id);
  }
}

/** Records flushCache calls; `fail` makes the next one throw. */
export class FakePassdbCache {
  readonly calls: (string | undefined)[] = [];
  fail = false;

  flushCache(user?: string): number {
    if (this.fail) throw new Error('cache is wedged');
    this.calls.push(user);
    return user === undefined ? 7 : 1;
  }
}
