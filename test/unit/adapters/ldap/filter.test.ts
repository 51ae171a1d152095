import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AndFilter, EqualityFilter, SubstringFilter } from 'ldapts';
import { FilterTemplate, FilterTemplateError, filterVariables } from '../../../../src/adapters/ldap/filter.js';

const TEMPLATE = '(&(objectClass=inetOrgPerson)(uid=%u))';

/** The user-supplied value as it will be sent: one EqualityFilter value, nothing else. */
function uidAssertion(user: string): EqualityFilter {
  const filter = FilterTemplate.parse(TEMPLATE).build(user);
  assert.ok(filter instanceof AndFilter);
  assert.equal(filter.filters.length, 2);
  const uid = filter.filters[1];
  assert.ok(uid instanceof EqualityFilter);
  return uid;
}

test('%u lands inside an equality assertion', () => {
  const uid = uidAssertion('alice');
  assert.equal(uid.attribute, 'uid');
  assert.equal(uid.value, 'alice');
  assert.equal(FilterTemplate.parse(TEMPLATE).build('alice').toString(), '(&(objectClass=inetOrgPerson)(uid=alice))');
});

test('injection attempts stay literal values', () => {
  for (const evil of ['*', ')(uid=*', '*)(|(uid=*', 'a\\2a', 'a\\', 'nul\u0000byte', '(uid=*)']) {
    const uid = uidAssertion(evil);
    // The whole input is one assertion value: the filter still has exactly two parts.
    assert.equal(uid.value, evil);
    const text = FilterTemplate.parse(TEMPLATE).build(evil).toString();
    // Rendered, every special character is escaped, so no wildcard or extra clause exists.
    assert.doesNotMatch(text.slice('(&(objectClass=inetOrgPerson)(uid='.length, -2), /[*()\u0000]|\\(?![0-9a-f]{2})/);
  }
  assert.equal(FilterTemplate.parse(TEMPLATE).build('*').toString(), '(&(objectClass=inetOrgPerson)(uid=\\2a))');
  assert.equal(FilterTemplate.parse(TEMPLATE).build(')(uid=*').toString(), '(&(objectClass=inetOrgPerson)(uid=\\29\\28uid=\\2a))');
});

test('a variable inside a substring filter is literal too', () => {
  const filter = FilterTemplate.parse('(mail=%n*)').build('*');
  assert.ok(filter instanceof SubstringFilter);
  assert.equal(filter.initial, '*');
  assert.equal(filter.toString(), '(mail=\\2a*)');
});

test('%n and %d split at the last @; %{user} and %% work', () => {
  assert.deepEqual(filterVariables('a@b@example.org'), { user: 'a@b@example.org', username: 'a@b', domain: 'example.org' });
  assert.deepEqual(filterVariables('plain'), { user: 'plain', username: 'plain', domain: '' });
  const filter = FilterTemplate.parse('(|(&(uid=%n)(dc=%d))(mail=%{user})(note=100%%))').build('bob@example.org');
  assert.equal(filter.toString(), '(|(&(uid=bob)(dc=example.org))(mail=bob@example.org)(note=100%))');
});

test('the template is parsed once and is not changed by building', () => {
  const template = FilterTemplate.parse(TEMPLATE);
  template.build('first');
  assert.equal(template.build('second').toString(), '(&(objectClass=inetOrgPerson)(uid=second))');
});

test('bad templates are refused at configuration time', () => {
  assert.throws(() => FilterTemplate.parse('(&(uid=%u)'), FilterTemplateError);
  assert.throws(() => FilterTemplate.parse('(uid=%x)'), /unknown variable/);
});

test('everyUser: user assertions become presence, the rest stays', () => {
  const t = FilterTemplate.parse('(&(objectClass=posixAccount)(|(uid=%u)(mail=%n@%d))(!(disabled=TRUE))(cn=100%%))');
  assert.equal(t.everyUser().toString(), '(&(objectClass=posixAccount)(|(uid=*)(mail=*))(!(disabled=TRUE))(cn=100%))');
  assert.equal(FilterTemplate.parse('(uid=%{user})').everyUser().toString(), '(uid=*)');
});
