import {
  AndFilter,
  ApproximateFilter,
  EqualityFilter,
  ExtensibleFilter,
  FilterParser,
  GreaterThanEqualsFilter,
  LessThanEqualsFilter,
  NotFilter,
  OrFilter,
  PresenceFilter,
  SubstringFilter,
} from 'ldapts';
import type { Filter } from 'ldapts';

/** Values for the template variables; see `filterVariables`. */
export interface FilterVariables {
  /** %u, %{user}: the full user name. */
  readonly user: string;
  /** %n, %{username}: the part before '@' (all of it when there is none). */
  readonly username: string;
  /** %d, %{domain}: the part after the last '@' ('' when there is none). */
  readonly domain: string;
}

export class FilterTemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterTemplateError';
  }
}

export function filterVariables(user: string): FilterVariables {
  const at = user.lastIndexOf('@');
  return at < 0
    ? { user, username: user, domain: '' }
    : { user, username: user.slice(0, at), domain: user.slice(at + 1) };
}

const VARIABLE = /%(\{[a-z]+\}|.?)/g;

function variableValue(token: string, vars: FilterVariables): string {
  switch (token) {
    case '%u':
    case '%{user}':
      return vars.user;
    case '%n':
    case '%{username}':
      return vars.username;
    case '%d':
    case '%{domain}':
      return vars.domain;
    case '%%':
      return '%';
    default:
      throw new FilterTemplateError(`unknown variable ${JSON.stringify(token)} in LDAP filter`);
  }
}

/** Replace variables in one assertion value. The result is a literal value, never filter syntax. */
function expand(value: string, vars: FilterVariables): string {
  return value.replace(VARIABLE, (token) => variableValue(token, vars));
}

function expandBuffer(value: Buffer | string, vars: FilterVariables): Buffer | string {
  return typeof value === 'string' ? expand(value, vars) : value;
}

/**
 * A copy of `filter` with variables replaced inside the assertion values of
 * the filter objects. User input never passes through the filter parser, so
 * `*`, `)(uid=*`, `\` or NUL in a user name stay literal characters.
 */
function substitute(filter: Filter, vars: FilterVariables): Filter {
  if (filter instanceof AndFilter) return new AndFilter({ filters: filter.filters.map((f) => substitute(f, vars)) });
  if (filter instanceof OrFilter) return new OrFilter({ filters: filter.filters.map((f) => substitute(f, vars)) });
  if (filter instanceof NotFilter) return new NotFilter({ filter: substitute(filter.filter, vars) });
  if (filter instanceof EqualityFilter) {
    return new EqualityFilter({ attribute: filter.attribute, value: expandBuffer(filter.value, vars) });
  }
  if (filter instanceof SubstringFilter) {
    return new SubstringFilter({
      attribute: filter.attribute,
      initial: expand(filter.initial, vars),
      any: filter.any.map((part) => expand(part, vars)),
      final: expand(filter.final, vars),
    });
  }
  if (filter instanceof ApproximateFilter) {
    return new ApproximateFilter({ attribute: filter.attribute, value: expand(filter.value, vars) });
  }
  if (filter instanceof GreaterThanEqualsFilter) {
    return new GreaterThanEqualsFilter({ attribute: filter.attribute, value: expand(filter.value, vars) });
  }
  if (filter instanceof LessThanEqualsFilter) {
    return new LessThanEqualsFilter({ attribute: filter.attribute, value: expand(filter.value, vars) });
  }
  if (filter instanceof PresenceFilter) return new PresenceFilter({ attribute: filter.attribute });
  if (filter instanceof ExtensibleFilter) {
    return new ExtensibleFilter({
      rule: filter.rule,
      matchType: filter.matchType,
      dnAttributes: filter.dnAttributes,
      value: expand(filter.value, vars),
    });
  }
  throw new FilterTemplateError(`unsupported filter element ${filter.constructor.name}`);
}

/** Whether an assertion value names a user variable (`%%` alone is a literal percent sign). */
function hasVariable(value: Buffer | string): boolean {
  return typeof value === 'string' && value.replace(/%%/g, '').includes('%');
}

/**
 * `filter` for every user at once: an assertion about the user (one whose
 * value has a variable) becomes "the attribute is present"; the others stay,
 * so `(&(objectClass=posixAccount)(uid=%u)(!(disabled=TRUE)))` lists the
 * users the passdb would find, one by one.
 */
