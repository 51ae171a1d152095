import { offeredMechanisms } from '../../auth/sasl-mechanisms.js';

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
  /** XOAUTH2 and OAUTHBEARER are configured. */
  readonly oauth2: boolean;
  /** What every backend announced before login; undefined while unknown. */
  readonly backendCapabilities: ReadonlySet<string> | undefined;
}

/** Lists already built, by the backends' set (the ring node keeps one set until it changes) and the flags. */
const listsByBackendSet = new WeakMap<ReadonlySet<string>, Map<number, readonly string[]>>();
const listsWithoutBackend = new Map<number, readonly string[]>();

/**
 * The pre-login capability list. Capabilities the backends would have to
 * honour after login are only announced when every backend has them
 * (docs/invariants.md, replies); STARTTLS and the AUTH= list describe this director itself.
 *
 * Asked for every connection's greeting with the same few inputs, so each
 * list is built once and shared (frozen).
 */
export function preloginCapabilities(input: PreloginCapabilityInput): readonly string[] {
  const flags = (input.tlsActive ? 1 : 0) | (input.starttlsAvailable ? 2 : 0) | (input.plaintextAllowed ? 4 : 0) | (input.oauth2 ? 8 : 0);
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
  if (input.plaintextAllowed) caps.push(...offeredMechanisms(input.oauth2).map((mech) => `AUTH=${mech}`));
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

// Parsing what a backend announces (the backend login and the ring's probes).

const CAPABILITY_CODE = /^\[CAPABILITY ([^\]]*)\]/i;
const UNTAGGED_CAPABILITY = /^\* CAPABILITY /i;
const ATOM = /^[\x21-\x7e]+$/;

/** Capabilities with case-insensitive lookup that keep the backend's spelling for the client. */
export class CapabilitySet {
  readonly original: readonly string[];
  readonly #upper: ReadonlySet<string>;

  constructor(caps: readonly string[]) {
    // Shared between logins through the cache: never changed after this.
    this.original = Object.freeze(caps.slice());
    this.#upper = new Set(caps.map((cap) => cap.toUpperCase()));
  }

  has(cap: string): boolean {
    return this.#upper.has(cap.toUpperCase());
  }
}

export const NO_CAPABILITIES = new CapabilitySet([]);

/**
 * Parsed capability lists by their raw text: a backend announces the same
 * list on every login, so parsing it once per backend (and list) is enough.
 * Bounded, since a backend could vary the text.
 */
const MAX_CACHED_CAPABILITY_LISTS = 256;
const capabilityCache = new Map<string, CapabilitySet>();

function parsedCaps(text: string): CapabilitySet {
  let caps = capabilityCache.get(text);
  if (caps === undefined) {
    if (capabilityCache.size >= MAX_CACHED_CAPABILITY_LISTS) capabilityCache.clear();
    caps = new CapabilitySet(splitCaps(text));
    capabilityCache.set(text, caps);
  }
  return caps;
}

/** `[CAPABILITY a b c] text` → the set; undefined without that code. */
export function capabilityCode(text: string): CapabilitySet | undefined {
  const match = CAPABILITY_CODE.exec(text);
  if (match === null) return undefined;
  return parsedCaps(match[1] as string);
}

/** `* CAPABILITY a b c` → the set; undefined for any other line. */
export function untaggedCapability(line: string): CapabilitySet | undefined {
  if (!UNTAGGED_CAPABILITY.test(line)) return undefined;
  return parsedCaps(line.slice(13));
}

function splitCaps(text: string): string[] {
  return text.split(' ').filter((cap) => cap.length > 0 && ATOM.test(cap));
}
