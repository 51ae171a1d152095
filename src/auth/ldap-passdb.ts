import type { Logger } from 'pino';
import type { LdapPassdbConfig } from '../config/types.js';
import type { Secret } from '../core/secret.js';
import { LdapDirectory } from '../adapters/ldap/directory.js';
import type { Deadline } from '../adapters/ldap/deadline.js';
import type { FoundEntry } from '../adapters/ldap/entry.js';
import { LdapError } from '../adapters/ldap/errors.js';
import { FilterTemplate } from '../adapters/ldap/filter.js';
import type { UserFields } from './fields.js';
import type { AuthRequest, AuthResult, LookupResult, Passdb } from './passdb.js';
import { parseUserFields } from './parse-fields.js';
import { entryToRawFields, mappedAttributes } from './ldap-fields.js';
import { LdapUserNamer } from './ldap-user-name.js';
import { verifyPassword, type CryptLimits } from './schemes.js';
import { checkUsername, DEFAULT_MAX_USERNAME_LENGTH } from './username.js';
import { LogThrottle } from '../adapters/log/throttle.js';

export interface LdapPassdbOptions {
  readonly maxUsernameLength?: number;
  /** What a stored hash may ask for (auth_bind: false); the defaults unless given. */
  readonly cryptLimits?: CryptLimits | undefined;
}

type Found =
  | { readonly kind: 'found'; readonly entry: FoundEntry; readonly fields: UserFields }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'tempfail'; readonly detail: string };

/**
 * Users from LDAP. auth_bind: find the DN with the service connections, then
 * bind as the user on a connection of its own. Otherwise read the password
 * attribute and check it with the {SCHEME} rules. LDAP trouble is always
 * `tempfail`, never "wrong password".
 */
export class LdapPassdb implements Passdb {
  readonly #config: LdapPassdbConfig;
  readonly #log: Logger;
  readonly #directory: LdapDirectory;
  readonly #filter: FilterTemplate;
  readonly #attributes: string[];
  readonly #maxUsernameLength: number;
  readonly #cryptLimits: CryptLimits | undefined;
  /** With LDAP down every login fails the same way: one line per second is enough. */
  readonly #unavailableLog = new LogThrottle(1000);

  constructor(config: LdapPassdbConfig, log: Logger, options: LdapPassdbOptions = {}) {
    this.#config = config;
    this.#log = log.child({ passdb: 'ldap' });
    this.#filter = FilterTemplate.parse(config.filter);
    const attributes = mappedAttributes(config.fields);
    if (!config.authBind) attributes.push(config.passwordAttribute);
    this.#attributes = attributes;
    this.#maxUsernameLength = options.maxUsernameLength ?? DEFAULT_MAX_USERNAME_LENGTH;
    this.#cryptLimits = options.cryptLimits;
    this.#directory = this.#newDirectory(config.searchPoolSize, config.bindPoolSize);
  }

