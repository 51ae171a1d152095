import { SASL_MECHANISMS } from '../../auth/sasl.js';

/** What imap-login announces before login (Dovecot's CAPABILITY_BANNER_STRING plus LITERAL+). */
export const BASE_PRELOGIN_CAPABILITIES: readonly string[] = [
  'IMAP4rev1',
  'SASL-IR',
  'LOGIN-REFERRALS',
  'ID',
  'ENABLE',
  'IDLE',
  'LITERAL+',
];

export interface PreloginCapabilityInput {
  readonly tlsActive: boolean;
  /** A certificate is configured, so STARTTLS can be offered. */
  readonly starttlsAvailable: boolean;
  readonly plaintextAllowed: boolean;
  /** What every backend announced before login; undefined while unknown. */
  readonly backendCapabilities: ReadonlySet<string> | undefined;
}

/** Lists already built, by the backends' set (the ring node keeps one set until it changes) and the flags. */
const listsByBackendSet = new WeakMap<ReadonlySet<string>, Map<number, readonly string[]>>();
const listsWithoutBackend = new Map<number, readonly string[]>();

/**
 * The pre-login capability list. Capabilities the backends would have to
 * honour after login are only announced when every backend has them
 * (SPEC §5); STARTTLS and the AUTH= list describe this director itself.
 *
 * Asked for every connection's greeting with the same few inputs, so each
 * list is built once and shared (frozen).
 */
export function preloginCapabilities(input: PreloginCapabilityInput): readonly string[] {
  const flags = (input.tlsActive ? 1 : 0) | (input.starttlsAvailable ? 2 : 0) | (input.plaintextAllowed ? 4 : 0);
  const backend = input.backendCapabilities;
  let lists = listsWithoutBackend;
  if (backend !== undefined) {
    const known = listsByBackendSet.get(backend);
    if (known !== undefined) lists = known;
    else {
      lists = new Map();
      listsByBackendSet.set(backend, lists);
    }
  }
  let caps = lists.get(flags);
  if (caps === undefined) {
    caps = Object.freeze(buildPreloginCapabilities(input));
    lists.set(flags, caps);
  }
  return caps;
}

function buildPreloginCapabilities(input: PreloginCapabilityInput): string[] {
  const backend = input.backendCapabilities === undefined ? undefined : upperSet(input.backendCapabilities);
  const caps = BASE_PRELOGIN_CAPABILITIES.filter(
    (cap) => cap === 'IMAP4rev1' || backend === undefined || backend.has(cap.toUpperCase()),
  );
  if (input.starttlsAvailable && !input.tlsActive) caps.push('STARTTLS');
  if (input.plaintextAllowed) caps.push(...SASL_MECHANISMS.map((mech) => `AUTH=${mech}`));
  else caps.push('LOGINDISABLED');
  return caps;
}

function upperSet(values: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const value of values) out.add(value.toUpperCase());
  return out;
}

const joinedLists = new WeakMap<readonly string[], string>();

/**
 * `caps.join(' ')`, remembered for frozen lists: the pre-login lists above
 * and the backends' post-login lists (backend-login.ts caches them) are the
 * same few arrays for every connection.
 */
export function capabilityText(caps: readonly string[]): string {
  if (!Object.isFrozen(caps)) return caps.join(' ');
  let text = joinedLists.get(caps);
  if (text === undefined) {
    text = caps.join(' ');
    joinedLists.set(caps, text);
  }
  return text;
}
