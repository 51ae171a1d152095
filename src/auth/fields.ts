import type { Secret } from '../core/secret.js';

export type ProxyMode = 'proxy' | 'proxy_maybe' | 'none';
export type TlsMode = 'no' | 'yes' | 'any-cert';

export interface DelayUntil {
  /** Unix time in milliseconds. */
  readonly atMs: number;
  /** Up to this many extra random seconds (`delay_until=TS+N`). */
  readonly jitterSeconds: number;
}

/**
 * Dovecot passdb extra fields, parsed into types at the edge (auth/parse-fields.ts).
 * Names follow the Proxying document; see docs/invariants.md, fields.
 */
export interface UserFields {
  /** The user name to log in as on the director side (after passdb may rewrite it). */
  readonly user: string;
  readonly proxy: ProxyMode;
  readonly proxyAlways: boolean;
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly sourceIp: string | undefined;
  /** Only relevant for LMTP: 'lmtp' or 'smtp'. */
  readonly protocol: string | undefined;
  readonly destuser: string | undefined;
  readonly proxyMech: string | undefined;
  readonly proxyTimeoutMs: number | undefined;
  readonly proxyNopipelining: boolean;
  readonly proxyNotTrusted: boolean;
  /** Submission: log in to the backend without AUTH, the user named in XCLIENT LOGIN (Dovecot 2.4 proxy_noauth). */
  readonly proxyNoauth?: boolean;
  /** `ssl=` for an implicit-TLS connection to the backend. */
  readonly ssl: TlsMode;
  /** `starttls=`: STARTTLS/STLS on the plain port; 'any-cert' skips verification. */
  readonly starttls: TlsMode;
  readonly master: string | undefined;
  readonly pass: Secret | undefined;
  readonly nopassword: boolean;
  readonly delayUntil: DelayUntil | undefined;
  /** `forward_<name>=value` fields, keyed by `<name>`. */
  readonly forward: Readonly<Record<string, string>>;
  readonly directorTag: string;
  readonly nologin: boolean;
  readonly reason: string | undefined;
}

/** Raw field map as a passdb produces it, before typing (`host` → '10.0.0.1', `proxy_maybe` → 'y'). */
export type RawFields = ReadonlyMap<string, string>;
