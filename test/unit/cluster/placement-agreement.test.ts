import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placementMismatch } from '../../../src/cluster/placement-agreement.js';

test('directors that place alike agree; a different placement or hash key is a mismatch', () => {
  const dovecot = { placement: 'dovecot', hashKey: '%Lu' } as const;
  assert.equal(placementMismatch(dovecot, { placement: 'dovecot', hashKey: '%Lu' }), undefined);
  assert.match(placementMismatch(dovecot, { placement: 'ketama', hashKey: '%Lu' }) ?? '', /peer places by ketama, this director by dovecot/);
  assert.match(placementMismatch(dovecot, { placement: 'dovecot', hashKey: '%u' }) ?? '', /peer hashes "%u", this director "%Lu"/);
});

test('a peer from before the fields existed places by ketama and its hash key is not compared', () => {
  assert.equal(placementMismatch({ placement: 'ketama', hashKey: '%d' }, { placement: '', hashKey: '' }), undefined);
  assert.match(placementMismatch({ placement: 'dovecot', hashKey: '%Lu' }, { placement: '', hashKey: '' }) ?? '', /peer places by ketama/);
});
