import type { Secret } from '../core/secret.js';
import type { Protocol } from '../core/protocol.js';
import type { UserFields } from './fields.js';

export interface AuthRequest {
  readonly user: string;
  readonly password: Secret;
  readonly protocol: Protocol;
  readonly sessionId: string;
  readonly remoteIp: string;
  readonly localIp: string;
}

export type AuthResult =
  | { readonly kind: 'ok'; readonly fields: UserFields }
  /** Wrong password, unknown user, empty password: the client hears the same. */
  | { readonly kind: 'fail'; readonly detail: string }
  /** The passdb could not decide (LDAP down or slow). */
  | { readonly kind: 'tempfail'; readonly detail: string };

export type LookupResult =
  | { readonly kind: 'ok'; readonly fields: UserFields }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'tempfail'; readonly detail: string };

/** A source of users: LDAP, passwd-file, or the cache in front of either. */
export interface Passdb {
  /** Check the password (unless the entry says `nopassword`) and return the user's fields. */
  authenticate(request: AuthRequest): Promise<AuthResult>;
  /** Fields without a password check, for routing questions (`user where`, LMTP). */
  lookup(user: string): Promise<LookupResult>;
  /**
   * Every user's fields, streamed (`ring plan --ldap`); absent when the
   * passdb cannot list its users. Entries with malformed fields are skipped.
   */
  listUsers?(): AsyncIterable<UserFields>;
  /** Forget cached entries: one user, or all when `user` is undefined. Returns how many were dropped. */
  flushCache(user?: string): number;
  close(): Promise<void>;
}
