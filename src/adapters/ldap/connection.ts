import net from 'node:net';
import tls from 'node:tls';
import { Attribute, Change, Client } from 'ldapts';
import type { SearchOptions, SearchResult } from 'ldapts';
import type { Secret } from '../../core/secret.js';
import type { Deadline } from './deadline.js';
import { LdapError, resultCodeOf } from './errors.js';

export interface ConnectionOptions {
  readonly uri: string;
  /** Our own per-request deadline is the real limit; ldapts gets this plus a margin as a backstop. */
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly startTls: boolean;
  readonly ca: Buffer | undefined;
  /** TCP keepalive probe delay; 0 disables. */
  readonly keepAliveMs: number;
  /** Identity bound right after connecting (service connections); undefined for user-bind connections. */
  readonly serviceBind: { readonly dn: string; readonly password: Secret } | undefined;
}

const BACKSTOP_MARGIN_MS = 1000;

/** TLS options that check the certificate against the URI's host, not "localhost". */
function tlsTarget(host: string, ca: Buffer | undefined): tls.ConnectionOptions {
  // An IP address is not a valid SNI name; node then checks the certificate against `host`.
  const target: tls.ConnectionOptions = net.isIP(host) === 0 ? { servername: host, host } : { host };
  return ca === undefined ? target : { ...target, ca };
}

/**
 * One ldapts Client (one socket) and the state ldapts does not keep for us:
 * the socket itself (for keepalive and a hard destroy), whether the start-up
 * steps (StartTLS, service bind) are done, and whether it may be used again.
 * After the socket closes for any reason the connection is dead for good:
 * ldapts would otherwise reconnect silently, unbound and possibly without TLS.
 */
export class LdapConnection {
  readonly uri: string;
  readonly #options: ConnectionOptions;
  readonly #client: Client;
  readonly #sockets: net.Socket[] = [];
  readonly #host: string;
  #dead = false;
  #ready: Promise<void> | undefined;

  constructor(options: ConnectionOptions) {
    this.uri = options.uri;
    this.#options = options;
    const url = new URL(options.uri);
    // URL keeps IPv6 brackets; net/tls want the bare address.
    this.#host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const secureConnect = ((portOrOptions: number | tls.ConnectionOptions, host?: string, opts?: tls.ConnectionOptions) => {
      const socket =
        typeof portOrOptions === 'number'
          ? tls.connect(portOrOptions, host ?? this.#host, { ...opts, ...tlsTarget(this.#host, options.ca) })
          : tls.connect({ ...portOrOptions, ...tlsTarget(this.#host, options.ca) });
      return this.#track(socket);
    }) as typeof tls.connect;
    const plainConnect = ((port: number, host: string) => this.#track(net.connect({ port, host }))) as typeof net.connect;
    // ldapts writes into its options object: always hand it a fresh one.
    this.#client = new Client({
      url: options.uri,
      timeout: options.timeoutMs + BACKSTOP_MARGIN_MS,
      connectTimeout: options.connectTimeoutMs,
      createConnection: plainConnect,
      createSecureConnection: secureConnect,
    });
  }

  get dead(): boolean {
    return this.#dead;
  }

  #track<S extends net.Socket>(socket: S): S {
    if (this.#dead) {
      socket.destroy();
      return socket;
    }
    this.#sockets.push(socket);
    socket.setNoDelay(true);
    // A silently dropped link (firewall, crashed host) is otherwise noticed only by the deadline.
    if (this.#options.keepAliveMs > 0) socket.setKeepAlive(true, this.#options.keepAliveMs);
    socket.once('close', () => {
      this.#dead = true;
    });
    return socket;
  }

  /** Connect, StartTLS and service bind once; concurrent callers share the same attempt. */
  ready(deadline: Deadline): Promise<void> {
    if (this.#dead) return Promise.reject(new LdapError('unavailable', 'connection closed', this.uri));
    // A failed start-up leaves nothing worth keeping: the next caller gets a fresh connection.
    const start = (): Promise<void> =>
      (this.#ready ??= this.#prepare().catch((err: unknown) => {
        this.destroy();
        throw err;
      }));
    return this.#guard(start, 'connect', deadline);
  }

