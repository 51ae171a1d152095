import type { ConfigProblem } from './problems.js';
import type { Protocol } from '../core/protocol.js';
import type { BackendSpec, RingPlacement } from '../ring/types.js';
import type { Secret } from '../core/secret.js';
import type { SqlDialect, SqlQueryTemplate } from './sql-query.js';

/**
 * The validated, frozen configuration. YAML keys are snake_case (Dovecot's
 * habit); see README "Configuration reference" and cluster-config/example.yaml.
 */
export interface Config {
  /** The file this came from, for messages and SIGHUP reload. */
  readonly file: string;
  /** What loads but should change (a secret every user can read): logged at start and reload, shown by config check. */
  readonly warnings: readonly ConfigProblem[];
  readonly director: DirectorConfig;
  readonly listen: ListenConfig;
  /** listen.lmtp_socket: LMTP on a unix socket (Postfix `lmtp:unix:PATH`); undefined when not opened. */
  readonly lmtpSocket: UnixListenConfig | undefined;
  readonly tls: ServerTlsConfig | undefined;
  readonly backendTls: BackendTlsConfig;
  readonly limits: LimitsConfig;
  readonly passdb: PassdbConfig;
  /** limits.crypt_max_rounds and limits.blf_max_cost: what a stored hash may ask for. */
  readonly cryptLimits: CryptLimitsConfig;
  readonly cache: CacheConfig;
  readonly ring: RingConfig;
  /** mTLS for the gRPC port (ring links and the admin service); undefined: plaintext, loopback only. */
  readonly grpcTls: GrpcTlsConfig | undefined;
  readonly log: LogConfig;
  readonly lmtp: LmtpConfig;
  readonly http: HttpConfig;
  /** SASL XOAUTH2 and OAUTHBEARER (Dovecot's oauth2 passdb settings); undefined: not offered. */
  readonly oauth2: OAuth2Config | undefined;
}

/** Dovecot's introspection_mode: `post` (token=… form), `get` (token appended to the URL), `auth` (GET with a Bearer header), `local` (JWT only). */
export type IntrospectionMode = 'post' | 'get' | 'auth' | 'local';

/** Where the keys of local JWT validation come from: a JWKS file (RFC 7517 §5), or an https URL serving one. */
export type JwksSource =
  /** Read (and checked) when the configuration is loaded; SIGHUP reads it again. */
  | { readonly kind: 'file'; readonly path: string; readonly keys: ReadonlyArray<Readonly<Record<string, unknown>>> }
  | { readonly kind: 'url'; readonly url: string };

/** How an OAuth2 bearer token is validated (Dovecot's dovecot-oauth2.conf.ext names). */
export interface OAuth2Config {
  readonly introspectionMode: IntrospectionMode;
  /** https URL of the RFC 7662 endpoint; required unless the mode is `local`. */
  readonly introspectionUrl: string | undefined;
  /** Keys for `local` mode (Dovecot: local_validation_key_dict). */
  readonly localValidationJwks: JwksSource | undefined;
  /** How long keys fetched from a JWKS URL are used before they are fetched again. */
  readonly jwksCacheTtlMs: number;
  /** The claim (or introspection field) that names the user. */
  readonly usernameAttribute: string;
  /** Applied to both the client's user name and the claim before they are compared (`%Lu`). */
  readonly usernameFormat: string;
  /** A claim that, when present, must equal activeValue. */
  readonly activeAttribute: string;
  readonly activeValue: string;
  /** Accepted `iss` values; empty: any. */
  readonly issuers: readonly string[];
  /** When set, the token's `aud` must contain it (Dovecot's client_id rule). */
  readonly clientId: string | undefined;
  /** One of these must be in the token's `scope` (or `aud`); empty: no check. */
  readonly scope: readonly string[];
  /** Deadline of one introspection or JWKS request. */
  readonly timeoutMs: number;
  /** PEM of the CA that signs the identity provider's certificate; undefined: the system's. */
  readonly tlsCaCert: Buffer | undefined;
  readonly tlsCaCertFile: string | undefined;
}

/** The HTTP port's settings (listen.http has its address). */
export interface HttpConfig {
  /** http.users_token_file: the token that shows user names on the ring page (`?users=1`); undefined: never shown. */
  readonly usersToken: Secret | undefined;
}

/** The LMTP front end (RFC 2033): how a recipient address becomes a passdb user. */
export interface LmtpConfig {
  /** `%u` the address (detail removed), `%n` its local part, `%d` its domain; `%L` lower-cases. */
  readonly user: string;
  /** Separates a local part from its detail (`user+detail`); '' turns details off. Dovecot's recipient_delimiter. */
  readonly recipientDelimiter: string;
}

