import type { FoundEntry } from '../adapters/ldap/entry.js';
import type { FilterTemplate } from '../adapters/ldap/filter.js';
import type { LdapPassdbConfig } from '../config/types.js';

/**
 * The user name of an entry found without a user to look for (a change
 * poll, a scan of every user): the attribute the field map maps to `user`;
 * else the attribute the filter compares with `%u`; else the ones compared
 * with `%n` (and `%d`, joined as n@d); else the value of the DN's first RDN.
 */
export class LdapUserNamer {
  readonly #how: { readonly user: string } | { readonly username: string; readonly domain: string | undefined } | undefined;
  /** Attributes a search must ask for so that userOf can name the entry. */
  readonly attributes: readonly string[];

  constructor(config: Pick<LdapPassdbConfig, 'fields'>, filter: FilterTemplate) {
    const userField = config.fields.find((f) => f.field.toLowerCase() === 'user' && f.attribute !== undefined)?.attribute;
    const fromFilter = filter.userAttributes();
    if (userField !== undefined) this.#how = { user: userField };
    else if (fromFilter.user !== undefined) this.#how = { user: fromFilter.user };
    else if (fromFilter.username !== undefined) this.#how = { username: fromFilter.username, domain: fromFilter.domain };
    this.attributes = [fromFilter.user, fromFilter.username, fromFilter.domain].filter((a): a is string => a !== undefined);
  }

  userOf(entry: FoundEntry): string | undefined {
    const first = (attribute: string): string | undefined => entry.attributes.get(attribute.toLowerCase())?.[0];
    const how = this.#how;
    if (how === undefined) return firstRdnValue(entry.dn);
    if ('user' in how) return first(how.user);
    const name = first(how.username);
    if (name === undefined || how.domain === undefined) return name;
    const domain = first(how.domain);
    return domain === undefined ? name : `${name}@${domain}`;
  }
}

/** "uid=alice,ou=people,..." → "alice"; escapes are not undone (a fallback for filters without %u). */
function firstRdnValue(dn: string): string | undefined {
  const match = /^[^=,+]+=((?:\\.|[^,+\\])*)/.exec(dn);
  const value = match?.[1]?.trim();
  return value === undefined || value.length === 0 ? undefined : value;
}
