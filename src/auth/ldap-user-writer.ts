import type { Logger } from 'pino';
import type { LdapPassdbConfig } from '../config/types.js';
import { LdapDirectory } from '../adapters/ldap/directory.js';
import { FilterTemplate } from '../adapters/ldap/filter.js';
import { checkUsername } from './username.js';

/** Why a user's fields could not be written; `kind` tells the operator's mistake from a failure. */
export class UserWriteError extends Error {
  readonly kind: 'no_attribute' | 'not_found' | 'ldap';
  constructor(kind: UserWriteError['kind'], message: string) {
    super(message);
    this.name = 'UserWriteError';
    this.kind = kind;
  }
}

/**
 * Writes passdb fields of one user back to LDAP through the field map (e.g.
 * `host` → mailHost), all in one modify so a reader never sees half of it.
 * Binds as passdb.bind_dn, which needs write access to those attributes.
 * One short-lived connection per writer: moves are rare.
 */
export class LdapUserWriter {
  readonly #config: LdapPassdbConfig;
  readonly #directory: LdapDirectory;
  readonly #filter: FilterTemplate;

  constructor(config: LdapPassdbConfig, log: Logger) {
    this.#config = config;
    this.#filter = FilterTemplate.parse(config.filter);
    this.#directory = new LdapDirectory(
      {
        uris: config.uris,
        bindDn: config.bindDn,
        bindPassword: config.bindPassword,
        timeoutMs: config.timeoutMs,
        connectTimeoutMs: config.connectTimeoutMs,
        searchPoolSize: 1,
        bindPoolSize: 1,
        startTls: config.startTls,
        ca: config.ca,
      },
      log.child({ passdb: 'ldap-writer' }),
    );
  }

  /** The LDAP attribute holding `field`, or undefined when the map has none (or only a constant). */
  attributeFor(field: string): string | undefined {
    return this.#config.fields.find((f) => f.field === field && f.attribute !== undefined)?.attribute;
  }

  /** Set `fields` (passdb field → value) on the user's entry in one modify. Returns the entry's DN. */
  async write(user: string, fields: Readonly<Record<string, string>>): Promise<string> {
    const values: Record<string, string[]> = {};
    for (const [field, value] of Object.entries(fields)) {
      const attribute = this.attributeFor(field);
      if (attribute === undefined) throw new UserWriteError('no_attribute', `passdb.fields maps no LDAP attribute to "${field}"`);
      values[attribute] = [value];
    }
    const name = checkUsername(user, 256);
    if (!name.ok) throw new UserWriteError('not_found', 'not a valid user name');
    const deadline = this.#directory.deadline();
    let dn: string;
    try {
      const entry = await this.#directory.findOne(
        { base: this.#config.base, scope: this.#config.scope, filter: this.#filter.build(name.user), attributes: [] },
        deadline,
      );
      if (entry === undefined) throw new UserWriteError('not_found', 'no such user in LDAP');
      dn = entry.dn;
      await this.#directory.modifyReplace(dn, values, deadline);
    } catch (err) {
      if (err instanceof UserWriteError) throw err;
      throw new UserWriteError('ldap', `LDAP: ${err instanceof Error ? err.message : String(err)}`);
    }
    return dn;
  }

  close(): Promise<void> {
    return this.#directory.close();
  }
}
