import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileUserMask } from '../../../src/admin/user-mask.js';

test('empty mask matches everyone', () => {
  assert.equal(compileUserMask('')('anyone'), true);
});

test('a plain mask is an exact, case-sensitive match', () => {
  const m = compileUserMask('alice@example.org');
  assert.equal(m('alice@example.org'), true);
  assert.equal(m('Alice@example.org'), false);
  assert.equal(m('alice@example.org.evil'), false);
});

test('* and ? are wildcards; regex characters are literal', () => {
  const m = compileUserMask('a?ice*@ex.org');
  assert.equal(m('alice@ex.org'), true);
  assert.equal(m('alice+tag@ex.org'), true);
  assert.equal(m('aice@ex.org'), false);
  assert.equal(m('alice@exXorg'), false);
  assert.equal(compileUserMask('(a|b)*')('(a|b)c'), true);
  assert.equal(compileUserMask('(a|b)*')('a'), false);
});
