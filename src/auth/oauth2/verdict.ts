import type { Secret } from '../../core/secret.js';

/**
 * What token validation concluded. `detail` is for logs: it names the rule
 * that failed, never the token.
 */
export type TokenVerdict =
  /** The token is good for `user` (the client's name, checked against the token's claim). */
  | { readonly kind: 'valid'; readonly user: string }
  /** Expired, wrongly signed, wrong issuer or audience, inactive, another user's: a failed login. */
  | { readonly kind: 'invalid'; readonly detail: string }
  /** The identity provider could not answer: a temporary failure, the client retries. */
  | { readonly kind: 'tempfail'; readonly detail: string };

export interface TokenValidator {
  /** Is `token` a valid bearer token of `user` (the name the client sent with it)? Never throws. */
  validate(token: Secret, user: string): Promise<TokenVerdict>;
}

/** A token's claims (JWT payload or RFC 7662 introspection answer), as parsed JSON. */
export type Claims = Readonly<Record<string, unknown>>;