  #newDirectory(searchPoolSize: number, bindPoolSize: number): LdapDirectory {
    const config = this.#config;
    return new LdapDirectory(
      {
        uris: config.uris,
        bindDn: config.bindDn,
        bindPassword: config.bindPassword,
        timeoutMs: config.timeoutMs,
        connectTimeoutMs: config.connectTimeoutMs,
        searchPoolSize,
        bindPoolSize,
        startTls: config.startTls,
        ca: config.ca,
      },
      this.#log,
    );
  }

  /**
   * Every user the filter can find (the filter with its user assertions as
   * "present": FilterTemplate.everyUser), a page at a time. The scan has a
   * connection of its own, as the change watcher does (ldap-changes.ts): a
   * page that runs out of time tears down its socket, which must not fail
   * the logins multiplexed on the passdb's connections.
   */
  async *listUsers(): AsyncGenerator<UserFields> {
    const namer = new LdapUserNamer(this.#config, this.#filter);
    const attributes = mappedAttributes(this.#config.fields);
    for (const name of namer.attributes) if (!attributes.some((a) => a.toLowerCase() === name.toLowerCase())) attributes.push(name);
    const directory = this.#newDirectory(1, 1);
    let skipped = 0;
    try {
      const spec = { base: this.#config.base, scope: this.#config.scope, filter: this.#filter.everyUser(), attributes };
      for await (const page of directory.eachPage(spec)) {
        for (const entry of page) {
          const user = namer.userOf(entry);
          const parsed = user === undefined ? undefined : parseUserFields(user, entryToRawFields(entry, this.#config.fields));
          if (parsed === undefined || 'error' in parsed) {
            skipped += 1;
            continue;
          }
          yield parsed.fields;
        }
      }
    } finally {
      if (skipped > 0) this.#log.warn({ skipped }, 'user scan: entries without a user name or with a malformed field left out');
      await directory.close();
    }
  }

  async #find(user: string, deadline: Deadline): Promise<Found> {
    const started = Date.now();
    try {
      const entry = await this.#directory.findOne(
        { base: this.#config.base, scope: this.#config.scope, filter: this.#filter.build(user), attributes: this.#attributes },
        deadline,
      );
      if (entry === undefined) return { kind: 'not_found' };
      const parsed = parseUserFields(user, entryToRawFields(entry, this.#config.fields));
      if ('error' in parsed) {
        // The entry is broken, not the user's password: do not say "wrong password".
        this.#log.warn({ user, dn: entry.dn, problem: parsed.error }, 'LDAP entry has a malformed field');
        return { kind: 'tempfail', detail: `malformed field: ${parsed.error}` };
      }
      return { kind: 'found', entry, fields: parsed.fields };
    } catch (err) {
      return { kind: 'tempfail', detail: this.#logLdapError(err, user, 'search', started) };
    }
  }

  #logLdapError(err: unknown, user: string, op: string, started: number): string {
    const durationMs = Date.now() - started;
    if (err instanceof LdapError) {
      const slot = err.kind === 'unavailable' ? this.#unavailableLog.take() : { suppressed: undefined };
      if (slot !== undefined) {
        this.#log.warn(
          { user, op, uri: err.uri, kind: err.kind, code: err.code, durationMs, suppressed: slot.suppressed, err },
          'LDAP request failed',
        );
      }
      return `LDAP ${err.kind}: ${err.message}`;
    }
    const message = err instanceof Error ? err.message : String(err);
    this.#log.error({ user, op, durationMs, err }, 'unexpected error in LDAP passdb');
    return `LDAP error: ${message}`;
  }

  async authenticate(request: AuthRequest): Promise<AuthResult> {
    const started = Date.now();
    const name = checkUsername(request.user, this.#maxUsernameLength);
    if (!name.ok) return { kind: 'fail', detail: `invalid user name (${name.reason})` };
    const deadline = this.#directory.deadline();
    const found = await this.#find(name.user, deadline);
    if (found.kind === 'tempfail') return found;
    if (found.kind === 'not_found') return { kind: 'fail', detail: 'unknown user' };
    if (found.fields.nopassword) return { kind: 'ok', fields: found.fields };
    // Checked only now: `nopassword` is known after the lookup. Never bind with an empty password.
    if (request.password.isEmpty) return { kind: 'fail', detail: 'empty password' };
    const verdict = this.#config.authBind
      ? await this.#checkByBind(name.user, found.entry, request.password, deadline)
      : await this.#checkByAttribute(name.user, found.entry, request.password);
    if (verdict.kind !== 'ok') return verdict;
    this.#log.debug({ user: name.user, durationMs: Date.now() - started }, 'LDAP authentication succeeded');
    return { kind: 'ok', fields: found.fields };
  }

  async #checkByBind(user: string, entry: FoundEntry, password: Secret, deadline: Deadline): Promise<{ kind: 'ok' } | AuthResult> {
    const started = Date.now();
    try {
      return (await this.#directory.verifyBind(entry.dn, password, deadline))
        ? { kind: 'ok' }
        : { kind: 'fail', detail: 'wrong password' };
    } catch (err) {
      return { kind: 'tempfail', detail: this.#logLdapError(err, user, 'bind', started) };
    }
  }

  async #checkByAttribute(user: string, entry: FoundEntry, password: Secret): Promise<{ kind: 'ok' } | AuthResult> {
    const stored = entry.attributes.get(this.#config.passwordAttribute.toLowerCase()) ?? [];
    if (stored.length === 0) return { kind: 'fail', detail: 'no password stored' };
    let unsupported: string | undefined;
    for (const value of stored) {
      const verdict = await verifyPassword(value, password, this.#cryptLimits);
      if (verdict.kind === 'match') return { kind: 'ok' };
      if (verdict.kind === 'unsupported') {
        this.#log.warn({ user, dn: entry.dn, scheme: verdict.scheme, reason: verdict.reason }, 'cannot verify stored password');
        unsupported = `cannot verify ${verdict.scheme} password: ${verdict.reason}`;
      }
    }
    // A value we could not check might have matched: that is not a "wrong password".
    return unsupported === undefined ? { kind: 'fail', detail: 'wrong password' } : { kind: 'tempfail', detail: unsupported };
  }

  async lookup(user: string): Promise<LookupResult> {
    const name = checkUsername(user, this.#maxUsernameLength);
    if (!name.ok) return { kind: 'not_found' };
    const found = await this.#find(name.user, this.#directory.deadline());
    if (found.kind === 'found') return { kind: 'ok', fields: found.fields };
    return found;
  }

  flushCache(): number {
    return 0;
  }

  close(): Promise<void> {
    return this.#directory.close();
  }
}
