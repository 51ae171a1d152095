import { Secret } from '../core/secret.js';
import type { DelayUntil, ProxyMode, RawFields, TlsMode, UserFields } from './fields.js';

export type ParseFieldsResult = { readonly fields: UserFields } | { readonly error: string };

class FieldError extends Error {
  constructor(field: string, value: string, expected: string) {
    super(`field ${field}: ${JSON.stringify(value.slice(0, 64))} is not ${expected}`);
    this.name = 'FieldError';
  }
}

const FALSE_WORDS = new Set(['n', 'no', '0', 'false']);
const TRUE_WORDS = new Set(['y', 'yes', '1', 'true']);
const PROXY_WORDS = new Set(['proxy', 'proxy_maybe', 'proxy_always']);

/** Dovecot's rule for flag fields: present with any value except a "no" word. */
function flag(raw: RawFields, name: string): boolean {
  const value = raw.get(name);
  return value !== undefined && !FALSE_WORDS.has(value.trim().toLowerCase());
}

function text(raw: RawFields, name: string): string | undefined {
  const value = raw.get(name)?.trim();
  return value === undefined || value.length === 0 ? undefined : value;
}

function integer(name: string, value: string, min: number, max: number, expected: string): number {
  if (!/^\d+$/.test(value)) throw new FieldError(name, value, expected);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new FieldError(name, value, expected);
  return n;
}

function port(raw: RawFields): number | undefined {
  const value = text(raw, 'port');
  return value === undefined ? undefined : integer('port', value, 1, 65535, 'a port number (1-65535)');
}

/** Seconds as Dovecot writes them: "30", "30s", "1500ms". */
function proxyTimeoutMs(raw: RawFields): number | undefined {
  const value = text(raw, 'proxy_timeout');
  if (value === undefined) return undefined;
  const match = /^(\d+)\s*(ms|msecs?|s|secs?)?$/i.exec(value);
  if (match === null || match[1] === undefined) throw new FieldError('proxy_timeout', value, 'a duration (N, Ns, Nms)');
  const n = integer('proxy_timeout', match[1], 0, 86_400_000, 'a duration (N, Ns, Nms)');
  return match[2] !== undefined && match[2].toLowerCase().startsWith('ms') ? n : n * 1000;
}

/** `ssl=` and `starttls=`: Dovecot turns TLS on for any value; "any-cert" skips verification. */
function tlsMode(raw: RawFields, name: string): TlsMode {
  const value = raw.get(name);
  if (value === undefined) return 'no';
  const word = value.trim().toLowerCase();
  if (word === 'any-cert') return 'any-cert';
  if (word === '' || TRUE_WORDS.has(word)) return 'yes';
  if (FALSE_WORDS.has(word)) return 'no';
  throw new FieldError(name, value, 'yes, any-cert or no');
}

/** `delay_until=UNIXTIME[+N]`. */
function delayUntil(raw: RawFields): DelayUntil | undefined {
  const value = text(raw, 'delay_until');
  if (value === undefined) return undefined;
  const match = /^(\d+)(?:\+(\d+))?$/.exec(value);
  if (match === null || match[1] === undefined) throw new FieldError('delay_until', value, 'a UNIX time, optionally +N');
  const seconds = integer('delay_until', match[1], 0, 253_402_300_799, 'a UNIX time');
  const jitter = match[2] === undefined ? 0 : integer('delay_until', match[2], 0, 86_400, 'a jitter of at most 86400 s');
  return { atMs: seconds * 1000, jitterSeconds: jitter };
}

interface ProxyFlags {
  proxy: boolean;
  proxyMaybe: boolean;
  proxyAlways: boolean;
}

/**
 * The `proxy` field does double duty: Dovecot's flag (`proxy`, `proxy=y`) and,
 * from an LDAP attribute, a word list such as "proxy_maybe proxy_always".
 */
function proxyFlags(raw: RawFields): ProxyFlags {
  const flags: ProxyFlags = {
    proxy: false,
    proxyMaybe: flag(raw, 'proxy_maybe'),
    proxyAlways: flag(raw, 'proxy_always'),
  };
  const value = raw.get('proxy');
  if (value === undefined) return flags;
  const words = value.trim().toLowerCase().split(/[\s,]+/).filter((w) => w.length > 0);
  if (words.length === 1 && words[0] !== undefined && (TRUE_WORDS.has(words[0]) || FALSE_WORDS.has(words[0]))) {
    flags.proxy = TRUE_WORDS.has(words[0]);
    return flags;
  }
  for (const word of words) {
    if (!PROXY_WORDS.has(word)) throw new FieldError('proxy', value, 'a list of proxy, proxy_maybe, proxy_always');
    if (word === 'proxy') flags.proxy = true;
    if (word === 'proxy_maybe') flags.proxyMaybe = true;
    if (word === 'proxy_always') flags.proxyAlways = true;
  }
  return flags;
}

function proxyMode(flags: ProxyFlags): ProxyMode {
  // proxy_maybe is the narrower promise (only when the host is not self), so it wins.
  if (flags.proxyMaybe) return 'proxy_maybe';
  if (flags.proxy) return 'proxy';
  return 'none';
}

function forwardFields(raw: RawFields): Record<string, string> {
  const forward: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of raw) {
    if (key.startsWith('forward_') && key.length > 'forward_'.length) forward[key.slice('forward_'.length)] = value;
  }
  return Object.freeze(forward);
}

/**
 * Dovecot passdb extra fields → UserFields. Unknown fields are ignored; a
 * field that is present but malformed is an error, never a silent default.
 * Field names are matched in lower case; the `pass` value never appears in an error.
 */
export function parseUserFields(user: string, input: RawFields): ParseFieldsResult {
  const raw = new Map<string, string>();
  for (const [key, value] of input) raw.set(key.toLowerCase(), value);
  try {
    const flags = proxyFlags(raw);
    const pass = raw.get('pass');
    const fields: UserFields = {
      user: text(raw, 'user') ?? user,
      proxy: proxyMode(flags),
      proxyAlways: flags.proxyAlways,
      host: text(raw, 'host'),
      port: port(raw),
      sourceIp: text(raw, 'source_ip'),
      protocol: text(raw, 'protocol')?.toLowerCase(),
      destuser: text(raw, 'destuser'),
      proxyMech: text(raw, 'proxy_mech'),
      proxyTimeoutMs: proxyTimeoutMs(raw),
      proxyNopipelining: flag(raw, 'proxy_nopipelining'),
      proxyNotTrusted: flag(raw, 'proxy_not_trusted'),
      proxyNoauth: flag(raw, 'proxy_noauth'),
      ssl: tlsMode(raw, 'ssl'),
      starttls: tlsMode(raw, 'starttls'),
      master: text(raw, 'master'),
      pass: pass === undefined || pass.length === 0 ? undefined : new Secret(pass),
      nopassword: flag(raw, 'nopassword'),
      delayUntil: delayUntil(raw),
      forward: forwardFields(raw),
      directorTag: text(raw, 'director_tag') ?? '',
      nologin: flag(raw, 'nologin'),
      reason: text(raw, 'reason'),
    };
    return { fields: Object.freeze(fields) };
  } catch (err) {
    if (err instanceof FieldError) return { error: err.message };
    throw err;
  }
}
