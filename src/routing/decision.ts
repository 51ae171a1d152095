import type { BackendSpec } from '../ring/types.js';

/** Why a destination was chosen; logged and shown by `user where`. */
export type RouteReason = 'ldap_host' | 'ring' | 'local';

export interface Destination {
  readonly host: string;
  readonly port: number;
  /** Set when the destination is a configured backend (ring, local, or an LDAP host that matches one). */
  readonly backend: BackendSpec | undefined;
}

export type RouteDecision =
  | { readonly kind: 'proxy'; readonly reason: RouteReason; readonly destination: Destination }
  | { readonly kind: 'refuse'; readonly failure: 'nologin' | 'proxy_loop' | 'no_backend'; readonly detail: string };
