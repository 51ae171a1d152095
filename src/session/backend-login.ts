import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { TLSSocket } from 'node:tls';
import type { Secret } from '../core/secret.js';
import type { TlsMode } from '../auth/fields.js';

/** Who the client is, as the backend should learn it (ID x-* fields / XCLIENT). */
export interface ClientEndpoint {
  readonly remoteIp: string;
  readonly remotePort: number;
  readonly localIp: string;
  readonly localPort: number;
}

export interface BackendTlsOptions {
  /** PEM of the CA that signs backend certificates (ssl=yes / starttls=yes). */
  readonly ca: Buffer | undefined;
  readonly clientCert: Buffer | undefined;
  readonly clientKey: Buffer | undefined;
}

/** Everything a protocol's backend-login state machine needs; no routing or LDAP inside. */
export interface BackendLoginParams {
  readonly host: string;
  readonly port: number;
  readonly sourceIp: string | undefined;
  readonly ssl: TlsMode;
  readonly starttls: TlsMode;
  readonly tls: BackendTlsOptions;
  /** The name to log in as on the backend (destuser or the user). */
  readonly user: string;
  /** The user's password, or the master password when `master` is set. */
  readonly password: Secret;
  /** When set: SASL PLAIN with authzid=user, authcid=master. */
  readonly master: string | undefined;
  readonly proxyMech: string | undefined;
  /** One budget for connect, TLS, banner and login. */
  readonly timeoutMs: number;
  readonly nopipelining: boolean;
  /** Never send ID / XCLIENT. */
  readonly notTrusted: boolean;
  /** Submission: no AUTH; the user goes in XCLIENT LOGIN (proxy_noauth). */
  readonly noauth?: boolean;
  /** Submission: the domain the client gave in EHLO/HELO, for XCLIENT HELO. */
  readonly clientHelo?: string | undefined;
  /** Loop guard, decremented per hop (x-proxy-ttl / XCLIENT TTL). */
  readonly ttl: number;
  readonly sessionId: string;
  readonly client: ClientEndpoint;
  readonly forward: Readonly<Record<string, string>>;
  /** IMAP: the client's own ID parameters, forwarded when kept (imap_id_retain). */
  readonly clientId: ReadonlyArray<readonly [string, string | null]> | undefined;
  /** The session's logger, for the state machine's debug lines. */
  readonly log?: Logger;
}

export interface BackendLoginSuccess {
  readonly socket: Socket | TLSSocket;
  /** Backend capabilities after login (IMAP: from the tagged OK or a CAPABILITY reply). */
  readonly capabilities: readonly string[];
  /** Bytes the backend sent after the login reply; the relay writes them to the client first. */
  readonly pending: Buffer;
  /** The backend's own success line, for protocols that forward it (POP3 does, like Dovecot). */
  readonly loginReply?: string;
}
