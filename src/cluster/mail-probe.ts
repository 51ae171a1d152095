import type { Protocol } from '../core/protocol.js';
import { DEFAULT_PORTS } from '../core/protocol.js';
import { converse, type CapabilityConversation } from '../net/probe-conversation.js';
import type { Capabilities } from '../ring/state.js';
import type { BackendSpec } from '../ring/types.js';
import type { ProbeFn } from './backend-probe.js';

/** How long the other protocols' capabilities are reused before they are asked again. */
export const CAPABILITY_REFRESH_MS = 30_000;

export interface MailProbeOptions {
  /** Each protocol's pre-login capability exchange (protocols/registry.ts). */
  readonly conversations: ReadonlyMap<Protocol, CapabilityConversation>;
  /** The protocol whose answer decides up or down. */
  readonly decisive?: Protocol;
  readonly refreshMs?: number;
  readonly now?: () => number;
}

/**
 * The director's backend probe. The decisive protocol (IMAP) is asked every
 * round and decides whether the backend is up. The others are asked too,
 * for the capabilities the front ends may announce before login, but only
 * every `refreshMs` (capabilities change with a backend's configuration,
 * not from second to second), side by side, within what is left of the
 * round's timeout; a backend that does not serve one of them is not voted
 * down for it (its list stays empty, and ring/state.ts commonCapabilities
 * skips empty lists).
 */
export function mailProbe(options: MailProbeOptions): ProbeFn {
  const decisive = options.decisive ?? 'imap';
  const decide = options.conversations.get(decisive);
  if (decide === undefined) throw new TypeError(`no probe conversation for ${decisive}`);
  const others = [...options.conversations].filter(([protocol]) => protocol !== decisive);
  const refreshMs = options.refreshMs ?? CAPABILITY_REFRESH_MS;
  const now = options.now ?? Date.now;
  const known = new Map<string, { readonly at: number; readonly host: string; readonly caps: Capabilities }>();

  const portOf = (backend: BackendSpec, protocol: Protocol): number => backend.ports[protocol] ?? DEFAULT_PORTS[protocol];

  return async (backend, timeoutMs) => {
    const started = now();
    const seen = await converse(backend.host, portOf(backend, decisive), timeoutMs, decide);
    let rest = known.get(backend.id);
    const left = timeoutMs - (now() - started);
    if ((rest === undefined || rest.host !== backend.host || now() - rest.at >= refreshMs) && left > 0) {
      const lists = await Promise.all(
        others.map(([protocol, talk]) =>
          converse(backend.host, portOf(backend, protocol), left, talk).then(
            (caps): [Protocol, string[]] => [protocol, [...caps].sort()],
            (): [Protocol, string[]] => [protocol, []],
          ),
        ),
      );
      rest = { at: now(), host: backend.host, caps: Object.fromEntries(lists.filter(([, caps]) => caps.length > 0)) };
      known.set(backend.id, rest);
    }
    return { ...rest?.caps, [decisive]: [...seen].sort() };
  };
}