function everyUser(filter: Filter): Filter {
  if (filter instanceof AndFilter) return new AndFilter({ filters: filter.filters.map(everyUser) });
  if (filter instanceof OrFilter) return new OrFilter({ filters: filter.filters.map(everyUser) });
  if (filter instanceof NotFilter) return new NotFilter({ filter: everyUser(filter.filter) });
  if (filter instanceof EqualityFilter && hasVariable(filter.value)) return new PresenceFilter({ attribute: filter.attribute });
  if (filter instanceof SubstringFilter && [filter.initial, ...filter.any, filter.final].some(hasVariable)) {
    return new PresenceFilter({ attribute: filter.attribute });
  }
  return substitute(filter, filterVariables(''));
}

/** Parentheses balance and the outermost pair spans the whole filter (values escape parentheses as \28, \29). */
function balanced(filter: string): boolean {
  if (!filter.startsWith('(')) return false;
  let depth = 0;
  for (let i = 0; i < filter.length; i++) {
    const ch = filter[i];
    if (ch === '(') depth += 1;
    else if (ch === ')') {
      depth -= 1;
      if (depth < 0 || (depth === 0 && i !== filter.length - 1)) return false;
    }
  }
  return depth === 0;
}

/** A filter parsed once from configuration, instantiated per user. */
export class FilterTemplate {
  readonly source: string;
  readonly #parsed: Filter;

  private constructor(source: string, parsed: Filter) {
    this.source = source;
    this.#parsed = parsed;
  }

  /** Throws FilterTemplateError for a template that does not parse or uses unknown variables. */
  static parse(source: string): FilterTemplate {
    const trimmed = source.trim();
    // ldapts' parser accepts some unbalanced input ("(&(uid=%u)"); refuse it here.
    if (!balanced(trimmed)) throw new FilterTemplateError(`invalid LDAP filter ${JSON.stringify(source)}: unbalanced parentheses`);
    let parsed: Filter;
    try {
      parsed = FilterParser.parseString(trimmed);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new FilterTemplateError(`invalid LDAP filter ${JSON.stringify(source)}: ${reason}`);
    }
    // Instantiating once with dummy values surfaces unknown variables at configuration time.
    substitute(parsed, filterVariables('user@domain'));
    return new FilterTemplate(source, parsed);
  }

  build(user: string): Filter {
    return substitute(this.#parsed, filterVariables(user));
  }

  /** Every entry the filter would find for some user (`ring plan --ldap`): see everyUser. */
  everyUser(): Filter {
    return everyUser(this.#parsed);
  }

  /**
   * Entries of the kind this filter looks for (its literal `objectClass=...`
   * assertions, top level or inside a top-level AND) modified at or after
   * `generalizedTime`. The other assertions are left out on purpose: an entry
   * that stops matching them (a user being disabled) is a change too.
   */
  changedSince(generalizedTime: string): Filter {
    const classes = conjuncts(this.#parsed).filter(
      (f): f is EqualityFilter =>
        f instanceof EqualityFilter && f.attribute.toLowerCase() === 'objectclass' && !String(f.value).includes('%'),
    );
    const since = new GreaterThanEqualsFilter({ attribute: 'modifyTimestamp', value: generalizedTime });
    return classes.length === 0 ? since : new AndFilter({ filters: [...classes, since] });
  }

  /** Attributes compared with exactly `%u`, `%n` or `%d` (e.g. `uid` in `(uid=%u)`), to name an entry's user. */
  userAttributes(): UserAttributes {
    const found: { user?: string; username?: string; domain?: string } = {};
    for (const f of conjuncts(this.#parsed)) {
      if (!(f instanceof EqualityFilter)) continue;
      const value = String(f.value);
      if (value === '%u' || value === '%{user}') found.user ??= f.attribute;
      else if (value === '%n' || value === '%{username}') found.username ??= f.attribute;
      else if (value === '%d' || value === '%{domain}') found.domain ??= f.attribute;
    }
    return found;
  }
}

export interface UserAttributes {
  readonly user?: string;
  readonly username?: string;
  readonly domain?: string;
}

/** The assertions that must all hold: the filter itself, or the members of (nested) top-level ANDs. */
function conjuncts(filter: Filter): Filter[] {
  return filter instanceof AndFilter ? filter.filters.flatMap(conjuncts) : [filter];
}
