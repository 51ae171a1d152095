import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Client } from 'ldapts';
import { startSlapd } from '../../harness/slapd.js';
import type { SlapdHandle } from '../../harness/slapd.js';
import { FilterTemplate } from '../../../src/adapters/ldap/filter.js';
import { LdapPassdb } from '../../../src/auth/ldap-passdb.js';
import { Secret } from '../../../src/core/secret.js';
import type { LdapPassdbConfig } from '../../../src/config/types.js';
import { fuzzParameters } from '../../unit/fuzz/inputs.js';
import { captureLog } from './log-capture.js';

/**
 * LDAP filter escaping as a property, checked by a real slapd: for any user
 * name, the configured filter finds at most the entry whose uid is that
 * literal name (RFC 4515 assertion values are never filter syntax), however
 * the name is built from `*`, parentheses, backslashes, NUL and the other
 * users' names.
 */

const UIDS = ['alice', 'alice.smith', 'al', 'bob', 'b0b', 'carol+tag', 'dave@example.org', 'x-y_z'];
const TEMPLATES = ['(&(objectClass=inetOrgPerson)(uid=%u))', '(uid=%n)', '(&(|(uid=%u)(uid=%n))(objectClass=inetOrgPerson))'];

let dir: string;
let ldap: SlapdHandle;
let client: Client;
const { log } = captureLog();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ldap-filter-'));
  ldap = await startSlapd({ dir, users: UIDS.map((uid) => ({ uid, password: `${uid}-pw` })) });
  client = new Client({ url: ldap.url, timeout: 5000, connectTimeout: 5000 });
  await client.bind(ldap.bindDn, ldap.bindPassword);
});

after(async () => {
  await client?.unbind().catch(() => undefined);
  await ldap?.stop();
  await rm(dir, { recursive: true, force: true });
});

/**
 * uid compares with caseIgnoreMatch after RFC 4518 string preparation: ASCII
 * controls other than TAB…CR are mapped to nothing, TAB…CR become spaces,
 * case is folded and insignificant spaces dropped. Two names that prepare the
 * same are the same name to LDAP; that is matching, not injection.
 */
function prepared(name: string): string {
  return name
    .replace(/[\x00-\x08\x0e-\x1f\x7f]/g, '')
    .replace(/[\t\n\v\f\r]/g, ' ')
    .toLowerCase()
    .trim()
    .replace(/ +/g, ' ');
}

/** The uid the template compares against for `user`: %u is the whole name, %n the part before the last '@'. */
function comparedNames(template: string, user: string): string[] {
  const at = user.lastIndexOf('@');
  const local = at < 0 ? user : user.slice(0, at);
  const names: string[] = [];
  if (template.includes('%u')) names.push(user);
  if (template.includes('%n')) names.push(local);
  return names;
}

const FILTER_SYNTAX = ['*', '(', ')', '\\', '\0', '&', '|', '!', '=', '~=', '>=', '<=', '\\2a', '\\28', '\\5c', ')(uid=*', '*)(|(uid=*', ' ', '@'];

/** Names made of filter syntax, other users' names and their pieces, in any order. */
const hostileName: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.constantFrom(...FILTER_SYNTAX),
      fc.constantFrom(...UIDS),
      fc.constantFrom(...UIDS).map((uid) => uid.slice(0, Math.max(1, uid.length - 2))),
      fc.string({ unit: 'binary-ascii', maxLength: 4 }),
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((parts) => parts.join(''));

async function uidsFound(template: FilterTemplate, user: string): Promise<string[]> {
  const { searchEntries } = await client.search(ldap.peopleDn, {
    scope: 'sub',
    filter: template.build(user),
    attributes: ['uid'],
  });
  return searchEntries.map((entry) => String(entry['uid']));
}

test('for any user name, the filter finds only the entry whose uid is that literal name (real slapd)', async () => {
  const templates = TEMPLATES.map((source) => FilterTemplate.parse(source));
  let tried = 0;
  await fc.assert(
    fc.asyncProperty(hostileName, fc.constantFrom(...templates.keys()), async (user, which) => {
      const template = templates[which]!;
      const allowed = new Set(comparedNames(TEMPLATES[which]!, user).map(prepared));
      const found = await uidsFound(template, user);
      tried += 1;
      for (const uid of found) {
        assert.ok(allowed.has(prepared(uid)), `${TEMPLATES[which]} with user ${JSON.stringify(user)} found uid ${uid}`);
      }
      // A name that is exactly a user's uid finds that user: escaping must not break matching either.
      for (const name of comparedNames(TEMPLATES[which]!, user)) {
        if (UIDS.includes(name)) assert.ok(found.includes(name), `${JSON.stringify(name)} did not find its own entry`);
      }
    }),
    fuzzParameters(300),
  );
  assert.ok(tried >= 1);
});

test('every user name that is not a uid is not found by the LDAP passdb, and each uid finds itself', async () => {
  const config: LdapPassdbConfig = {
    driver: 'ldap',
    uris: [ldap.url],
    bindDn: ldap.bindDn,
    bindPassword: new Secret(ldap.bindPassword),
    base: ldap.peopleDn,
    scope: 'sub',
    filter: TEMPLATES[0]!,
    authBind: false,
    passwordAttribute: 'userPassword',
    fields: [{ field: 'host', attribute: 'mailHost', constant: undefined }],
    timeoutMs: 5000,
    connectTimeoutMs: 2000,
    searchPoolSize: 2,
    bindPoolSize: 2,
    startTls: false,
    caFile: undefined,
    ca: undefined,
    changePollMs: 0,
  };
  const passdb = new LdapPassdb(config, log);
  try {
    for (const uid of UIDS) assert.equal((await passdb.lookup(uid)).kind, 'ok', uid);
    const known = new Set(UIDS.map(prepared));
    await fc.assert(
      fc.asyncProperty(hostileName, async (user) => {
        const result = await passdb.lookup(user);
        if (known.has(prepared(user))) return;
        // tempfail is allowed (slapd may refuse a value outright); a hit is not.
        assert.notEqual(result.kind, 'ok', `lookup(${JSON.stringify(user)}) found an entry`);
      }),
      fuzzParameters(150),
    );
  } finally {
    await passdb.close();
  }
});