/** grpc_tls's files, read and checked. */
export interface GrpcTlsFiles {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** CA that signs every director's and admin client's certificate. */
  readonly ca: Buffer;
  /** This director's certificate: server and client (it dials the other directors). */
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface GrpcTlsConfig extends GrpcTlsFiles {
  /**
   * Certificate names (CN or DNS SAN) allowed to call the Admin service: the
   * CA alone signs directors and other clients too (admin/access.ts).
   */
  readonly admins: readonly string[];
}

export interface DirectorConfig {
  readonly id: string;
  /** Extra addresses that count as "self" (Dovecot's auth_proxy_self). */
  readonly selfAddresses: readonly string[];
  /** Backend id (or host) used for `proxy_maybe` users whose host is self. */
  readonly localBackend: string | undefined;
  /** CIDRs allowed plaintext auth without TLS and trusted like login_trusted_networks. Default loopback. */
  readonly trustedNetworks: readonly string[];
  /** Keep the client's IMAP ID and forward it (Dovecot's imap_id_retain). */
  readonly imapIdRetain: boolean;
  /** SIGTERM: how long to wait for sessions before closing them. */
  readonly shutdownGraceMs: number;
  /**
   * Worker processes sharing the mail ports (1: everything in one process).
   * With more, this process keeps the ring, admin and metrics, and the
   * workers log users in and relay (src/app/workers/).
   */
  readonly workers: number;
  /**
   * Dovecot's haproxy_trusted_networks: the load balancers whose PROXY
   * header is believed, on listeners marked `haproxy`. Empty by default.
   */
  readonly haproxyTrustedNetworks: readonly string[];
  /** Dovecot's haproxy_timeout: how long a connection on such a listener may take to send its header. */
  readonly haproxyTimeoutMs: number;
  /**
   * Dovecot's login_source_ips: local addresses backend connections are
   * bound to in turn; `?name` keeps only those of the name's addresses this
   * host has (net/login-source-ips.ts resolves them at start and on SIGHUP).
   */
  readonly loginSourceIps: readonly string[];
}

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
  /** A load balancer in front sends a PROXY header first (Dovecot's `haproxy = yes`); mail ports only. */
  readonly haproxy?: boolean;
}

/** A port left out or set to 0 is not opened (docs/invariants.md, ports). */
export interface ListenConfig {
  readonly imap: ListenAddress | undefined;
  readonly imaps: ListenAddress | undefined;
  readonly pop3: ListenAddress | undefined;
  readonly pop3s: ListenAddress | undefined;
  readonly submission: ListenAddress | undefined;
  readonly submissions: ListenAddress | undefined;
  readonly lmtp: ListenAddress | undefined;
  readonly sieve: ListenAddress | undefined;
  readonly grpc: ListenAddress | undefined;
  readonly http: ListenAddress | undefined;
}

/** A unix socket to listen on: its absolute path and the permission bits it is given once bound. */
export interface UnixListenConfig {
  readonly path: string;
  readonly mode: number;
}

export interface ServerTlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface BackendTlsConfig {
  readonly caFile: string | undefined;
  readonly ca: Buffer | undefined;
  readonly clientCert: Buffer | undefined;
  readonly clientKey: Buffer | undefined;
}

export interface LimitsConfig {
  /** Longest command line before login, bytes (Dovecot: 64 KiB for IMAP). */
  readonly maxLineLength: number;
  /** Largest literal accepted before login, bytes. */
  readonly maxLiteralSize: number;
  /** Invalid commands before `* BYE Too many invalid IMAP commands.` */
  readonly maxInvalidCommands: number;
  /** Close a connection that has not logged in after this long. */
  readonly preloginTimeoutMs: number;
  /** Failed authentication attempts per connection before it is closed. */
  readonly maxAuthAttempts: number;
  /** Dovecot's auth_failure_delay. */
  readonly authFailureDelayMs: number;
  /** Relay idle timeout (no bytes either way). */
  readonly idleTimeoutMs: number;
  /** Default proxy_timeout when the passdb gives none. */
  readonly proxyTimeoutMs: number;
  /** Longest time a login is held for delay_until or a move. */
  readonly maxLoginDelayMs: number;
  /** Spread kicks caused by a backend failure over this long (login_proxy_max_disconnect_delay). */
  readonly maxDisconnectDelayMs: number;
  /**
   * How long a login waits for the user's sessions on another backend to end
   * (a move: I1/I5 in docs/invariants.md) before it fails as temporarily unavailable.
   */
  readonly moveWaitMs: number;
  /** Connections not yet logged in, per process (each worker counts its own). */
  readonly maxPreloginConnections: number;
  /** Of those, from one client address (trusted_networks are exempt). */
  readonly maxPreloginPerIp: number;
}

export type PassdbConfig = LdapPassdbConfig | PasswdFilePassdbConfig | SqlPassdbConfig;

export interface CryptLimitsConfig {
  /** Highest SHA-CRYPT `rounds=` checked. */
  readonly maxShaRounds: number;
  /** Highest BLF-CRYPT cost checked. */
  readonly maxBlfCost: number;
}

