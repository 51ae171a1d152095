import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileHashKey, expandHashKey } from '../../../src/ring/hash-key.js';

test('%u, %n, %d and their lower-case forms', () => {
  assert.equal(expandHashKey('%u', 'Alice@Example.ORG'), 'Alice@Example.ORG');
  assert.equal(expandHashKey('%n', 'Alice@Example.ORG'), 'Alice');
  assert.equal(expandHashKey('%d', 'Alice@Example.ORG'), 'Example.ORG');
  assert.equal(expandHashKey('%Lu', 'Alice@Example.ORG'), 'alice@example.org');
  assert.equal(expandHashKey('%Ln', 'Alice@Example.ORG'), 'alice');
  assert.equal(expandHashKey('%Ld', 'Alice@Example.ORG'), 'example.org');
});

test('users without a domain, literals, %% and unknown sequences', () => {
  assert.equal(expandHashKey('%n', 'bob'), 'bob');
  assert.equal(expandHashKey('%d', 'bob'), '');
  assert.equal(expandHashKey('%n@%d', 'a@b@c'), 'a@b@c');
  assert.equal(expandHashKey('x-%u-100%%', 'u'), 'x-u-100%');
  assert.equal(expandHashKey('%x%u%', 'u'), '%xu%');
});

test('a compiled template can be reused', () => {
  const f = compileHashKey('%Ld');
  assert.equal(f('a@X.org'), 'x.org');
  assert.equal(f('b@x.ORG'), 'x.org');
});