  async #prepare(): Promise<void> {
    if (this.#options.startTls && this.#options.uri.toLowerCase().startsWith('ldap://')) {
      await this.#client.startTLS(tlsTarget(this.#host, this.#options.ca));
    }
    const bind = this.#options.serviceBind;
    if (bind !== undefined) {
      try {
        await this.#client.bind(bind.dn, bind.password.reveal());
      } catch (err) {
        if (resultCodeOf(err) === 49) {
          throw new LdapError('service_bind', `service bind as ${bind.dn} refused`, this.uri, 49);
        }
        throw err;
      }
    }
  }

  search(base: string, options: SearchOptions, deadline: Deadline): Promise<SearchResult> {
    return this.#guard(() => this.#client.search(base, { ...options }), 'search', deadline);
  }

  /**
   * A paged search (RFC 2696) read one page at a time: each page has its own
   * deadline, and the caller holds only the page it is working on.
   */
  async *searchPages(base: string, options: SearchOptions, pageDeadline: () => Deadline): AsyncGenerator<SearchResult> {
    const pages = this.#client.searchPaginated(base, { ...options });
    try {
      for (;;) {
        const next = await this.#guard(() => pages.next(), 'search', pageDeadline());
        if (next.done === true) return;
        yield next.value;
      }
    } finally {
      // A caller that stops early (or a failed page) leaves no search running on the connection.
      void pages.return(undefined).catch(() => undefined);
    }
  }

  /** Replace each attribute's values (an empty list deletes it) in one modify: atomic on the server. */
  modifyReplace(dn: string, values: Readonly<Record<string, readonly string[]>>, deadline: Deadline): Promise<void> {
    const changes = Object.entries(values).map(
      ([type, vals]) => new Change({ operation: 'replace', modification: new Attribute({ type, values: [...vals] }) }),
    );
    return this.#guard(() => this.#client.modify(dn, changes), 'modify', deadline);
  }

  /** Simple bind. Only on connections used for nothing else, one at a time (the pool sees to that). */
  bind(dn: string, password: Secret, deadline: Deadline): Promise<void> {
    return this.#guard(() => this.#client.bind(dn, password.reveal()), 'bind', deadline);
  }

  /** Start `work` only with time left on a live connection; a late answer tears the connection down. */
  async #guard<T>(work: () => Promise<T>, what: string, deadline: Deadline): Promise<T> {
    if (this.#dead) throw new LdapError('unavailable', `${what}: connection closed`, this.uri);
    if (deadline.expired) throw new LdapError('unavailable', `${what}: deadline passed`, this.uri);
    try {
      return await deadline.race(work(), what, this.uri, () => this.destroy());
    } catch (err) {
      throw this.#classify(err, what);
    }
  }

  #classify(err: unknown, what: string): LdapError {
    if (err instanceof LdapError) {
      if (err.kind === 'unavailable' || this.#options.startTls) this.destroy();
      return err;
    }
    const code = resultCodeOf(err);
    // After a StartTLS session hits any error ldapts may continue in plaintext: never reuse it.
    if (code === undefined || this.#options.startTls) this.destroy();
    const message = err instanceof Error ? err.message : String(err);
    if (code === undefined) return new LdapError('unavailable', `${what}: ${message}`, this.uri);
    return new LdapError('server', `${what}: ${message}`, this.uri, code);
  }

  /** Tear the socket down at once; ldapts then fails whatever was in flight on it. */
  destroy(): void {
    this.#dead = true;
    for (const socket of this.#sockets) socket.destroy();
  }

  /** Polite close: unbind when the link is healthy, never wait long for it. */
  async close(): Promise<void> {
    if (!this.#dead && this.#client.isConnected) {
      const unbind = this.#client.unbind().catch(() => undefined);
      await Promise.race([unbind, new Promise((resolve) => setTimeout(resolve, 200).unref())]);
    }
    this.destroy();
  }
}
