import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeEntry } from '../../../src/adapters/ldap/entry.js';
import { entryToRawFields, mappedAttributes } from '../../../src/auth/ldap-fields.js';
import type { FieldMapEntry } from '../../../src/config/types.js';

const MAP: FieldMapEntry[] = [
  { field: 'host', attribute: 'mailHost', constant: undefined },
  { field: 'Proxy', attribute: 'mailProxy', constant: undefined },
  { field: 'destuser', attribute: 'mailDestUser', constant: undefined },
  { field: 'extra', attribute: 'mailExtraField', constant: undefined },
  { field: 'proxy_maybe', attribute: undefined, constant: 'y' },
];

test('attribute names match in any case; single, multiple and empty values', () => {
  const entry = normalizeEntry({
    dn: 'uid=a,dc=x',
    MAILHOST: ['10.0.0.1', '10.0.0.2'],
    mailproxy: 'proxy',
    mailDestUser: [],
    mailExtraField: ['port=1143', 'reason=Account moved to: b', 'proxy_nopipelining', '=bad', ''],
  });
  const raw = entryToRawFields(entry, MAP);
  assert.deepEqual(Object.fromEntries(raw), {
    host: '10.0.0.1',
    proxy: 'proxy',
    port: '1143',
    reason: 'Account moved to: b',
    proxy_nopipelining: 'y',
    proxy_maybe: 'y',
  });
});

test('buffers become strings and the requested attribute list has no duplicates', () => {
  const entry = normalizeEntry({ dn: 'uid=a', mailHost: Buffer.from('h1') });
  assert.deepEqual(entry.attributes.get('mailhost'), ['h1']);
  assert.deepEqual(mappedAttributes([...MAP, { field: 'x', attribute: 'MAILHOST', constant: undefined }]), [
    'MAILHOST',
    'mailProxy',
    'mailDestUser',
    'mailExtraField',
  ]);
});