export interface FieldMapEntry {
  /** Dovecot field name (`host`, `proxy_maybe`, `forward_x`, ...). */
  readonly field: string;
  /** LDAP attribute holding the value, or undefined for a constant. */
  readonly attribute: string | undefined;
  /** Constant value (`=proxy_maybe=y`), used when `attribute` is undefined. */
  readonly constant: string | undefined;
}

export interface LdapPassdbConfig {
  readonly driver: 'ldap';
  readonly uris: readonly string[];
  readonly bindDn: string | undefined;
  readonly bindPassword: Secret | undefined;
  readonly base: string;
  readonly scope: 'base' | 'one' | 'sub';
  /** Filter template; `%u` (user), `%n` (local part), `%d` (domain) are replaced inside filter objects, escaped. */
  readonly filter: string;
  /** true: search the DN, then bind as the user. false: compare `passwordAttribute` with schemes. */
  readonly authBind: boolean;
  readonly passwordAttribute: string;
  readonly fields: readonly FieldMapEntry[];
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly searchPoolSize: number;
  readonly bindPoolSize: number;
  /** StartTLS on ldap:// URIs. */
  readonly startTls: boolean;
  readonly caFile: string | undefined;
  readonly ca: Buffer | undefined;
  /** How often to look for host changes (modifyTimestamp). */
  readonly changePollMs: number;
}

export interface PasswdFilePassdbConfig {
  readonly driver: 'passwd-file';
  readonly path: string;
}

/** One database server of `passdb.hosts`. */
export interface SqlHostConfig {
  readonly host: string;
  readonly port: number;
}

/** Dovecot's passdb sql (dovecot-sql.conf.ext): its driver, connect settings and password_query. */
export interface SqlPassdbConfig {
  readonly driver: 'sql';
  /** Dovecot's `driver = mysql|pgsql`: MariaDB/MySQL through mysql2, PostgreSQL through pg. */
  readonly sqlDriver: SqlDialect;
  /** Tried in this order; a host that fails is skipped for a backoff (Dovecot's `host=a host=b`). */
  readonly hosts: readonly SqlHostConfig[];
  readonly dbname: string;
  readonly user: string | undefined;
  readonly password: Secret | undefined;
  /** password_query compiled for sqlDriver: variables are bound parameters. */
  readonly passwordQuery: SqlQueryTemplate;
  /** The scheme of a stored password without a `{SCHEME}` prefix (Dovecot's default_pass_scheme). */
  readonly defaultPassScheme: string;
  /** Deadline of one lookup, connect and failover included. */
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  /** Connections per host. */
  readonly poolSize: number;
}

export interface CacheConfig {
  /** Entries; 0 disables the cache. */
  readonly size: number;
  readonly ttlMs: number;
  readonly negativeTtlMs: number;
}

export interface RingConfig {
  /** ring.placement: ketama (default) or Dovecot 2.3 director's ring (ring/dovecot-placement.ts). */
  readonly placement: RingPlacement;
  /**
   * Hash key template (ring.hash_key, or its Dovecot name ring.username_hash):
   * `%u` (default; `%Lu` with the dovecot placement) or `%d` to keep a domain together.
   */
  readonly hashKey: string;
  readonly vnodes: number;
  readonly backends: readonly BackendSpec[];
  /** Ring members (this director among them); empty: a ring of one. */
  readonly directors: readonly RingDirectorConfig[];
  /** Where the replicated ring state is kept across restarts; undefined: in memory only. */
  readonly stateFile: string | undefined;
  readonly probe: ProbeConfig;
  readonly gossip: GossipConfig;
  /**
   * A director that sees fewer than a majority of the ring live (3 or more
   * members) ends its sessions and holds no new ones: the majority counts
   * it dead and would place its users elsewhere (I1 in docs/invariants.md).
   */
  readonly fenceMinority: boolean;
  /** The director whose side wins an even split (cluster/fencing.ts); undefined: none. */
  readonly tieBreaker: string | undefined;
}

export interface RingDirectorConfig {
  readonly id: string;
  /** host:port of its gRPC port (listen.grpc on that director). */
  readonly address: string;
  /** Where this director dials it instead (a proxy in between); not shared with the ring. */
  readonly dial?: string;
}

/** Backend health checks (cluster/backend-probe.ts). */
export interface ProbeConfig {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Consecutive failures before this director votes the backend down. */
  readonly failures: number;
  /** Consecutive successes before it votes it up again. */
  readonly successes: number;
}

export interface GossipConfig {
  readonly heartbeatMs: number;
  /** A director not heard from for this long is dead (its probe votes stop counting). */
  readonly deadAfterMs: number;
  /**
   * How long a dead director's sessions and claims still keep its users
   * where they are: a paused or cut-off director's backend connections may
   * still be open (I1 in docs/invariants.md, docs/ring-protocol.md).
   */
  readonly presenceHoldMs: number;
}

export interface LogConfig {
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  /** File path, or undefined for stdout. */
  readonly file: string | undefined;
}

export type ListenKey = keyof ListenConfig;
export type ClientProtocolOf = Record<Exclude<ListenKey, 'grpc' | 'http'>, Protocol>;
